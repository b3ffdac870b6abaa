package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/task/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the task module's Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// UpdateParams replaces the params (authority only).
func (m msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if msg.Authority != m.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", m.authority, msg.Authority)
	}
	if err := m.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}

// CancelJob refunds a job that has no provider yet.
func (m msgServer) CancelJob(ctx context.Context, msg *types.MsgCancelJob) (*types.MsgCancelJobResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	job, err := m.GetJob(ctx, msg.JobId)
	if err != nil {
		return nil, err
	}
	if job.Submitter != msg.Submitter {
		return nil, errorsmod.Wrapf(types.ErrNotSubmitter, "job %d was submitted by %s", job.Id, job.Submitter)
	}
	if job.Status != types.JOB_STATUS_PENDING {
		return nil, errorsmod.Wrapf(types.ErrNotCancellable, "job %d is %s", job.Id, job.Status)
	}
	cursor, err := m.AssignCursor.Peek(ctx)
	if err != nil {
		return nil, err
	}
	if job.Id < cursor { // tried already: it waits
		if err := m.indexes.stoppedWaiting(ctx, job); err != nil {
			return nil, err
		}
	}
	err = m.endNow(ctx, func(pay *payouts, retention uint64) error {
		if err := m.owe(pay, job, job.MaxFee); err != nil {
			return err
		}
		job.Refunded = job.MaxFee
		job.FeePaid = sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt())
		return m.finish(ctx, job, types.JOB_STATUS_CANCELLED, retention)
	})
	if err != nil {
		return nil, err
	}
	if err := m.emit(ctx, &types.EventJobCancelled{JobId: job.Id, Refund: job.MaxFee}); err != nil {
		return nil, err
	}
	return &types.MsgCancelJobResponse{}, nil
}
