package keeper

import (
	"math"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// maxAssignPerBlock bounds the assignment attempts of one block (each at most
// max_assign_attempts draws). Waiting jobs get at most half, shared by their models; new
// jobs get the rest. So a flood of jobs nobody can take costs every block a bounded
// amount of work, and never keeps a new job from its first attempt in the next block.
const maxAssignPerBlock = 2000

// maxNewPerBlock bounds the new jobs one block takes from the cursor: each is tried (an
// attempt from the budget) or, when its model has no free capacity at all, starts waiting
// without a draw. The rest carry over to the next block.
const maxNewPerBlock = 10000

// Bid is what a job offers per token: max_fee ÷ (prompt bound + max output tokens),
// rounded down (saturating at 2^64−1). A provider's price fits the job exactly when it is
// at most the bid, so waiting jobs are served highest bid first.
func Bid(job types.Job) uint64 {
	units := PromptTokenBound(job.Prompt) + job.MaxOutputTokens
	bid := job.MaxFee.Amount.QuoRaw(int64(min(units, math.MaxInt64)))
	if !bid.IsUint64() {
		return math.MaxUint64
	}
	return bid.Uint64()
}

// assignDue assigns jobs with the beacon of this height: first the waiting jobs, model by
// model (highest bid, then oldest, first), then the jobs submitted since the cursor.
//
// Fair order: a job waits in its model's queue until its deadline, and a freed slot goes
// to the best bid that fits, then to the oldest: the order of a fee market. A job no
// provider can take costs nothing in a block where its model has no free capacity (one
// read per model), and at most its share of half the budget otherwise, so a flood of
// jobs bidding below every idle provider's price never keeps a better-paying job waiting:
// that job sorts ahead of the flood, or, if new, is tried in its first block.
func (k Keeper) assignDue(ctx sdk.Context, params types.Params) error {
	b, err := k.beacon.GetBeacon(ctx, ctx.BlockHeight())
	if err != nil {
		return err
	}
	used, err := k.assignWaiting(ctx, params, b.Output, maxAssignPerBlock/2)
	if err != nil {
		return err
	}
	return k.assignNew(ctx, params, b.Output, maxAssignPerBlock-used)
}

// assignWaiting tries waiting jobs with at most budget attempts, each model with waiting
// jobs getting an equal share; it returns the attempts made.
func (k Keeper) assignWaiting(ctx sdk.Context, params types.Params, beacon []byte, budget int) (int, error) {
	var models []string
	err := k.WaitingCount.Walk(ctx, nil, func(model string, _ uint64) (bool, error) {
		models = append(models, model)
		return false, nil
	})
	if err != nil || len(models) == 0 {
		return 0, err
	}
	share := max(1, budget/len(models))
	used := 0
	for _, model := range models {
		if used >= budget {
			break
		}
		n, err := k.assignWaitingOf(ctx, params, beacon, model, min(share, budget-used))
		if err != nil {
			return used, err
		}
		used += n
	}
	return used, nil
}

// assignWaitingOf tries at most limit waiting jobs of one model in queue order, stopping
// when the model has no free capacity left; it returns the attempts made.
func (k Keeper) assignWaitingOf(ctx sdk.Context, params types.Params, beacon []byte, model string, limit int) (int, error) {
	free, err := k.provider.HasFreeCapacity(ctx, model)
	if err != nil || !free {
		return 0, err
	}
	it, err := k.Waiting.Iterate(ctx, collections.NewPrefixedTripleRange[string, uint64, uint64](model))
	if err != nil {
		return 0, err
	}
	ids, err := firstKeys(it, limit)
	if err != nil {
		return 0, err
	}
	h := ctx.BlockHeight()
	tried := 0
	for _, id := range ids {
		if tried > 0 {
			if free, err = k.provider.HasFreeCapacity(ctx, model); err != nil || !free {
				return tried, err
			}
		}
		job, err := k.GetJob(ctx, id) // a waiting entry always names a pending job
		if err != nil {
			return tried, err
		}
		if h > job.DeadlineHeight {
			continue // the deadline queue expires it
		}
		tried++
		if _, err := k.assign(ctx, params, beacon, job, true); err != nil {
			return tried, err
		}
	}
	return tried, nil
}

// firstKeys reads the job ids of at most n entries of a waiting-set iterator and closes
// it (the store is written only after the iteration).
func firstKeys(it collections.KeySetIterator[collections.Triple[string, uint64, uint64]], n int) ([]uint64, error) {
	defer it.Close()
	var ids []uint64
	for ; it.Valid() && len(ids) < n; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		ids = append(ids, key.K3())
	}
	return ids, nil
}

// assignNew takes the jobs submitted since the cursor, oldest first, with at most budget
// attempts and maxNewPerBlock jobs: each is assigned, starts waiting, or expires if its
// deadline has come (a job the cursor reaches late).
func (k Keeper) assignNew(ctx sdk.Context, params types.Params, beacon []byte, budget int) error {
	cursor, err := k.AssignCursor.Peek(ctx)
	if err != nil {
		return err
	}
	next, err := k.NextJobID.Peek(ctx)
	if err != nil {
		return err
	}
	h := ctx.BlockHeight()
	id := max(cursor, 1)
	for taken := 0; id < next && budget > 0 && taken < maxNewPerBlock; id, taken = id+1, taken+1 {
		job, found, err := k.findJob(ctx, id)
		if err != nil {
			return err
		}
		if !found || job.Status != types.JOB_STATUS_PENDING {
			continue // cancelled, or pruned
		}
		if h <= job.DeadlineHeight {
			free, err := k.provider.HasFreeCapacity(ctx, job.ModelId)
			if err != nil {
				return err
			}
			if free {
				budget--
				ok, err := k.assign(ctx, params, beacon, job, false)
				if err != nil {
					return err
				}
				if ok {
					continue
				}
			}
		}
		if h >= job.DeadlineHeight {
			if err := k.expire(ctx, job); err != nil {
				return err
			}
			continue
		}
		if err := k.indexes.startedWaiting(ctx, job); err != nil {
			return err
		}
	}
	return k.AssignCursor.Set(ctx, id)
}
