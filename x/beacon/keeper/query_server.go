package keeper

import (
	"context"
	"errors"

	"github.com/cosmos/cosmos-sdk/types/query"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	pagelimit "github.com/sovra-network/sovra/x/internal/page"
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

func (q queryServer) VRFKeys(ctx context.Context, req *types.QueryVRFKeysRequest) (*types.QueryVRFKeysResponse, error) {
	if req == nil {
		req = &types.QueryVRFKeysRequest{}
	}
	keys, res, err := query.CollectionPaginate(ctx, q.k.VRFKeys, pagelimit.Capped(req.Pagination),
		func(_ string, v types.VRFKey) (types.VRFKey, error) { return v, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if keys == nil {
		keys = []types.VRFKey{}
	}
	return &types.QueryVRFKeysResponse{Keys: keys, Pagination: res}, nil
}

// Validator answers for a validator named by operator or consensus address: its key,
// its first bonded height, the end of its grace period and whether a proposal of it
// without a VRF proof would be accepted at the next height.
func (q queryServer) Validator(ctx context.Context, req *types.QueryValidatorRequest) (*types.QueryValidatorResponse, error) {
	if req == nil || req.Address == "" {
		return nil, status.Error(codes.InvalidArgument, "address is required: a validator operator address or a consensus address")
	}
	sk := q.k.stakingKeeper
	var (
		val stakingtypes.Validator
		err error
	)
	if bz, verr := sk.ValidatorAddressCodec().StringToBytes(req.Address); verr == nil {
		val, err = sk.GetValidator(ctx, sdk.ValAddress(bz))
	} else if bz, cerr := sk.ConsensusAddressCodec().StringToBytes(req.Address); cerr == nil {
		val, err = sk.GetValidatorByConsAddr(ctx, sdk.ConsAddress(bz))
	} else {
		return nil, status.Errorf(codes.InvalidArgument, "%q is neither a validator operator address (%v) nor a consensus address (%v)", req.Address, verr, cerr)
	}
	if errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		return nil, status.Errorf(codes.NotFound, "no validator %s", req.Address)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	consBz, err := val.GetConsAddr()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	consAddr, err := sk.ConsensusAddressCodec().BytesToString(consBz)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	params, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	info := ProposerInfo{Valoper: val.GetOperator()}
	if info.Key, info.HasKey, err = q.k.GetVRFKey(ctx, info.Valoper); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if info.BondedHeight, info.HasBondedHeight, err = q.k.GetBondedHeight(ctx, info.Valoper); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	resp := &types.QueryValidatorResponse{
		Validator:        info.Valoper,
		ConsensusAddress: consAddr,
		Bonded:           val.IsBonded(),
		HasKey:           info.HasKey,
		Key:              info.Key,
		HasBondedHeight:  info.HasBondedHeight,
		RequireVrf:       params.RequireVrf,
		Height:           h,
	}
	if info.HasBondedHeight {
		resp.FirstBondedHeight = info.BondedHeight
		resp.GraceEndHeight = GraceEnd(info.BondedHeight, params.VrfGraceBlocks)
	}
	checked := info
	if info.HasKey {
		checked.HasBondedHeight = false // ResolveProposer reads it only for keyless validators
	}
	resp.WeakProposalsAccepted = WeakProposalError(params, checked, h+1) == nil
	return resp, nil
}

func beaconQueryError(err error) error {
	if errors.Is(err, types.ErrBeaconNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}
