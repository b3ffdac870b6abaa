package keeper

import (
	"context"

	"cosmossdk.io/collections"

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
	if err := k.AssignCursor.Set(ctx, gs.NextJobId); err != nil {
		return err
	}
	for _, job := range gs.Jobs {
		submitter, err := k.accAddress(job.Submitter)
		if err != nil {
			return err
		}
		if err := k.addJob(ctx, job, submitter); err != nil {
			return err
		}
		if err := k.indexStatus(ctx, job); err != nil {
			return err
		}
		if job.Provider != "" {
			provider, err := k.accAddress(job.Provider)
			if err != nil {
				return err
			}
			if err := k.ByProvider.Set(ctx, collections.Join(provider, job.Id)); err != nil {
				return err
			}
		}
		if err := k.requeue(ctx, job); err != nil {
			return err
		}
	}
	return nil
}

// requeue restores the queue entry that drives a job's next step.
func (k Keeper) requeue(ctx context.Context, job types.Job) error {
	switch job.Status {
	case types.JOB_STATUS_PENDING:
		return k.RetryQueue.Set(ctx, collections.Join(job.SubmitHeight+1, job.Id))
	case types.JOB_STATUS_ASSIGNED:
		return k.DeadlineQueue.Set(ctx, collections.Join(job.DeadlineHeight, job.Id))
	case types.JOB_STATUS_COMMITTED:
		if job.DecisionHeight > 0 {
			return k.DecisionQueue.Set(ctx, collections.Join(job.DecisionHeight, job.Id))
		}
		return k.DecisionSchedule.Set(ctx, collections.Join(job.CommitHeight+1, job.Id))
	}
	return nil
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
	return &types.GenesisState{Params: params, Jobs: jobs, NextJobId: next}, nil
}
