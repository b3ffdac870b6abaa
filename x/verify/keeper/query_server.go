package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pagelimit "github.com/sovra-network/sovra/x/internal/page"
	"github.com/sovra-network/sovra/x/verify/types"
)

type queryServer struct{ k Keeper }

// NewQueryServerImpl returns the Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Audit(ctx context.Context, req *types.QueryAuditRequest) (*types.QueryAuditResponse, error) {
	if req == nil || req.JobId == 0 {
		return nil, status.Error(codes.InvalidArgument, "job id must be positive")
	}
	a, err := q.k.Audits.Get(ctx, req.JobId)
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "job %d has no audit", req.JobId)
	}
	return &types.QueryAuditResponse{Audit: a}, nil
}

func (q queryServer) Stats(ctx context.Context, _ *types.QueryStatsRequest) (*types.QueryStatsResponse, error) {
	s, err := q.k.stats(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryStatsResponse{Stats: s}, nil
}

// Audits pages through one index: the verifier's, the provider's or the status's when
// given (the verifier's first), else all audits; the other filters apply to each entry.
func (q queryServer) Audits(ctx context.Context, req *types.QueryAuditsRequest) (*types.QueryAuditsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	// The indexes are keyed by address bytes; the audits' fields are compared in the
	// canonical (lower-case) string form.
	var verifier, provider sdk.AccAddress
	for _, f := range []struct {
		s    *string
		addr *sdk.AccAddress
	}{{&req.Verifier, &verifier}, {&req.Provider, &provider}} {
		if *f.s == "" {
			continue
		}
		addr, err := q.k.accAddress(*f.s)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "invalid address %q: %s", *f.s, err)
		}
		canonical, err := q.k.addressCodec.BytesToString(addr)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "invalid address %q: %s", *f.s, err)
		}
		*f.s, *f.addr = canonical, addr
	}
	if _, ok := types.AuditStatus_name[int32(req.Status)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d", req.Status)
	}
	keep := func(a types.Audit) bool {
		if req.Status != types.AUDIT_STATUS_UNSPECIFIED && a.Status != req.Status {
			return false
		}
		if req.Provider != "" && a.Provider != req.Provider {
			return false
		}
		if req.Verifier != "" && verifierIndex(a, req.Verifier, 0) < 0 {
			return false
		}
		return true
	}
	// The predicate decides what belongs to the page; the results come from the transform
	// as the paginator returns them (it may call the transform on one entry beyond a full
	// page to find the next key, so nothing is collected on the side).
	match := func(id uint64) (bool, error) {
		a, err := q.k.Audits.Get(ctx, id)
		return err == nil && keep(a), nil
	}
	load := func(id uint64) (types.Audit, error) { return q.k.Audits.Get(ctx, id) }
	var out []types.Audit
	var page *query.PageResponse
	var err error
	byAddress := func(ks collections.KeySet[collections.Pair[sdk.AccAddress, uint64]], prefix sdk.AccAddress) {
		out, page, err = query.CollectionFilteredPaginate(ctx, ks, pagelimit.Capped(req.Pagination),
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (bool, error) {
				return match(key.K2())
			},
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Audit, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](prefix))
	}
	byStatus := func() {
		out, page, err = query.CollectionFilteredPaginate(ctx, q.k.ByStatus, pagelimit.Capped(req.Pagination),
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (bool, error) { return match(key.K2()) },
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (types.Audit, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.Status)))
	}
	open := req.Status.IsOpen()
	switch {
	case open:
		// Open audits are few at any time (they end within a few blocks), while a party's
		// index keeps every audit it had until pruning: walk the open status's index.
		byStatus()
	case req.Verifier != "":
		byAddress(q.k.ByVerifier, verifier)
	case req.Provider != "":
		byAddress(q.k.ByProvider, provider)
	case req.Status != types.AUDIT_STATUS_UNSPECIFIED:
		byStatus()
	default:
		out, page, err = query.CollectionFilteredPaginate(ctx, q.k.Audits, pagelimit.Capped(req.Pagination),
			func(_ uint64, a types.Audit) (bool, error) { return keep(a), nil },
			func(_ uint64, a types.Audit) (types.Audit, error) { return a, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryAuditsResponse{Audits: out, Pagination: page}, nil
}
