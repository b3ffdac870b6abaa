package keeper

import (
	"math"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// maxAssignPerBlock bounds the assignment attempts of one block (each at most
// max_assign_attempts draws). Waiting jobs get at most half, shared by their models; new
// jobs get the rest. So a flood of jobs nobody can take costs every block a bounded
// amount of work, and never keeps a new job from its first attempt in the next block.
const maxAssignPerBlock = 2000

// maxNewPerBlock bounds the new jobs one block takes from the cursor: each is tried (an
// attempt from the budget) or, when no free provider's price fits its bid, starts waiting
// without a draw. The rest carry over to the next block.
const maxNewPerBlock = 10000

// Bid is what a job offers per token: max_fee ÷ (prompt bound + max output tokens),
// rounded down (saturating at 2^64−1). A provider's price fits the job exactly when it is
// at most the bid, so waiting jobs are served highest bid first.
func Bid(job types.Job) uint64 {
	bid := bidAmount(job)
	if !bid.IsUint64() {
		return math.MaxUint64
	}
	return bid.Uint64()
}

func bidAmount(job types.Job) sdkmath.Int {
	units := PromptTokenBound(job.Prompt) + job.MaxOutputTokens
	return job.MaxFee.Amount.Quo(sdkmath.NewIntFromUint64(units))
}

// priceFree reports whether a provider of the job's model has a free slot at a price the
// job's bid covers: without one the job cannot be assigned now, and is not drawn for.
func (k Keeper) priceFree(ctx sdk.Context, job types.Job) (bool, error) {
	price, ok, err := k.provider.MinFreePrice(ctx, job.ModelId)
	if err != nil || !ok {
		return false, err
	}
	return price.LTE(bidAmount(job)), nil
}

// assignDue assigns jobs with the randomness of this height (a VRF beacon): first the waiting jobs, model by
// model (highest bid, then oldest, first), then the jobs submitted since the cursor.
//
// Fair order: a job waits in its model's queue until its deadline, and a freed slot goes
// to the best bid that fits, then to the oldest: the order of a fee market. A job that
// bids below every free provider's price (x/provider's free-price index) is not drawn
// for: a new one starts waiting at the cost of a few writes, and a model's scan stops at
// the first such bid, as every bid behind it is lower. So a flood of jobs no free
// provider's price fits costs no draw, and a job that a free provider can take is tried
// in its first block. Draws are spent only on jobs some free provider's price fits (they
// may still fail on collateral or auditability), at most half the budget for waiting ones.
func (k Keeper) assignDue(ctx sdk.Context, r round, pay *payouts) error {
	used, err := k.assignWaiting(ctx, r, maxAssignPerBlock/2)
	if err != nil {
		return err
	}
	return k.assignNew(ctx, r, pay, maxAssignPerBlock-used)
}

// assignWaiting tries waiting jobs with at most budget attempts, each model with waiting
// jobs getting an equal share; it returns the attempts made.
func (k Keeper) assignWaiting(ctx sdk.Context, r round, budget int) (int, error) {
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
		n, err := k.assignWaitingOf(ctx, r, model, min(share, budget-used))
		if err != nil {
			return used, err
		}
		used += n
	}
	return used, nil
}

// assignWaitingOf tries at most limit waiting jobs of one model in queue order, stopping
// at the first whose bid no free provider's price fits; it returns the attempts made.
func (k Keeper) assignWaitingOf(ctx sdk.Context, r round, model string, limit int) (int, error) {
	minFree, ok, err := k.provider.MinFreePrice(ctx, model)
	if err != nil || !ok {
		return 0, err
	}
	it, err := k.Waiting.Iterate(ctx, collections.NewPrefixedTripleRange[string, uint64, uint64](model))
	if err != nil {
		return 0, err
	}
	// The key holds the bid: the scan stops at the first one below the cheapest free
	// price, without reading further keys (with thousands of jobs waiting for a full
	// provider, an idle block reads one key, not limit of them). A saturated bid (2^64−1,
	// the key's largest) is left to the exact check on the job.
	ids, err := firstKeys(it, limit, func(key collections.Triple[string, uint64, uint64]) bool {
		bid := ^key.K2()
		return bid == math.MaxUint64 || minFree.LTE(sdkmath.NewIntFromUint64(bid))
	})
	if err != nil {
		return 0, err
	}
	h := ctx.BlockHeight()
	tried := 0
	for _, id := range ids {
		job, err := k.GetJob(ctx, id) // a waiting entry always names a pending job
		if err != nil {
			return tried, err
		}
		if h > job.DeadlineHeight {
			continue // the deadline queue expires it
		}
		if fits, err := k.priceFree(ctx, job); err != nil || !fits {
			return tried, err // every job behind bids at most as much
		}
		tried++
		if _, err := k.assign(ctx, r, job, true); err != nil {
			return tried, err
		}
	}
	return tried, nil
}

// firstKeys reads the job ids of at most n entries of a waiting-set iterator, up to the
// first entry that fits refuses, and closes it (the store is written only after the
// iteration).
func firstKeys(it collections.KeySetIterator[collections.Triple[string, uint64, uint64]], n int,
	fits func(collections.Triple[string, uint64, uint64]) bool,
) ([]uint64, error) {
	defer it.Close()
	var ids []uint64
	for ; it.Valid() && len(ids) < n; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		if !fits(key) {
			break
		}
		ids = append(ids, key.K3())
	}
	return ids, nil
}

// assignNew takes the jobs submitted since the cursor, oldest first, with at most budget
// attempts and maxNewPerBlock jobs: each is assigned, starts waiting, or expires if its
// deadline has come (a job the cursor reaches late; its refund is added to pay).
func (k Keeper) assignNew(ctx sdk.Context, r round, pay *payouts, budget int) error {
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
			fits, err := k.priceFree(ctx, job)
			if err != nil {
				return err
			}
			if fits {
				budget--
				ok, err := k.assign(ctx, r, job, false)
				if err != nil {
					return err
				}
				if ok {
					continue
				}
			}
		}
		if h >= job.DeadlineHeight {
			if err := k.expire(ctx, pay, r.params.RetentionBlocks, job); err != nil {
				return err
			}
			continue
		}
		if err := k.indexes.startedWaiting(ctx, job); err != nil {
			return err
		}
	}
	if id == cursor {
		return nil // nothing new: a write of the same value would still be IAVL work at commit
	}
	return k.AssignCursor.Set(ctx, id)
}
