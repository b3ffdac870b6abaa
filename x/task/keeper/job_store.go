package keeper

import (
	"context"
	"sort"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// addJob stores a new (pending) job and its submitter index entry; submitter is
// job.Submitter decoded.
func (k Keeper) addJob(ctx context.Context, job types.Job, submitter sdk.AccAddress) error {
	if err := k.BySubmitter.Set(ctx, collections.Join(submitter, job.Id)); err != nil {
		return err
	}
	return k.Jobs.Set(ctx, job.Id, job)
}

// unindexedStatus: a job spends a block or a few in these states, and the queues that
// drive them already list their jobs (retry queue and cursor range for pending, the
// deadline queue for assigned), so the status index skips them.
func unindexedStatus(s types.JobStatus) bool {
	return s == types.JOB_STATUS_PENDING || s == types.JOB_STATUS_ASSIGNED
}

// saveJob stores a job whose status was prev, moving its status index entry if the
// status changed.
func (k Keeper) saveJob(ctx context.Context, job types.Job, prev types.JobStatus) error {
	if prev != job.Status {
		if !unindexedStatus(prev) {
			if err := k.ByStatus.Remove(ctx, collections.Join(int32(prev), job.Id)); err != nil {
				return err
			}
		}
		if err := k.indexStatus(ctx, job); err != nil {
			return err
		}
	}
	return k.Jobs.Set(ctx, job.Id, job)
}

func (k Keeper) indexStatus(ctx context.Context, job types.Job) error {
	if unindexedStatus(job.Status) {
		return nil
	}
	return k.ByStatus.Set(ctx, collections.Join(int32(job.Status), job.Id))
}

// removeJob deletes a job and every index entry it has.
func (k Keeper) removeJob(ctx context.Context, job types.Job) error {
	submitter, err := k.accAddress(job.Submitter)
	if err != nil {
		return err
	}
	if err := k.BySubmitter.Remove(ctx, collections.Join(submitter, job.Id)); err != nil {
		return err
	}
	if !unindexedStatus(job.Status) {
		if err := k.ByStatus.Remove(ctx, collections.Join(int32(job.Status), job.Id)); err != nil {
			return err
		}
	}
	if job.Provider != "" {
		provider, err := k.accAddress(job.Provider)
		if err != nil {
			return err
		}
		if err := k.ByProvider.Remove(ctx, collections.Join(provider, job.Id)); err != nil {
			return err
		}
	}
	return k.Jobs.Remove(ctx, job.Id)
}

// jobIDs lists, in id order, the ids of the jobs with a given status.
func (k Keeper) jobIDs(ctx context.Context, status types.JobStatus) ([]uint64, error) {
	switch status {
	case types.JOB_STATUS_PENDING:
		return k.pendingIDs(ctx)
	case types.JOB_STATUS_ASSIGNED:
		return k.assignedIDs(ctx)
	}
	return pairSuffixes(ctx, k.ByStatus, int32(status))
}

// lowestQueuedID is the lowest id a job in status (PENDING or ASSIGNED, which the status
// index skips) can have: a pending job is at or above the assignment cursor or in the
// retry queue, an assigned job is in the deadline queue. With no such job it is
// NextJobID, above every job.
func (k Keeper) lowestQueuedID(ctx context.Context, status types.JobStatus) (uint64, error) {
	low, err := k.NextJobID.Peek(ctx)
	if err != nil {
		return 0, err
	}
	queue := k.DeadlineQueue
	if status == types.JOB_STATUS_PENDING {
		cursor, err := k.AssignCursor.Peek(ctx)
		if err != nil {
			return 0, err
		}
		low = min(low, max(cursor, 1))
		queue = k.RetryQueue
	}
	err = queue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		low = min(low, key.K2())
		return false, nil
	})
	return low, err
}

// pendingIDs lists the pending jobs: those never tried for assignment (ids from the
// cursor on) and those waiting in the retry queue.
func (k Keeper) pendingIDs(ctx context.Context) ([]uint64, error) {
	cursor, err := k.AssignCursor.Peek(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.NextJobID.Peek(ctx)
	if err != nil {
		return nil, err
	}
	var candidates []uint64
	for id := max(cursor, 1); id < next; id++ {
		candidates = append(candidates, id)
	}
	err = k.RetryQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		candidates = append(candidates, key.K2())
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return k.withStatus(ctx, candidates, types.JOB_STATUS_PENDING), nil
}

// assignedIDs lists the assigned jobs: each has an entry in the deadline queue.
func (k Keeper) assignedIDs(ctx context.Context) ([]uint64, error) {
	var candidates []uint64
	err := k.DeadlineQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		candidates = append(candidates, key.K2())
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return k.withStatus(ctx, candidates, types.JOB_STATUS_ASSIGNED), nil
}

// withStatus sorts and dedupes candidate ids and keeps the jobs in status.
func (k Keeper) withStatus(ctx context.Context, candidates []uint64, status types.JobStatus) []uint64 {
	sort.Slice(candidates, func(i, j int) bool { return candidates[i] < candidates[j] })
	var ids []uint64
	for i, id := range candidates {
		if i > 0 && candidates[i-1] == id {
			continue
		}
		if job, err := k.Jobs.Get(ctx, id); err == nil && job.Status == status {
			ids = append(ids, id)
		}
	}
	return ids
}

// pairSuffixes lists the second halves of the keys of set that start with prefix.
func pairSuffixes[K1 any](ctx context.Context, set collections.KeySet[collections.Pair[K1, uint64]], prefix K1) ([]uint64, error) {
	it, err := set.Iterate(ctx, collections.NewPrefixedPairRange[K1, uint64](prefix))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var ids []uint64
	for ; it.Valid(); it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		ids = append(ids, key.K2())
	}
	return ids, nil
}
