package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

// CommitResult records sealed results posted by a provider's worker key. The whole
// message fails if any result is invalid, so a result is accepted exactly once.
func (m msgServer) CommitResult(ctx context.Context, msg *types.MsgCommitResult) (*types.MsgCommitResultResponse, error) {
	// ValidateBasic already ran: baseapp runs it on every message of a tx, and gov on
	// every message of a proposal; this hot path does not repeat its bech32 decoding.
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if len(msg.Results) > int(params.MaxResultsPerCommit) {
		return nil, errorsmod.Wrapf(types.ErrTooManyResults, "%d > %d", len(msg.Results), params.MaxResultsPerCommit)
	}
	worker, err := m.accAddress(msg.Worker)
	if err != nil {
		return nil, err
	}
	provider, err := m.provider.GetProviderByWorker(ctx, worker)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrNotWorker, "%s", msg.Worker)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	for _, r := range msg.Results {
		job, err := m.GetJob(ctx, r.JobId)
		if err != nil {
			return nil, err
		}
		if job.Provider != "" && job.Provider != provider.Operator {
			return nil, errorsmod.Wrapf(types.ErrWrongProvider, "job %d is assigned to %s, not to %s", job.Id, job.Provider, provider.Operator)
		}
		switch {
		case job.Status == types.JOB_STATUS_EXPIRED:
			return nil, errorsmod.Wrapf(types.ErrDeadlinePassed, "job %d expired at height %d", job.Id, job.DeadlineHeight)
		case job.Status != types.JOB_STATUS_ASSIGNED:
			return nil, errorsmod.Wrapf(types.ErrNotAssigned, "job %d is %s", job.Id, job.Status)
		case h > job.DeadlineHeight:
			return nil, errorsmod.Wrapf(types.ErrDeadlinePassed, "job %d deadline was height %d", job.Id, job.DeadlineHeight)
		case r.OutputTokens > job.MaxOutputTokens:
			return nil, errorsmod.Wrapf(types.ErrInvalidResult, "job %d: %d output tokens > max %d", job.Id, r.OutputTokens, job.MaxOutputTokens)
		case r.PromptTokens > PromptTokenBound(job.Prompt):
			return nil, errorsmod.Wrapf(types.ErrInvalidResult, "job %d: %d prompt tokens > bound %d", job.Id, r.PromptTokens, PromptTokenBound(job.Prompt))
		case uint64(len(r.SealedOutput)) > params.MaxSealedOutputBytes:
			return nil, errorsmod.Wrapf(types.ErrOutputTooLarge, "job %d: %d bytes > %d", job.Id, len(r.SealedOutput), params.MaxSealedOutputBytes)
		}
		job.Status = types.JOB_STATUS_COMMITTED
		job.Commitment = r.Commitment
		job.PromptTokens = r.PromptTokens
		job.OutputTokens = r.OutputTokens
		job.SealedOutput = r.SealedOutput
		job.CommitHeight = h
		if err := m.saveJob(ctx, job, types.JOB_STATUS_ASSIGNED); err != nil {
			return nil, err
		}
		// Off the deadline queue; the decision height is fixed at h+1.
		if err := m.indexes.committed(ctx, job); err != nil {
			return nil, err
		}
		if err := m.emit(ctx, &types.EventJobCommitted{JobId: job.Id, Provider: provider.Operator}); err != nil {
			return nil, err
		}
	}
	// The worker is done with these jobs: their compute slots free now, their collateral
	// stays locked until settlement.
	operator, err := m.accAddress(provider.Operator)
	if err != nil {
		return nil, err
	}
	// len(msg.Results) ≤ max_results_per_commit ≤ 1024 (checked above): it fits a uint32.
	if err := m.provider.FreeSlots(ctx, operator, uint32(len(msg.Results))); err != nil { //nolint:gosec // bounded above
		return nil, err
	}
	return &types.MsgCommitResultResponse{}, nil
}
