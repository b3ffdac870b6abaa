package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sovra-network/sovra/x/beacon/types"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the beacon Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer {
	return queryServer{k: k}
}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Latest(ctx context.Context, _ *types.QueryLatestRequest) (*types.QueryLatestResponse, error) {
	b, err := q.k.LatestBeacon(ctx)
	if err != nil {
		return nil, beaconQueryError(err)
	}
	return &types.QueryLatestResponse{Beacon: b}, nil
}

func (q queryServer) At(ctx context.Context, req *types.QueryAtRequest) (*types.QueryAtResponse, error) {
	if req == nil || req.Height < 1 {
		return nil, status.Error(codes.InvalidArgument, "height must be a positive block height")
	}
	b, err := q.k.GetBeacon(ctx, req.Height)
	if err != nil {
		return nil, beaconQueryError(err)
	}
	return &types.QueryAtResponse{Beacon: b}, nil
}

func (q queryServer) Stats(ctx context.Context, _ *types.QueryStatsRequest) (*types.QueryStatsResponse, error) {
	s, err := q.k.GetStats(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryStatsResponse{Stats: s}, nil
}

func (q queryServer) VRFKeys(ctx context.Context, _ *types.QueryVRFKeysRequest) (*types.QueryVRFKeysResponse, error) {
	keys, err := q.k.GetAllVRFKeys(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryVRFKeysResponse{Keys: keys}, nil
}

func beaconQueryError(err error) error {
	if errors.Is(err, types.ErrBeaconNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}
