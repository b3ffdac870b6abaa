package keeper

import (
	"context"
	"encoding/binary"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/internal/store"
	"github.com/sovra-network/sovra/x/task/types"
)

// maxPrunePerBlock bounds the deletions of one block so pruning never spikes a block.
const maxPrunePerBlock = 500

// maxDuePerBlock bounds the entries one block takes from each of the deadline, decision
// schedule and decision queues; the rest, oldest first, carry over to the next blocks. A
// provider that aims many deadlines at one height (its jobs are nobody else's gas) delays
// their expiry by a few blocks instead of stretching one block's work.
const maxDuePerBlock = 1000

// BeginBlocker runs after the beacon of this height is stored: it assigns waiting jobs
// and the jobs submitted since the previous block (assign.go), fixes the decision height
// of results committed in the previous block, and takes the audit decisions due now.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	// No assignment or audit decision rests on a weak beacon alone (anyone computes it
	// before the block exists): in such a block they all wait, their queue entries kept,
	// for the next VRF beacon. Deadlines still pass (EndBlocker).
	beacon, ok, err := k.beacon.Randomness(ctx, h)
	if err != nil || !ok {
		return err
	}
	multiplier, err := k.collateralMultiplier(ctx)
	if err != nil {
		return err
	}
	// What this block's endings owe moves at the end, one transfer per recipient.
	var pay payouts
	if err := k.assignDue(sdkCtx, round{params: params, beacon: beacon, multiplier: multiplier}, &pay); err != nil {
		return err
	}
	scheduled, err := k.dueUpTo(ctx, k.DecisionSchedule, h, maxDuePerBlock)
	if err != nil {
		return err
	}
	for _, key := range scheduled {
		if err := k.indexes.dequeue(ctx, k.DecisionSchedule, key.K1(), key.K2()); err != nil {
			return err
		}
		if err := k.scheduleDecision(sdkCtx, params, beacon, key.K2()); err != nil {
			return err
		}
	}
	decisions, err := k.dueUpTo(ctx, k.DecisionQueue, h, maxDuePerBlock)
	if err != nil {
		return err
	}
	for _, key := range decisions {
		if err := k.indexes.dequeue(ctx, k.DecisionQueue, key.K1(), key.K2()); err != nil {
			return err
		}
		if err := k.decide(sdkCtx, params, &pay, key.K2()); err != nil {
			return err
		}
	}
	return k.pay(ctx, &pay)
}

// EndBlocker expires the assigned and waiting jobs whose deadline has come (at most
// maxDuePerBlock a block, the rest carried over) and prunes old terminal jobs.
func (k Keeper) EndBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	due, err := k.dueUpTo(ctx, k.DeadlineQueue, h, maxDuePerBlock)
	if err != nil {
		return err
	}
	var pay payouts
	var retention uint64 // read at the first expiry
	retentionRead := false
	for _, key := range due {
		if err := k.indexes.dequeue(ctx, k.DeadlineQueue, key.K1(), key.K2()); err != nil {
			return err
		}
		job, found, err := k.findJob(ctx, key.K2())
		if err != nil {
			return err
		}
		if !found {
			continue // pruned already
		}
		switch job.Status {
		case types.JOB_STATUS_PENDING: // waiting: its entries go with it
			if err := k.indexes.stoppedWaiting(ctx, job); err != nil {
				return err
			}
			fallthrough
		case types.JOB_STATUS_ASSIGNED:
			if !retentionRead {
				if retention, err = k.RetentionBlocks(ctx); err != nil {
					return err
				}
				retentionRead = true
			}
			if err := k.expire(sdkCtx, &pay, retention, job); err != nil {
				return err
			}
		}
	}
	if err := k.pay(ctx, &pay); err != nil {
		return err
	}
	return k.prune(ctx, h)
}

// scheduleDecision computes X = now + 1 + (sha256(beacon(now) || job_id) mod K) for a
// result committed at h; now is h+1 (or the first block after it with a VRF beacon), so
// X is at least one block ahead and unknown at commit.
func (k Keeper) scheduleDecision(ctx sdk.Context, params types.Params, beacon []byte, id uint64) error {
	job, found, err := k.findJob(ctx, id)
	if err != nil || !found || job.Status != types.JOB_STATUS_COMMITTED {
		return err // nil when the job moved on or is gone
	}
	seed := jobSeed(beacon, id)
	offset := binary.BigEndian.Uint64(seed[:8]) % params.DecisionWindow
	job.DecisionHeight = height.Plus(ctx.BlockHeight()+1, offset)
	if err := k.indexes.decisionFixed(ctx, job); err != nil {
		return err
	}
	return k.saveJob(ctx, job, job.Status)
}

// decide asks the audit decider (x/verify) whether to audit; otherwise the job settles,
// its payouts added to pay.
func (k Keeper) decide(ctx sdk.Context, params types.Params, pay *payouts, id uint64) error {
	job, found, err := k.findJob(ctx, id)
	if err != nil || !found || job.Status != types.JOB_STATUS_COMMITTED {
		return err // nil when the job moved on or is gone
	}
	decision := types.DecisionSettle
	if k.hooks != nil {
		if decision, err = k.hooks.DecideAudit(ctx, job); err != nil {
			return err
		}
	}
	// A job that is not audited settles in this block, and its EventJobSettled says so: the
	// decision event is emitted only for a job drawn for audit (one event fewer per job for
	// the node to index and every follower to decode).
	if decision != types.DecisionSettle {
		if err := k.emit(ctx, &types.EventJobAuditDecision{JobId: id, Audited: true}); err != nil {
			return err
		}
	}
	switch decision {
	case types.DecisionAudit:
		job.Status = types.JOB_STATUS_AUDITING
		return k.saveJob(ctx, job, types.JOB_STATUS_COMMITTED)
	case types.DecisionRefund:
		return k.refundCommitted(ctx, pay, params.RetentionBlocks, job)
	}
	return k.settle(ctx, pay, params.RetentionBlocks, job)
}

// prune deletes terminal jobs whose retention ended, at most maxPrunePerBlock per block;
// the rest carry over to the next block.
func (k Keeper) prune(ctx context.Context, h int64) error {
	keys, err := k.dueUpTo(ctx, k.PruneQueue, h, maxPrunePerBlock)
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := k.PruneQueue.Remove(ctx, key); err != nil {
			return err
		}
		job, found, err := k.findJob(ctx, key.K2())
		if err != nil {
			return err
		}
		if !found {
			continue // already gone
		}
		if err := k.removeJob(ctx, job); err != nil {
			return err
		}
	}
	return nil
}

// dueUpTo lists at most limit entries queued at heights up to h, oldest first; entries
// beyond the limit stay queued and come first in the next block.
func (k Keeper) dueUpTo(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]], h int64, limit int) ([]collections.Pair[int64, uint64], error) {
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(h, ^uint64(0)))
	it, err := q.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var keys []collections.Pair[int64, uint64]
	for ; it.Valid() && len(keys) < limit; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// findJob reads a job, telling "no such job" (found false, nil error: it was pruned or
// never existed) from a store error, which block hooks pass up instead of dropping work.
func (k Keeper) findJob(ctx context.Context, id uint64) (types.Job, bool, error) {
	return store.Find[uint64, types.Job](ctx, k.Jobs, id)
}
