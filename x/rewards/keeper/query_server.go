package keeper

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sovra-network/sovra/x/rewards/types"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the rewards Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer {
	return queryServer{k: k}
}

// Params returns the current params.
func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Pending returns an address's unclaimed rewards; nothing pending is an empty total, not an error.
func (q queryServer) Pending(ctx context.Context, req *types.QueryPendingRequest) (*types.QueryPendingResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.k.addressCodec.StringToBytes(req.Address)
	if err != nil || len(addr) == 0 {
		return nil, status.Errorf(codes.InvalidArgument, "invalid address %q", req.Address)
	}
	total, bySource, err := q.k.Pending(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryPendingResponse{Total: total, BySource: bySource}, nil
}

// VerificationPool returns the balance of the pool that pays audits.
func (q queryServer) VerificationPool(ctx context.Context, _ *types.QueryVerificationPoolRequest) (*types.QueryVerificationPoolResponse, error) {
	return &types.QueryVerificationPoolResponse{Balance: q.k.bankKeeper.GetAllBalances(ctx, q.k.poolAddr)}, nil
}
