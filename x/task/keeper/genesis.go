package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/task/types"
)

// InitGenesis loads params and jobs; open jobs get their queues back.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.NextJobID.Set(ctx, gs.NextJobId); err != nil {
		return err
	}
	cursor := gs.AssignCursor
	if cursor == 0 {
		cursor = gs.NextJobId
	}
	if err := k.AssignCursor.Set(ctx, cursor); err != nil {
		return err
	}
	for _, job := range gs.Jobs {
		if err := k.Jobs.Set(ctx, job.Id, job); err != nil {
			return err
		}
		// Every index entry and the deadline or decision queue entry that drives an
		// assigned or committed job derive from the job.
		if err := k.indexes.insert(ctx, job, job.Id < cursor); err != nil {
			return err
		}
		if err := k.requeue(ctx, gs.Params, job); err != nil {
			return err
		}
	}
	return nil
}

// requeue restores what jobIndexes does not derive: the pruning of an ended job at the
// end of its retention, as finish queued it on the exporting chain (a height already
// passed on the new chain prunes it in its first blocks, maxPrunePerBlock at a time).
func (k Keeper) requeue(ctx context.Context, params types.Params, job types.Job) error {
	if job.Status.IsOpen() {
		return nil
	}
	return k.PruneQueue.Set(ctx, collections.Join(height.Plus(job.EndHeight, params.RetentionBlocks), job.Id))
}

// ExportGenesis writes params and every stored job.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.NextJobID.Peek(ctx)
	if err != nil {
		return nil, err
	}
	it, err := k.Jobs.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	jobs, err := it.Values()
	if err != nil {
		return nil, err
	}
	cursor, err := k.AssignCursor.Peek(ctx)
	if err != nil {
		return nil, err
	}
	return &types.GenesisState{Params: params, Jobs: jobs, NextJobId: next, AssignCursor: max(cursor, 1)}, nil
}
