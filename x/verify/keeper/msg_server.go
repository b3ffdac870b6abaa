package keeper

import (
	"bytes"
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// party resolves a signer to the operator it acts for: a provider's operator key or its
// worker key.
func (k Keeper) party(ctx context.Context, signer string) (string, error) {
	addr, err := sdk.AccAddressFromBech32(signer)
	if err != nil {
		return "", errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "signer %q: %s", signer, err)
	}
	if p, err := k.provider.GetProvider(ctx, addr); err == nil {
		return p.Operator, nil
	}
	if p, err := k.provider.GetProviderByWorker(ctx, addr); err == nil {
		return p.Operator, nil
	}
	return "", errorsmod.Wrapf(types.ErrNotSelected, "%s is neither a provider nor a provider's worker", signer)
}

// openAudit returns the audit of a job in the given phase and before its deadline.
func (k Keeper) openAudit(ctx context.Context, jobID uint64, phase types.AuditStatus) (types.Audit, error) {
	a, err := k.Audits.Get(ctx, jobID)
	if err != nil {
		return a, errorsmod.Wrapf(types.ErrAuditNotFound, "job %d", jobID)
	}
	if a.Status != phase {
		return a, errorsmod.Wrapf(types.ErrWrongPhase, "audit of job %d is in %s, not %s", jobID, a.Status, phase)
	}
	if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); h > a.PhaseDeadline {
		return a, errorsmod.Wrapf(types.ErrWrongPhase, "the %s phase of job %d ended at height %d", phase, jobID, a.PhaseDeadline)
	}
	return a, nil
}

// CommitVerification records the blinded result of a verifier drawn for the current round;
// the reveal phase opens as soon as every verifier of the round has committed.
func (ms msgServer) CommitVerification(ctx context.Context, msg *types.MsgCommitVerification) (*types.MsgCommitVerificationResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	a, err := ms.openAudit(ctx, msg.JobId, types.AUDIT_STATUS_COMMIT)
	if err != nil {
		return nil, err
	}
	op, err := ms.party(ctx, msg.Signer)
	if err != nil {
		return nil, err
	}
	i := verifierIndex(a, op, a.Round)
	if i < 0 {
		return nil, errorsmod.Wrapf(types.ErrNotSelected, "%s is not a round-%d verifier of job %d", op, a.Round, msg.JobId)
	}
	if len(a.Verifiers[i].Commitment) > 0 {
		return nil, errorsmod.Wrapf(types.ErrAlreadyCommitted, "%s for job %d", op, msg.JobId)
	}
	a.Verifiers[i].Commitment = msg.Commitment
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if committedAll(a) {
		return &types.MsgCommitVerificationResponse{}, ms.openReveal(sdk.UnwrapSDKContext(ctx), params, &a)
	}
	return &types.MsgCommitVerificationResponse{}, ms.saveAudit(ctx, a, a.Status)
}

// Reveal opens the provider's result commitment (sha256(output_hash ‖ salt), on the job)
// or a verifier's commitment (sha256(output_hash ‖ salt ‖ operator)); the round resolves
// as soon as every party that can reveal has.
func (ms msgServer) Reveal(ctx context.Context, msg *types.MsgReveal) (*types.MsgRevealResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	a, err := ms.openAudit(ctx, msg.JobId, types.AUDIT_STATUS_REVEAL)
	if err != nil {
		return nil, err
	}
	op, err := ms.party(ctx, msg.Signer)
	if err != nil {
		return nil, err
	}
	if op == a.Provider {
		if a.ProviderRevealed {
			return nil, errorsmod.Wrapf(types.ErrAlreadyRevealed, "provider of job %d", msg.JobId)
		}
		job, err := ms.task.GetJob(ctx, msg.JobId)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(tasktypes.Commitment([32]byte(msg.OutputHash), msg.Salt), job.Commitment) {
			return nil, errorsmod.Wrapf(types.ErrRevealMismatch, "output hash and salt do not open the result commitment of job %d", msg.JobId)
		}
		a.ProviderHash, a.ProviderRevealed = msg.OutputHash, true
	} else {
		i := verifierIndex(a, op, 0)
		if i < 0 {
			return nil, errorsmod.Wrapf(types.ErrNotSelected, "%s is neither the provider nor a verifier of job %d", op, msg.JobId)
		}
		v := &a.Verifiers[i]
		if v.Round != a.Round {
			return nil, errorsmod.Wrapf(types.ErrWrongPhase, "%s was a round-%d verifier of job %d; its reveal phase is over", op, v.Round, msg.JobId)
		}
		if len(v.Commitment) == 0 {
			return nil, errorsmod.Wrapf(types.ErrWrongPhase, "%s did not commit for job %d, so it cannot reveal", op, msg.JobId)
		}
		if v.Revealed {
			return nil, errorsmod.Wrapf(types.ErrAlreadyRevealed, "%s for job %d", op, msg.JobId)
		}
		opBytes, err := sdk.AccAddressFromBech32(op)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(types.VerifierCommitment(msg.OutputHash, msg.Salt, opBytes), v.Commitment) {
			return nil, errorsmod.Wrapf(types.ErrRevealMismatch, "output hash and salt do not open %s's commitment for job %d", op, msg.JobId)
		}
		v.OutputHash, v.Revealed = msg.OutputHash, true
	}
	if revealsDone(a) {
		params, err := ms.Params.Get(ctx)
		if err != nil {
			return nil, err
		}
		return &types.MsgRevealResponse{}, ms.resolve(sdk.UnwrapSDKContext(ctx), params, &a, a.Status)
	}
	return &types.MsgRevealResponse{}, ms.saveAudit(ctx, a, a.Status)
}

// verifierIndex finds op among the verifiers (of round, or of any round when round is 0).
func verifierIndex(a types.Audit, op string, round uint32) int {
	for i, v := range a.Verifiers {
		if v.Operator == op && (round == 0 || v.Round == round) {
			return i
		}
	}
	return -1
}

// UpdateParams replaces the params (authority only), checked with x/rewards' verification share.
func (ms msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if ms.authority != msg.Authority {
		return nil, errorsmod.Wrapf(govtypes.ErrInvalidSigner, "expected %s, got %s", ms.authority, msg.Authority)
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	rp, err := ms.rewards.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if err := msg.Params.ValidateVerificationShare(rp.VerificationShare); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	return &types.MsgUpdateParamsResponse{}, ms.Params.Set(ctx, msg.Params)
}
