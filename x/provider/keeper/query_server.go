package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	pagelimit "github.com/sovra-network/sovra/x/internal/page"
	"github.com/sovra-network/sovra/x/provider/types"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the x/provider Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	params, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Provider looks the address up as an operator, then as a worker.
func (q queryServer) Provider(ctx context.Context, req *types.QueryProviderRequest) (*types.QueryProviderResponse, error) {
	if req == nil || req.Address == "" {
		return nil, status.Error(codes.InvalidArgument, "address is required")
	}
	addr, err := q.k.addressCodec.StringToBytes(req.Address)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "address %q: %s", req.Address, err)
	}
	p, err := q.k.GetProvider(ctx, addr)
	if errors.Is(err, types.ErrProviderNotFound) {
		p, err = q.k.GetProviderByWorker(ctx, addr)
	}
	if errors.Is(err, types.ErrProviderNotFound) {
		return nil, status.Errorf(codes.NotFound, "no provider with operator or worker %s", req.Address)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryProviderResponse{Provider: p}, nil
}

// Providers lists all providers by operator, or those serving req.Model via the
// (model, operator) index.
func (q queryServer) Providers(ctx context.Context, req *types.QueryProvidersRequest) (*types.QueryProvidersResponse, error) {
	if req == nil {
		req = &types.QueryProvidersRequest{}
	}
	if req.Model == "" {
		providers, page, err := query.CollectionPaginate(ctx, q.k.Providers, pagelimit.Capped(req.Pagination),
			func(_ sdk.AccAddress, p types.Provider) (types.Provider, error) { return p, nil })
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		return &types.QueryProvidersResponse{Providers: providers, Pagination: page}, nil
	}
	if err := types.ValidateModelID(req.Model); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	providers, page, err := query.CollectionPaginate(ctx, q.k.ModelProviders, pagelimit.Capped(req.Pagination),
		func(key collections.Pair[string, sdk.AccAddress], _ collections.NoValue) (types.Provider, error) {
			return q.k.Providers.Get(ctx, key.K2())
		},
		query.WithCollectionPaginationPairPrefix[string, sdk.AccAddress](req.Model))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryProvidersResponse{Providers: providers, Pagination: page}, nil
}

func (q queryServer) Models(ctx context.Context, _ *types.QueryModelsRequest) (*types.QueryModelsResponse, error) {
	var models []types.Model
	err := q.k.Models.Walk(ctx, nil, func(_ string, m types.Model) (bool, error) {
		models = append(models, m)
		return false, nil
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryModelsResponse{Models: models}, nil
}

func (q queryServer) Model(ctx context.Context, req *types.QueryModelRequest) (*types.QueryModelResponse, error) {
	if req == nil || req.Id == "" {
		return nil, status.Error(codes.InvalidArgument, "model id is required")
	}
	m, err := q.k.GetModel(ctx, req.Id)
	if errors.Is(err, types.ErrUnknownModel) {
		return nil, status.Errorf(codes.NotFound, "model %q is not registered", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryModelResponse{Model: m}, nil
}
