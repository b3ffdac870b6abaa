package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sovra-network/sovra/x/task/types"
)

const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

type queryServer struct{ k Keeper }

// NewQueryServerImpl returns the task module's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Job(ctx context.Context, req *types.QueryJobRequest) (*types.QueryJobResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "job id is required")
	}
	job, err := q.k.Jobs.Get(ctx, req.Id)
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "job %d not found (never submitted, or pruned after its retention window)", req.Id)
	}
	return &types.QueryJobResponse{Job: job}, nil
}

// Jobs lists jobs in id order, filtered by at most one index.
func (q queryServer) Jobs(ctx context.Context, req *types.QueryJobsRequest) (*types.QueryJobsResponse, error) {
	if req == nil {
		req = &types.QueryJobsRequest{}
	}
	filters := 0
	for _, set := range []bool{req.Submitter != "", req.Provider != "", req.Status != types.JOB_STATUS_UNSPECIFIED} {
		if set {
			filters++
		}
	}
	if filters > 1 {
		return nil, status.Error(codes.InvalidArgument, "filter by at most one of submitter, provider, status")
	}
	offset, limit := pageBounds(req.Pagination)
	var ids []uint64
	var err error
	switch {
	case req.Submitter != "":
		addr, aerr := q.k.accAddress(req.Submitter)
		if aerr != nil {
			return nil, status.Errorf(codes.InvalidArgument, "submitter: %s", aerr)
		}
		ids, err = pairSuffixes(ctx, q.k.BySubmitter, addr)
	case req.Provider != "":
		// A provider filter that is no address matches no job (as when the index was
		// keyed by the address string).
		if addr, aerr := q.k.accAddress(req.Provider); aerr == nil {
			ids, err = pairSuffixes(ctx, q.k.ByProvider, addr)
		}
	case req.Status != types.JOB_STATUS_UNSPECIFIED:
		ids, err = q.k.jobIDs(ctx, req.Status)
	default:
		var it collections.Iterator[uint64, types.Job]
		it, err = q.k.Jobs.Iterate(ctx, nil)
		if err == nil {
			ids, err = it.Keys()
		}
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	total := uint64(len(ids))
	if offset > total {
		offset = total
	}
	end := offset + limit
	if end > total {
		end = total
	}
	jobs := make([]types.Job, 0, end-offset)
	for _, id := range ids[offset:end] {
		job, err := q.k.Jobs.Get(ctx, id)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		jobs = append(jobs, job)
	}
	return &types.QueryJobsResponse{Jobs: jobs, Pagination: &query.PageResponse{Total: total}}, nil
}

func pageBounds(p *query.PageRequest) (offset, limit uint64) {
	limit = defaultPageLimit
	if p == nil {
		return 0, limit
	}
	if p.Limit > 0 {
		limit = p.Limit
	}
	if limit > maxPageLimit {
		limit = maxPageLimit
	}
	return p.Offset, limit
}
