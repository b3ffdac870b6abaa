package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// addJob stores a new (pending) job and its submitter index entry; submitter is
// job.Submitter decoded.
func (k Keeper) addJob(ctx context.Context, job types.Job, submitter sdk.AccAddress) error {
	if err := k.indexes.submitted(ctx, job, submitter); err != nil {
		return err
	}
	return k.Jobs.Set(ctx, job.Id, job)
}

// saveJob stores a job whose status was prev, moving its status index entry if the
// status changed.
func (k Keeper) saveJob(ctx context.Context, job types.Job, prev types.JobStatus) error {
	if err := k.indexes.statusChanged(ctx, job, prev); err != nil {
		return err
	}
	return k.Jobs.Set(ctx, job.Id, job)
}

// removeJob deletes an ended job and every index entry it has.
func (k Keeper) removeJob(ctx context.Context, job types.Job) error {
	if err := k.indexes.remove(ctx, job); err != nil {
		return err
	}
	return k.Jobs.Remove(ctx, job.Id)
}

// lowestQueuedID is the lowest id a job in status (PENDING or ASSIGNED, which the status
// index skips but for waiting jobs) can have: a pending job is at or above the
// assignment cursor or waiting (first in the status index), an assigned job is in the
// deadline queue. With no such job it is NextJobID, above every job.
func (k Keeper) lowestQueuedID(ctx context.Context, status types.JobStatus) (uint64, error) {
	low, err := k.NextJobID.Peek(ctx)
	if err != nil {
		return 0, err
	}
	if status == types.JOB_STATUS_PENDING {
		cursor, err := k.AssignCursor.Peek(ctx)
		if err != nil {
			return 0, err
		}
		low = min(low, max(cursor, 1))
		it, err := k.ByStatus.Iterate(ctx, collections.NewPrefixedPairRange[int32, uint64](int32(status)))
		if err != nil {
			return 0, err
		}
		defer it.Close()
		if it.Valid() {
			key, err := it.Key()
			if err != nil {
				return 0, err
			}
			low = min(low, key.K2())
		}
		return low, nil
	}
	err = k.DeadlineQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		low = min(low, key.K2())
		return false, nil
	})
	return low, err
}
