package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/verify/types"
)

// maxPrunePerBlock bounds the deletions of one block; the rest carry over.
const maxPrunePerBlock = 500

// schedulePrune queues an ended audit for deletion when its job is deleted.
func (k Keeper) schedulePrune(ctx context.Context, jobID uint64, verdictHeight int64) error {
	retention, err := k.task.RetentionBlocks(ctx)
	if err != nil {
		return err
	}
	return k.indexes.pruneQueued(ctx, height.Plus(verdictHeight, retention), jobID)
}

// prune deletes the ended audits due at or before h, at most maxPrunePerBlock.
func (k Keeper) prune(ctx context.Context, h int64) error {
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(h, ^uint64(0)))
	it, err := k.PruneQueue.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	var due []collections.Pair[int64, uint64]
	for ; it.Valid() && len(due) < maxPrunePerBlock; it.Next() {
		key, err := it.Key()
		if err != nil {
			it.Close()
			return err
		}
		due = append(due, key)
	}
	it.Close()
	for _, key := range due {
		if err := k.indexes.pruneTaken(ctx, key); err != nil {
			return err
		}
		if err := k.removeAudit(ctx, key.K2()); err != nil {
			return err
		}
	}
	return nil
}

// removeAudit deletes an audit and its index entries.
func (k Keeper) removeAudit(ctx context.Context, jobID uint64) error {
	a, err := k.Audits.Get(ctx, jobID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := k.indexes.remove(ctx, a); err != nil {
		return err
	}
	return k.Audits.Remove(ctx, jobID)
}

// ended reports whether an audit has its verdict.
func ended(s types.AuditStatus) bool { return s.IsEnded() }
