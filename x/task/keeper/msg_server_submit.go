package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/task/types"
)

// SubmitJob escrows max_fee and queues the job for assignment in the next block.
func (m msgServer) SubmitJob(ctx context.Context, msg *types.MsgSubmitJob) (*types.MsgSubmitJobResponse, error) {
	// ValidateBasic already ran: baseapp runs it on every message of a tx, and gov on
	// every message of a proposal; this hot path does not repeat its bech32 decoding.
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if uint64(len(msg.Prompt)) > params.MaxPromptBytes {
		return nil, errorsmod.Wrapf(types.ErrPromptTooLarge, "%d bytes > %d", len(msg.Prompt), params.MaxPromptBytes)
	}
	if msg.MaxOutputTokens > params.MaxOutputTokens {
		return nil, errorsmod.Wrapf(types.ErrInvalidJob, "max output tokens %d > %d", msg.MaxOutputTokens, params.MaxOutputTokens)
	}
	deadline := msg.DeadlineBlocks
	if deadline == 0 {
		deadline = params.DefaultDeadlineBlocks
	}
	if deadline > params.MaxDeadlineBlocks {
		return nil, errorsmod.Wrapf(types.ErrDeadlineTooLong, "%d blocks > %d", deadline, params.MaxDeadlineBlocks)
	}
	model, err := m.provider.GetModel(ctx, msg.ModelId)
	if err != nil {
		return nil, err
	}
	if msg.MaxOutputTokens > model.ContextLength {
		return nil, errorsmod.Wrapf(types.ErrTooManyTokens, "%d > %d for model %s", msg.MaxOutputTokens, model.ContextLength, model.Id)
	}
	denom, err := m.provider.BondDenom(ctx)
	if err != nil {
		return nil, err
	}
	if msg.MaxFee.Denom != denom {
		return nil, errorsmod.Wrapf(types.ErrWrongDenom, "got %s, want %s", msg.MaxFee.Denom, denom)
	}
	job := types.Job{
		Submitter:       msg.Submitter,
		ModelId:         msg.ModelId,
		Prompt:          msg.Prompt,
		MaxOutputTokens: msg.MaxOutputTokens,
		Sampling:        msg.Sampling,
		MaxFee:          msg.MaxFee,
		OutputKey:       msg.OutputKey,
		DeadlineBlocks:  deadline,
		Collateral:      math.ZeroInt(),
		FeePaid:         sdk.NewCoin(denom, math.ZeroInt()),
		Refunded:        sdk.NewCoin(denom, math.ZeroInt()),
		PricePerToken:   sdk.NewCoin(denom, math.ZeroInt()),
	}
	minPrice, ok, err := m.provider.MinPrice(ctx, msg.ModelId)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errorsmod.Wrapf(types.ErrNoProvider, "model %s", msg.ModelId)
	}
	if need := MaxCost(minPrice, job); need.GT(msg.MaxFee.Amount) {
		return nil, errorsmod.Wrapf(types.ErrFeeTooLow,
			"max fee %s < %s%s: the cheapest provider charges %s%s per token for up to %d prompt + %d output tokens",
			msg.MaxFee, need, denom, minPrice, denom, PromptTokenBound(msg.Prompt), msg.MaxOutputTokens)
	}
	submitter, err := m.accAddress(msg.Submitter)
	if err != nil {
		return nil, err
	}
	if err := m.bank.SendCoinsFromAccountToModule(ctx, submitter, types.ModuleName, sdk.NewCoins(msg.MaxFee)); err != nil {
		return nil, err
	}
	id, err := m.NextJobID.Next(ctx)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	job.Id = id
	job.Status = types.JOB_STATUS_PENDING
	job.SubmitHeight = h
	job.DeadlineHeight = height.Plus(h, deadline)
	if err := m.addJob(ctx, job, submitter); err != nil {
		return nil, err
	}
	// No queue entry: the next block's BeginBlocker takes every id from its cursor on.
	// Events carry only what the message does not: the node indexes every attribute, and
	// the submitter and fee are already in the message and transfer events.
	if err := m.emit(ctx, &types.EventJobSubmitted{JobId: id, ModelId: msg.ModelId}); err != nil {
		return nil, err
	}
	return &types.MsgSubmitJobResponse{JobId: id}, nil
}
