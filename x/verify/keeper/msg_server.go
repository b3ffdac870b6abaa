package keeper

import (
	"bytes"
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// party resolves a signer to the party of audit a it acts for: a provider's operator key
// or its worker key. One key can be both the operator of one provider and the worker of
// another (registration allows it; the two count as one operator, so at most one of them
// is a party of any audit): the provider that is a party of a wins. A signer that is
// neither resolves to the provider it runs or works for, which the caller refuses.
func (k Keeper) party(ctx context.Context, signer string, a types.Audit) (string, []byte, error) {
	addr, err := k.addressCodec.StringToBytes(signer)
	if err != nil {
		return "", nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "signer %q: %s", signer, err)
	}
	var first string
	var firstBytes []byte
	for _, resolve := range []func() (string, []byte, bool){
		func() (string, []byte, bool) {
			p, err := k.provider.GetProvider(ctx, addr)
			return p.Operator, addr, err == nil
		},
		func() (string, []byte, bool) {
			p, err := k.provider.GetProviderByWorker(ctx, addr)
			if err != nil {
				return "", nil, false
			}
			op, err := k.addressCodec.StringToBytes(p.Operator)
			return p.Operator, op, err == nil
		},
	} {
		op, opBytes, ok := resolve()
		if !ok {
			continue
		}
		if isParty(a, op) {
			return op, opBytes, nil
		}
		if first == "" {
			first, firstBytes = op, opBytes
		}
	}
	if first == "" {
		return "", nil, errorsmod.Wrapf(types.ErrNotSelected, "%s is neither a provider nor a provider's worker", signer)
	}
	return first, firstBytes, nil
}

// isParty reports whether op is the provider or a verifier (of any round) of a.
func isParty(a types.Audit, op string) bool {
	return op == a.Provider || verifierIndex(a, op, 0) >= 0
}

// openAudit returns the audit of a job in the given phase and before its deadline.
func (k Keeper) openAudit(ctx context.Context, jobID uint64, phase types.AuditStatus) (types.Audit, error) {
	a, err := k.Audits.Get(ctx, jobID)
	if isNotFound(err) {
		return a, errorsmod.Wrapf(types.ErrAuditNotFound, "job %d", jobID)
	}
	if err != nil {
		return a, err
	}
	if a.Status != phase {
		return a, errorsmod.Wrapf(types.ErrWrongPhase, "audit of job %d is in %s, not %s", jobID, a.Status, phase)
	}
	if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); h > a.PhaseDeadline {
		return a, errorsmod.Wrapf(types.ErrWrongPhase, "the %s phase of job %d ended at height %d", phase, jobID, a.PhaseDeadline)
	}
	return a, nil
}

// providersAudit returns the audit of a job in phase when signer acts for its provider.
func (k Keeper) providersAudit(ctx context.Context, signer string, jobID uint64, phase types.AuditStatus) (types.Audit, error) {
	a, err := k.openAudit(ctx, jobID, phase)
	if err != nil {
		return a, err
	}
	op, _, err := k.party(ctx, signer, a)
	if err != nil {
		return a, err
	}
	if op != a.Provider {
		return a, errorsmod.Wrapf(types.ErrNotSelected, "%s is not the provider of job %d", op, jobID)
	}
	return a, nil
}

// OpenAudit records the claimed output sealed to each verifier of the current round, sent
// by the audited provider; the commit phase opens at once. The chain cannot read the
// openings, only see that each verifier got one in time.
func (ms msgServer) OpenAudit(ctx context.Context, msg *types.MsgOpenAudit) (*types.MsgOpenAuditResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	a, err := ms.providersAudit(ctx, msg.Signer, msg.JobId, types.AUDIT_STATUS_OPEN)
	if err != nil {
		return nil, err
	}
	want := 0
	for _, v := range a.Verifiers {
		if v.Round == a.Round {
			want++
		}
	}
	if len(msg.Openings) != want {
		return nil, errorsmod.Wrapf(types.ErrInvalidMsg, "round %d of job %d has %d verifier(s), got %d opening(s)", a.Round, msg.JobId, want, len(msg.Openings))
	}
	for _, o := range msg.Openings {
		i, err := ms.roundVerifier(a, o.Verifier)
		if err != nil {
			return nil, err
		}
		if len(a.Verifiers[i].Opening) > 0 {
			return nil, errorsmod.Wrapf(types.ErrInvalidMsg, "two openings for %s", o.Verifier)
		}
		a.Verifiers[i].Opening = o.Sealed
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.MsgOpenAuditResponse{}, ms.openCommit(sdk.UnwrapSDKContext(ctx), params, &a)
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
	op, _, err := ms.party(ctx, msg.Signer, a)
	if err != nil {
		return nil, err
	}
	i := verifierIndex(a, op, a.Round)
	if i < 0 {
		return nil, errorsmod.Wrapf(types.ErrNotSelected, "%s is not a round-%d verifier of job %d", op, a.Round, msg.JobId)
	}
	if len(a.Verifiers[i].Commitment) > 0 || a.Verifiers[i].Complained {
		return nil, errorsmod.Wrapf(types.ErrAlreadyCommitted, "%s for job %d", op, msg.JobId)
	}
	a.Verifiers[i].Commitment, a.Verifiers[i].Complained = msg.Commitment, msg.Complaint
	if committedAll(a) {
		params, err := ms.Params.Get(ctx)
		if err != nil {
			return nil, err
		}
		return &types.MsgCommitVerificationResponse{}, ms.openReveal(sdk.UnwrapSDKContext(ctx), params, &a)
	}
	return &types.MsgCommitVerificationResponse{}, ms.saveAudit(ctx, a, a.Status)
}

// Reveal opens the provider's result commitment (on the job: output hash, trace, salt) or
// a verifier's commitment; the trace must have the shape the job's token counts imply. The
// round resolves as soon as every party that can reveal has.
func (ms msgServer) Reveal(ctx context.Context, msg *types.MsgReveal) (*types.MsgRevealResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	a, err := ms.openAudit(ctx, msg.JobId, types.AUDIT_STATUS_REVEAL)
	if err != nil {
		return nil, err
	}
	op, opBytes, err := ms.party(ctx, msg.Signer, a)
	if err != nil {
		return nil, err
	}
	job, err := ms.task.GetJob(ctx, msg.JobId)
	if err != nil {
		return nil, err
	}
	n := msg.Trace.Len()
	sampled := job.Sampling.TemperatureMilli > 0
	if op == a.Provider {
		if a.ProviderRevealed {
			return nil, errorsmod.Wrapf(types.ErrAlreadyRevealed, "provider of job %d", msg.JobId)
		}
		// The provider's trace must fit the token counts it was paid on; a verifier's need
		// not (it re-scored what it was given: a misfit is the provider's fault).
		if !types.ValidTraceLength(job, n) {
			return nil, errorsmod.Wrapf(types.ErrInvalidTrace, "a trace of %d positions does not fit job %d's %d output tokens (max %d)",
				n, msg.JobId, job.OutputTokens, job.MaxOutputTokens)
		}
		if err := msg.Trace.CheckShape(n, sampled, false); err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidTrace, "job %d: %s", msg.JobId, err)
		}
		if !bytes.Equal(tasktypes.Commitment([32]byte(msg.OutputHash), msg.Trace.Hash(), msg.Salt), job.Commitment) {
			return nil, errorsmod.Wrapf(types.ErrRevealMismatch, "output hash, trace and salt do not open the result commitment of job %d", msg.JobId)
		}
		a.ProviderHash, a.ProviderTrace, a.ProviderRevealed = msg.OutputHash, msg.Trace, true
	} else {
		i := verifierIndex(a, op, 0)
		if i < 0 {
			return nil, errorsmod.Wrapf(types.ErrNotSelected, "%s is neither the provider nor a verifier of job %d", op, msg.JobId)
		}
		v := &a.Verifiers[i]
		switch {
		case v.Round != a.Round:
			return nil, errorsmod.Wrapf(types.ErrWrongPhase, "%s was a round-%d verifier of job %d; its reveal phase is over", op, v.Round, msg.JobId)
		case len(v.Commitment) == 0:
			return nil, errorsmod.Wrapf(types.ErrWrongPhase, "%s did not commit for job %d, so it cannot reveal", op, msg.JobId)
		case v.Revealed:
			return nil, errorsmod.Wrapf(types.ErrAlreadyRevealed, "%s for job %d", op, msg.JobId)
		}
		if err := msg.Trace.CheckShape(n, sampled, true); err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidTrace, "job %d: %s", msg.JobId, err)
		}
		if !bytes.Equal(types.VerifierCommitment(msg.OutputHash, msg.Trace.Hash(), msg.Salt, opBytes), v.Commitment) {
			return nil, errorsmod.Wrapf(types.ErrRevealMismatch, "output hash, trace and salt do not open %s's commitment for job %d", op, msg.JobId)
		}
		v.OutputHash, v.Trace, v.Revealed = msg.OutputHash, msg.Trace, true
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

// DiscloseOpening records, from the audited provider in the reveal phase, the key of the
// opening of each verifier of the round that complained; the chain decrypts and judges
// those openings when the round resolves (an undisclosed one is the provider's fault).
func (ms msgServer) DiscloseOpening(ctx context.Context, msg *types.MsgDiscloseOpening) (*types.MsgDiscloseOpeningResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	a, err := ms.providersAudit(ctx, msg.Signer, msg.JobId, types.AUDIT_STATUS_REVEAL)
	if err != nil {
		return nil, err
	}
	for _, k := range msg.Keys {
		i, err := ms.roundVerifier(a, k.Verifier)
		if err != nil {
			return nil, err
		}
		v := &a.Verifiers[i]
		if !v.Complained {
			return nil, errorsmod.Wrapf(types.ErrInvalidMsg, "%s did not complain about its opening of job %d", v.Operator, msg.JobId)
		}
		if len(v.OpeningKey) > 0 {
			return nil, errorsmod.Wrapf(types.ErrAlreadyRevealed, "the opening key for %s", v.Operator)
		}
		v.OpeningKey = k.Key
	}
	if revealsDone(a) {
		params, err := ms.Params.Get(ctx)
		if err != nil {
			return nil, err
		}
		return &types.MsgDiscloseOpeningResponse{}, ms.resolve(sdk.UnwrapSDKContext(ctx), params, &a, a.Status)
	}
	return &types.MsgDiscloseOpeningResponse{}, ms.saveAudit(ctx, a, a.Status)
}

// roundVerifier finds the current round's verifier an address names, whatever its bech32
// spelling.
func (k Keeper) roundVerifier(a types.Audit, addr string) (int, error) {
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil {
		return -1, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "verifier %q: %s", addr, err)
	}
	canonical, err := k.addressCodec.BytesToString(bz)
	if err != nil {
		return -1, err
	}
	i := verifierIndex(a, canonical, a.Round)
	if i < 0 {
		return -1, errorsmod.Wrapf(types.ErrNotSelected, "%s is not a round-%d verifier of job %d", addr, a.Round, a.JobId)
	}
	return i, nil
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
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", ms.authority, msg.Authority)
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
