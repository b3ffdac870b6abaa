package keeper

import (
	"bytes"
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sovra-network/sovra/x/internal/page"
	"github.com/sovra-network/sovra/x/task/types"
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

// Jobs lists jobs in id order, filtered by at most one index, with the SDK's collections
// pagination (a key or an offset, limit, count_total, reverse). Each filter walks its own
// collection: the submitter's or provider's index, the status index for committed,
// auditing and terminal jobs, and, for pending and assigned jobs (not in the status
// index, see job_indexes.go), the tail of Jobs from the lowest id their queues hold.
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
	pageReq := page.Capped(req.Pagination)
	load := func(id uint64) (types.Job, error) { return q.k.Jobs.Get(ctx, id) }
	byAddress := func(set collections.KeySet[collections.Pair[sdk.AccAddress, uint64]], addr sdk.AccAddress) ([]types.Job, *query.PageResponse, error) {
		return query.CollectionPaginate(ctx, set, pageReq,
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Job, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](addr))
	}
	var (
		jobs []types.Job
		res  *query.PageResponse
		err  error
	)
	switch {
	case req.Submitter != "":
		addr, aerr := q.k.accAddress(req.Submitter)
		if aerr != nil {
			return nil, status.Errorf(codes.InvalidArgument, "submitter: %s", aerr)
		}
		jobs, res, err = byAddress(q.k.BySubmitter, addr)
	case req.Provider != "":
		// A provider filter that is no address matches no job (as when the index was
		// keyed by the address string).
		addr, aerr := q.k.accAddress(req.Provider)
		if aerr != nil {
			return &types.QueryJobsResponse{Jobs: []types.Job{}, Pagination: &query.PageResponse{}}, nil
		}
		jobs, res, err = byAddress(q.k.ByProvider, addr)
	case req.Status == types.JOB_STATUS_PENDING || req.Status == types.JOB_STATUS_ASSIGNED:
		var from uint64
		if from, err = q.k.lowestQueuedID(ctx, req.Status); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		jobs, res, err = query.CollectionFilteredPaginate(ctx, jobsFrom{Map: q.k.Jobs, from: from}, pageReq,
			func(_ uint64, job types.Job) (bool, error) { return job.Status == req.Status, nil },
			func(_ uint64, job types.Job) (types.Job, error) { return job, nil })
	case req.Status != types.JOB_STATUS_UNSPECIFIED:
		jobs, res, err = query.CollectionPaginate(ctx, q.k.ByStatus, pageReq,
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (types.Job, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.Status)))
	default:
		jobs, res, err = query.CollectionPaginate(ctx, q.k.Jobs, pageReq,
			func(_ uint64, job types.Job) (types.Job, error) { return job, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if jobs == nil {
		jobs = []types.Job{}
	}
	return &types.QueryJobsResponse{Jobs: jobs, Pagination: res}, nil
}

// jobsFrom is the Jobs map from id from on, as a collection to paginate: iteration never
// starts below from (pagination keys are big-endian ids, so bytes order is id order).
type jobsFrom struct {
	collections.Map[uint64, types.Job]
	from uint64
}

func (j jobsFrom) IterateRaw(ctx context.Context, start, end []byte, order collections.Order) (collections.Iterator[uint64, types.Job], error) {
	low := make([]byte, j.KeyCodec().Size(j.from))
	if _, err := j.KeyCodec().Encode(low, j.from); err != nil {
		return collections.Iterator[uint64, types.Job]{}, err
	}
	if start == nil || bytes.Compare(start, low) < 0 {
		start = low
	}
	return j.Map.IterateRaw(ctx, start, end, order)
}
