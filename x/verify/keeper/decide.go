package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// DecideAudit is called by x/task at the job's decision height X: the job is audited iff
// sha256("sovra/job/v1" ‖ beacon(X) ‖ job_id) maps below audit_rate. An audited job gets
// its first-round verifiers from the same seed; when none is eligible it settles unchecked
// (counted as unverifiable).
func (k Keeper) DecideAudit(ctx context.Context, job tasktypes.Job) (bool, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return false, err
	}
	b, err := k.beacon.GetBeacon(ctx, h)
	if err != nil {
		return false, err
	}
	stats, err := k.stats(ctx)
	if err != nil {
		return false, err
	}
	stats.Decisions++
	if b.Weak {
		stats.WeakBeaconDecisions++
	}
	seed := types.AuditSeed(b.Output, job.Id)
	if !types.Audited(seed, params.AuditRate) {
		return false, k.Stats.Set(ctx, stats)
	}
	operator, err := sdk.AccAddressFromBech32(job.Provider)
	if err != nil {
		return false, err
	}
	prov, err := k.provider.GetProvider(ctx, operator)
	if err != nil {
		return false, err
	}
	drawn, err := k.provider.DrawVerifiers(ctx, job.ModelId, seed, int(params.VerifiersPerAudit), prov, nil)
	if err != nil {
		return false, err
	}
	if len(drawn) == 0 {
		stats.Unverifiable++
		sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventAuditVerdict,
			sdk.NewAttribute(types.AttrJobID, u64(job.Id)),
			sdk.NewAttribute(types.AttrVerdict, "unverifiable"),
		))
		return false, k.Stats.Set(ctx, stats)
	}
	stats.Audits++
	if err := k.Stats.Set(ctx, stats); err != nil {
		return false, err
	}
	a := types.Audit{
		JobId: job.Id, Provider: job.Provider, ModelId: job.ModelId, Profile: prov.Profile,
		DecisionHeight: h, WeakBeacon: b.Weak, Pay: job.Fee(),
		Slashed: sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt()),
	}
	if err := k.ByProvider.Set(ctx, collections.Join(a.Provider, a.JobId)); err != nil {
		return false, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventAuditStarted,
		sdk.NewAttribute(types.AttrJobID, u64(job.Id)),
		sdk.NewAttribute(types.AttrProvider, job.Provider),
	))
	return true, k.openRound(sdkCtx, params, &a, 1, drawn, types.AUDIT_STATUS_UNSPECIFIED)
}

// openRound adds a round's verifiers and opens its commit phase.
func (k Keeper) openRound(ctx sdk.Context, params types.Params, a *types.Audit, round uint32, drawn []providertypes.Provider, prev types.AuditStatus) error {
	a.Round = round
	a.Status = types.AUDIT_STATUS_COMMIT
	a.PhaseDeadline = ctx.BlockHeight() + int64(params.CommitPhaseBlocks)
	for _, p := range drawn {
		a.Verifiers = append(a.Verifiers, types.Verifier{Operator: p.Operator, Round: round})
		if err := k.ByVerifier.Set(ctx, collections.Join(p.Operator, a.JobId)); err != nil {
			return err
		}
		ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventAuditVerifier,
			sdk.NewAttribute(types.AttrJobID, u64(a.JobId)),
			sdk.NewAttribute(types.AttrVerifier, p.Operator),
			sdk.NewAttribute(types.AttrRound, u64(uint64(round))),
			sdk.NewAttribute(types.AttrDeadline, i64(a.PhaseDeadline)),
		))
	}
	if err := k.PhaseQueue.Set(ctx, collections.Join(a.PhaseDeadline, a.JobId)); err != nil {
		return err
	}
	return k.saveAudit(ctx, *a, prev)
}

// openReveal ends the commit phase (early when every verifier of the round committed) and
// opens the reveal phase; it resolves at once when nobody is left to reveal.
func (k Keeper) openReveal(ctx sdk.Context, params types.Params, a *types.Audit) error {
	if err := k.PhaseQueue.Remove(ctx, collections.Join(a.PhaseDeadline, a.JobId)); err != nil {
		return err
	}
	a.Status = types.AUDIT_STATUS_REVEAL
	a.PhaseDeadline = ctx.BlockHeight() + int64(params.RevealPhaseBlocks)
	if revealsDone(*a) {
		return k.resolve(ctx, params, a, types.AUDIT_STATUS_COMMIT)
	}
	if err := k.PhaseQueue.Set(ctx, collections.Join(a.PhaseDeadline, a.JobId)); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventAuditReveal,
		sdk.NewAttribute(types.AttrJobID, u64(a.JobId)),
		sdk.NewAttribute(types.AttrProvider, a.Provider),
		sdk.NewAttribute(types.AttrRound, u64(uint64(a.Round))),
		sdk.NewAttribute(types.AttrDeadline, i64(a.PhaseDeadline)),
	))
	return k.saveAudit(ctx, *a, types.AUDIT_STATUS_COMMIT)
}

// committedAll reports whether every verifier of the current round has committed.
func committedAll(a types.Audit) bool {
	for _, v := range a.Verifiers {
		if v.Round == a.Round && len(v.Commitment) == 0 {
			return false
		}
	}
	return true
}

// revealsDone reports whether the provider and every verifier of the current round that
// committed have revealed.
func revealsDone(a types.Audit) bool {
	if !a.ProviderRevealed {
		return false
	}
	for _, v := range a.Verifiers {
		if v.Round == a.Round && len(v.Commitment) > 0 && !v.Revealed {
			return false
		}
	}
	return true
}
