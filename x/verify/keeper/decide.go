package keeper

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/height"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// DecideAudit is called by x/task at the job's decision height X: the job is audited iff
// sha256("sovra/job/v1" ‖ beacon(X) ‖ job_id) maps below audit_rate. An audited job gets
// its first-round verifiers from the same seed; when none can be drawn the job is refunded
// (no result is paid without a real chance of audit).
func (k Keeper) DecideAudit(ctx context.Context, job tasktypes.Job) (tasktypes.AuditDecision, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	b, err := k.beacon.GetBeacon(ctx, h)
	if err != nil {
		return 0, err
	}
	stats, err := k.stats(ctx)
	if err != nil {
		return 0, err
	}
	stats.Decisions++
	if b.Weak {
		stats.WeakBeaconDecisions++
	}
	seed := types.AuditSeed(b.Output, job.Id)
	if !types.Audited(seed, params.AuditRate) {
		return tasktypes.DecisionSettle, k.Stats.Set(ctx, stats)
	}
	operator, err := k.addressCodec.StringToBytes(job.Provider)
	if err != nil {
		return 0, err
	}
	prov, err := k.provider.GetProvider(ctx, operator)
	if err != nil {
		return 0, err
	}
	// With fewer drawable verifiers than MinVerifiers an audit could never convict, so it
	// is not one.
	drawn, err := k.drawVerifiers(ctx, params, job.ModelId, seed, int(params.VerifiersPerAudit), params.MinVerifiers(), prov, nil)
	if err != nil {
		return 0, err
	}
	if len(drawn) == 0 {
		stats.Unverifiable++
		if err := k.emit(ctx, &types.EventAuditVerdict{
			JobId: job.Id, Provider: job.Provider, Verdict: types.AUDIT_STATUS_UNVERIFIABLE,
		}); err != nil {
			return 0, err
		}
		return tasktypes.DecisionRefund, k.Stats.Set(ctx, stats)
	}
	stats.Audits++
	if err := k.Stats.Set(ctx, stats); err != nil {
		return 0, err
	}
	a := types.Audit{
		JobId: job.Id, Provider: job.Provider, ModelId: job.ModelId, Profile: prov.Profile,
		DecisionHeight: h, WeakBeacon: b.Weak, Pay: job.Fee(),
		Slashed: sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt()),
	}
	if err := k.indexes.opened(ctx, a.JobId, operator); err != nil {
		return 0, err
	}
	if err := k.provider.AuditOpened(ctx, operator); err != nil {
		return 0, err
	}
	if err := k.emit(ctx, &types.EventAuditStarted{JobId: job.Id, Provider: job.Provider}); err != nil {
		return 0, err
	}
	return tasktypes.DecisionAudit, k.openRound(sdkCtx, params, &a, 1, seed, drawn, types.AUDIT_STATUS_UNSPECIFIED)
}

// CanVerify reports whether the params' MinVerifiers verifiers could be drawn for a
// result of provider: x/task assigns a job only to a provider whose result an audit could
// convict.
func (k Keeper) CanVerify(ctx context.Context, modelID string, seed []byte, provider providertypes.Provider) (bool, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return false, err
	}
	n := params.MinVerifiers()
	found, err := k.provider.DrawVerifiers(ctx, modelID, seed, n, provider, func(c providertypes.Provider) bool {
		return c.FreeCollateral().LT(verifierStake(params, c))
	})
	return len(found) >= n, err
}

// verifierStake is what a verifier locks while drawn: verifier_slash_fraction × its bond.
func verifierStake(params types.Params, p providertypes.Provider) math.Int {
	return params.VerifierSlashFraction.MulInt(p.Bond.Amount).TruncateInt()
}

// drawnVerifier is a drawn provider and the stake it locks.
type drawnVerifier struct {
	operator string
	addr     sdk.AccAddress
	stake    math.Int
}

// drawVerifiers draws up to n verifiers of provider's job (x/provider's DrawVerifiers:
// any hardware, never the provider's operator), skipping those whose operator or worker
// key is in taken (the keys of earlier rounds' verifiers) and those whose
// free bond cannot back their stake, and locks each one's stake. It draws none when fewer
// than need are drawable: one draw of max(n, need) answers both, since a draw's first n
// verifiers are the draw of n with the same seed.
func (k Keeper) drawVerifiers(ctx context.Context, params types.Params, modelID string, seed []byte, n, need int,
	provider providertypes.Provider, taken map[string]bool,
) ([]drawnVerifier, error) {
	drawn, err := k.provider.DrawVerifiers(ctx, modelID, seed, max(n, need), provider, func(c providertypes.Provider) bool {
		return taken[c.Operator] || taken[c.Worker] || c.FreeCollateral().LT(verifierStake(params, c))
	})
	if err != nil || len(drawn) < need {
		return nil, err
	}
	drawn = drawn[:min(n, len(drawn))]
	out := make([]drawnVerifier, 0, len(drawn))
	for _, p := range drawn {
		addr, err := k.addressCodec.StringToBytes(p.Operator)
		if err != nil {
			return nil, err
		}
		stake := verifierStake(params, p)
		if err := k.provider.LockStake(ctx, addr, stake); err != nil {
			return nil, err
		}
		if err := k.provider.AuditOpened(ctx, addr); err != nil {
			return nil, err
		}
		out = append(out, drawnVerifier{operator: p.Operator, addr: addr, stake: stake})
	}
	return out, nil
}

// openRound adds a round's verifiers and opens its OPEN phase: the provider seals the
// claimed output to each of them.
func (k Keeper) openRound(ctx sdk.Context, params types.Params, a *types.Audit, round uint32, seed []byte, drawn []drawnVerifier, prev types.AuditStatus) error {
	a.Round = round
	a.Status = types.AUDIT_STATUS_OPEN
	a.PhaseDeadline = height.Plus(ctx.BlockHeight(), params.OpenPhaseBlocks)
	a.ChallengeSeeds = append(a.ChallengeSeeds, seed)
	for _, d := range drawn {
		a.Verifiers = append(a.Verifiers, types.Verifier{Operator: d.operator, Round: round, Stake: d.stake})
		if err := k.indexes.verifierDrawn(ctx, a.JobId, d.addr); err != nil {
			return err
		}
		if err := k.emit(ctx, &types.EventAuditVerifier{
			JobId: a.JobId, Verifier: d.operator, Round: round, Deadline: a.PhaseDeadline,
		}); err != nil {
			return err
		}
	}
	if err := k.indexes.phaseQueued(ctx, *a); err != nil {
		return err
	}
	return k.saveAudit(ctx, *a, prev)
}

// movePhase requeues an audit at the new phase's deadline (COMMIT or REVEAL), announces the
// phase and saves the audit.
func (k Keeper) movePhase(ctx sdk.Context, a *types.Audit, status types.AuditStatus, blocks uint64) error {
	prev := a.Status
	if err := k.indexes.phaseEnded(ctx, a.PhaseDeadline, a.JobId); err != nil {
		return err
	}
	a.Status = status
	a.PhaseDeadline = height.Plus(ctx.BlockHeight(), blocks)
	if err := k.indexes.phaseQueued(ctx, *a); err != nil {
		return err
	}
	var err error
	if status == types.AUDIT_STATUS_REVEAL {
		err = k.emit(ctx, &types.EventAuditRevealOpen{JobId: a.JobId, Provider: a.Provider, Round: a.Round, Deadline: a.PhaseDeadline})
	} else {
		err = k.emit(ctx, &types.EventAuditCommitOpen{JobId: a.JobId, Provider: a.Provider, Round: a.Round, Deadline: a.PhaseDeadline})
	}
	if err != nil {
		return err
	}
	return k.saveAudit(ctx, *a, prev)
}

// openCommit ends the OPEN phase once the provider opened the claimed output to every
// verifier of the round.
func (k Keeper) openCommit(ctx sdk.Context, params types.Params, a *types.Audit) error {
	return k.movePhase(ctx, a, types.AUDIT_STATUS_COMMIT, params.CommitPhaseBlocks)
}

// openReveal ends the commit phase (early when every verifier of the round committed) and
// opens the reveal phase; it resolves at once when nobody is left to reveal.
func (k Keeper) openReveal(ctx sdk.Context, params types.Params, a *types.Audit) error {
	if revealsDone(*a) {
		prev := a.Status
		a.Status = types.AUDIT_STATUS_REVEAL
		return k.resolve(ctx, params, a, prev)
	}
	return k.movePhase(ctx, a, types.AUDIT_STATUS_REVEAL, params.RevealPhaseBlocks)
}

// committedAll reports whether every verifier of the current round has committed or
// complained.
func committedAll(a types.Audit) bool {
	for _, v := range a.Verifiers {
		if v.Round == a.Round && len(v.Commitment) == 0 && !v.Complained {
			return false
		}
	}
	return true
}

// revealsDone reports whether the provider and every verifier of the current round that
// committed have revealed, and the provider disclosed the opening of every complainer.
func revealsDone(a types.Audit) bool {
	if !a.ProviderRevealed {
		return false
	}
	for _, v := range a.Verifiers {
		if v.Round != a.Round {
			continue
		}
		if (len(v.Commitment) > 0 && !v.Revealed) || (v.Complained && len(v.OpeningKey) == 0) {
			return false
		}
	}
	return true
}
