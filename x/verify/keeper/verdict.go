package keeper

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// tolerances are the params' trace tolerances, replaced by the model's own where
// governance registered them (honest noise depends on the model's precision).
func (k Keeper) tolerances(ctx context.Context, params types.Params, modelID string) (types.Tolerances, error) {
	m, err := k.provider.GetModel(ctx, modelID)
	if err != nil {
		return types.Tolerances{}, err
	}
	return params.Tolerances().For(m.LogprobTolerance, m.MeanLogprobToleranceMilli, m.MarginTolerance, m.IntervalTolerance), nil
}

// parties returns what the provider and each verifier revealed, for the judge.
func parties(a types.Audit) (types.Party, []types.Party) {
	p := types.Party{Revealed: a.ProviderRevealed, Hash: a.ProviderHash, Trace: a.ProviderTrace}
	vs := make([]types.Party, len(a.Verifiers))
	for i, v := range a.Verifiers {
		vs[i] = types.Party{Revealed: v.Revealed, Hash: v.OutputHash, Trace: v.Trace, Round: v.Round}
	}
	return p, vs
}

// resolve ends a round's reveal phase. Round 1 passes when the provider revealed a trace
// that follows the sampling rule and every verifier that revealed supports it (at least
// one did); any other round-1 outcome with a revealed provider escalates once, drawn in
// the next block. Otherwise the judge decides on everything revealed.
func (k Keeper) resolve(ctx sdk.Context, params types.Params, a *types.Audit, prev types.AuditStatus) error {
	if err := k.indexes.phaseEnded(ctx, a.PhaseDeadline, a.JobId); err != nil {
		return err
	}
	job, err := k.task.GetJob(ctx, a.JobId)
	if err != nil {
		return err
	}
	if j, failed, err := k.judgeComplaints(ctx, *a, job); err != nil || failed {
		if err != nil {
			return err
		}
		return k.verdict(ctx, params, a, prev, job, j)
	}
	tol, err := k.tolerances(ctx, params, a.ModelId)
	if err != nil {
		return err
	}
	p, vs := parties(*a)
	if a.Round == 1 && a.ProviderRevealed {
		if types.RoundPasses(p, vs, 1, job.Sampling, tol) {
			j := types.Judgement{Outcome: types.OutcomePass, Reason: "every verifier that revealed agrees with the provider", Paid: make([]bool, len(vs))}
			for i, v := range vs {
				j.Paid[i] = v.Revealed
			}
			return k.verdict(ctx, params, a, prev, job, j)
		}
		// The escalation set comes from the beacon of the next block: unknown to the
		// proposer that included (or held back) the last message of round 1.
		a.Status = types.AUDIT_STATUS_ESCALATING
		a.PhaseDeadline = ctx.BlockHeight() + 1
		if err := k.indexes.phaseQueued(ctx, *a); err != nil {
			return err
		}
		return k.saveAudit(ctx, *a, prev)
	}
	return k.verdict(ctx, params, a, prev, job, types.Judge(p, vs, job.Sampling, tol))
}

// judgeComplaints decrypts, with the keys the provider disclosed, the openings of the
// round's verifiers that complained. An opening that does not decrypt with its own key,
// or whose tokens, salt and trace hash do not open the job's result commitment, or whose
// key was never disclosed, fails the provider: every verifier that did its part (revealed,
// or complained rightly) is paid. A complaint about a good opening is false: that verifier
// stays unrevealed and is slashed with the verdict.
func (k Keeper) judgeComplaints(ctx context.Context, a types.Audit, job tasktypes.Job) (types.Judgement, bool, error) {
	j := types.Judgement{Outcome: types.OutcomeFail, Paid: make([]bool, len(a.Verifiers))}
	var model []byte
	for i, v := range a.Verifiers {
		j.Paid[i] = v.Revealed
		if v.Round != a.Round || !v.Complained {
			continue
		}
		if model == nil {
			m, err := k.provider.GetModel(ctx, job.ModelId)
			if err != nil {
				return j, false, err
			}
			if model, err = hex.DecodeString(m.Sha256); err != nil {
				return j, false, err
			}
		}
		addr, err := k.addressCodec.StringToBytes(v.Operator)
		if err != nil {
			return j, false, err
		}
		vp, err := k.provider.GetProvider(ctx, addr)
		if errors.Is(err, providertypes.ErrProviderNotFound) {
			continue // it left (possible only with a zero stake): its complaint lapses
		}
		if err != nil {
			return j, false, err
		}
		o, err := types.OpenDisclosed(v.Opening, vp.AuditKey, v.OpeningKey)
		if err == nil && o.Matches(job, model) {
			continue // the opening was good: a false complaint
		}
		j.Paid[i] = true
		if j.Reason == "" {
			j.Reason = fmt.Sprintf("the provider's opening to %s does not hold up", v.Operator)
		}
	}
	return j, j.Reason != "", nil
}

// escalate draws escalation_k verifiers that took no part yet, from this block's beacon,
// and opens round 2; with nobody eligible the judge decides on round 1's reveals.
func (k Keeper) escalate(ctx sdk.Context, params types.Params, a *types.Audit) error {
	if err := k.indexes.phaseEnded(ctx, a.PhaseDeadline, a.JobId); err != nil {
		return err
	}
	job, err := k.task.GetJob(ctx, a.JobId)
	if err != nil {
		return err
	}
	b, err := k.beacon.GetBeacon(ctx, ctx.BlockHeight())
	if err != nil {
		return err
	}
	operator, err := k.addressCodec.StringToBytes(a.Provider)
	if err != nil {
		return err
	}
	prov, err := k.provider.GetProvider(ctx, operator)
	if errors.Is(err, providertypes.ErrProviderNotFound) {
		// Its collateral keeps it registered until the verdict; should it be gone, decide
		// on what round 1 revealed rather than halt the chain.
		return k.judge(ctx, params, a, job)
	}
	if err != nil {
		return err
	}
	// Fresh verifiers: neither an earlier verifier nor the same operator as one (its
	// operator or worker key is one of theirs, SameOperator), so take their workers too.
	// Their workers cannot have changed: no worker changes while an audit is open.
	taken := map[string]bool{}
	for _, v := range a.Verifiers {
		taken[v.Operator] = true
		addr, err := k.addressCodec.StringToBytes(v.Operator)
		if err != nil {
			return err
		}
		vp, err := k.provider.GetProvider(ctx, addr)
		if errors.Is(err, providertypes.ErrProviderNotFound) {
			continue // it left: its keys are free
		}
		if err != nil {
			return err
		}
		taken[vp.Worker] = true
	}
	seed := types.EscalationSeed(b.Output, a.JobId)
	drawn, err := k.drawVerifiers(ctx, params, a.ModelId, seed, int(params.EscalationK), 1, prov, taken)
	if err != nil {
		return err
	}
	if len(drawn) == 0 {
		return k.judge(ctx, params, a, job)
	}
	stats, err := k.stats(ctx)
	if err != nil {
		return err
	}
	stats.Escalations++
	if err := k.Stats.Set(ctx, stats); err != nil {
		return err
	}
	if err := k.emit(ctx, &types.EventAuditEscalated{JobId: a.JobId, Provider: a.Provider}); err != nil {
		return err
	}
	return k.openRound(ctx, params, a, 2, seed, drawn, a.Status)
}

// judge decides an audit on everything revealed so far.
func (k Keeper) judge(ctx sdk.Context, params types.Params, a *types.Audit, job tasktypes.Job) error {
	tol, err := k.tolerances(ctx, params, a.ModelId)
	if err != nil {
		return err
	}
	p, vs := parties(*a)
	return k.verdict(ctx, params, a, a.Status, job, types.Judge(p, vs, job.Sampling, tol))
}

// forfeit ends an audit whose provider did not open the claimed output in time: it fails.
// Verifiers that revealed did their work and are paid; those never opened to are neither
// paid nor slashed; the rest (silent after an opening) are slashed.
func (k Keeper) forfeit(ctx sdk.Context, params types.Params, a *types.Audit) error {
	if err := k.indexes.phaseEnded(ctx, a.PhaseDeadline, a.JobId); err != nil {
		return err
	}
	job, err := k.task.GetJob(ctx, a.JobId)
	if err != nil {
		return err
	}
	j := types.Judgement{
		Outcome: types.OutcomeFail, Reason: "the provider did not open the claimed output to its verifiers in time",
		Paid: make([]bool, len(a.Verifiers)),
	}
	for i, v := range a.Verifiers {
		j.Paid[i] = v.Revealed
	}
	return k.verdict(ctx, params, a, a.Status, job, j)
}

// verdict applies a judgement. Pass: the job settles. Fail: the job is refunded in full
// (its collateral released first), then the provider is slashed max(job collateral,
// provider_slash_fraction × bond), never more than its free bond, so its other open jobs
// stay fully backed, and jailed. Undecided: the submitter is refunded, the provider is
// not paid. Each verifier's stake is released; a paid verifier earns the job's fee from
// the pool and shares the bounty; one never opened to is left alone; every other verifier
// loses its stake. What is slashed and not paid as bounty burns.
func (k Keeper) verdict(ctx sdk.Context, params types.Params, a *types.Audit, prev types.AuditStatus, job tasktypes.Job, j types.Judgement) error {
	stats, err := k.stats(ctx)
	if err != nil {
		return err
	}
	slashed := math.ZeroInt()
	bondDenom := a.Slashed.Denom
	provAddr, err := k.addressCodec.StringToBytes(a.Provider)
	if err != nil {
		return err
	}
	switch j.Outcome {
	case types.OutcomePass:
		stats.Passes++
		if err := k.task.SettleJob(ctx, job); err != nil {
			return err
		}
		if err := k.recordAudit(ctx, provAddr, providertypes.AuditPassed); err != nil {
			return err
		}
	case types.OutcomeUndecided:
		stats.Undecided++
		if err := k.task.RefundAuditedJob(ctx, job); err != nil {
			return err
		}
	case types.OutcomeFail:
		stats.Failures++
		if err := k.task.FailJob(ctx, job); err != nil {
			return err
		}
		if prov, err := k.provider.GetProvider(ctx, provAddr); err == nil {
			bondDenom = prov.Bond.Denom
			amt := math.MaxInt(job.Collateral, params.ProviderSlashFraction.MulInt(prov.Bond.Amount).TruncateInt())
			amt = math.MinInt(amt, math.MaxInt(prov.FreeCollateral(), math.ZeroInt()))
			taken, err := k.slash(ctx, provAddr, amt, true, "provider lost the verdict")
			if err != nil {
				return err
			}
			if taken.IsPositive() {
				stats.ProviderSlashes++
				slashed = slashed.Add(taken)
			}
		} else if !errors.Is(err, providertypes.ErrProviderNotFound) {
			return err
		}
		o := providertypes.AuditFailed
		if !a.ProviderRevealed {
			o = providertypes.AuditMissed
		}
		if err := k.recordAudit(ctx, provAddr, o); err != nil {
			return err
		}
	}
	if err := k.provider.AuditClosed(ctx, provAddr); err != nil {
		return err
	}

	var honest []sdk.AccAddress
	for i, v := range a.Verifiers {
		addr, err := k.addressCodec.StringToBytes(v.Operator)
		if err != nil {
			return err
		}
		if err := k.provider.ReleaseStake(ctx, addr, v.Stake); err != nil {
			return err
		}
		if err := k.provider.AuditClosed(ctx, addr); err != nil {
			return err
		}
		switch {
		case len(v.Opening) == 0:
			continue // the provider never opened the output to it: nothing to judge
		case j.Paid[i]:
			honest = append(honest, addr)
			if err := k.recordAudit(ctx, addr, providertypes.AuditPassed); err != nil {
				return err
			}
			continue
		}
		o, reason := providertypes.AuditFailed, "verifier on the losing side or with a trace no peer confirms"
		if !v.Revealed {
			o, reason = providertypes.AuditMissed, "verifier missed a phase"
		}
		if err := k.recordAudit(ctx, addr, o); err != nil {
			return err
		}
		prov, err := k.provider.GetProvider(ctx, addr)
		if errors.Is(err, providertypes.ErrProviderNotFound) {
			continue // left since the draw
		}
		if err != nil {
			return err
		}
		bondDenom = prov.Bond.Denom
		taken, err := k.slash(ctx, addr, math.MinInt(v.Stake, math.MaxInt(prov.FreeCollateral(), math.ZeroInt())), false, reason)
		if err != nil {
			return err
		}
		if taken.IsPositive() {
			stats.VerifierSlashes++
			slashed = slashed.Add(taken)
		}
	}
	if err := k.payVerifiers(ctx, honest, a.Pay); err != nil {
		return err
	}
	if err := k.payBountyAndBurn(ctx, params, honest); err != nil {
		return err
	}
	a.Slashed = sdk.NewCoin(bondDenom, slashed)
	a.VerdictHeight = ctx.BlockHeight()
	a.Reason = j.Reason
	a.Status = map[types.Outcome]types.AuditStatus{
		types.OutcomePass: types.AUDIT_STATUS_PASSED, types.OutcomeFail: types.AUDIT_STATUS_FAILED,
		types.OutcomeUndecided: types.AUDIT_STATUS_UNDECIDED,
	}[j.Outcome]
	if err := k.Stats.Set(ctx, stats); err != nil {
		return err
	}
	if err := k.schedulePrune(ctx, a.JobId, a.VerdictHeight); err != nil {
		return err
	}
	if err := k.emit(ctx, &types.EventAuditVerdict{
		JobId: a.JobId, Provider: a.Provider, Verdict: a.Status, Slashed: a.Slashed, Reason: a.Reason,
	}); err != nil {
		return err
	}
	return k.saveAudit(ctx, *a, prev)
}

// recordAudit counts an outcome on a provider's record; a provider that has left is
// skipped.
func (k Keeper) recordAudit(ctx context.Context, addr sdk.AccAddress, o providertypes.AuditOutcome) error {
	err := k.provider.RecordAudit(ctx, addr, o)
	if errors.Is(err, providertypes.ErrProviderNotFound) {
		return nil
	}
	return err
}

// slash moves up to amount of a bond into this module's account.
func (k Keeper) slash(ctx sdk.Context, addr sdk.AccAddress, amount math.Int, jail bool, reason string) (math.Int, error) {
	if !amount.IsPositive() {
		if jail {
			// Nothing free to take (its whole bond backs other jobs), but a convicted
			// provider is still jailed.
			return math.ZeroInt(), k.provider.Jail(ctx, addr)
		}
		return math.ZeroInt(), nil
	}
	taken, err := k.provider.Slash(ctx, addr, amount, types.ModuleName, jail)
	if err != nil {
		return math.ZeroInt(), err
	}
	if err := k.emit(ctx, &types.EventAuditPartySlashed{Party: addr.String(), Amount: taken, Reason: reason}); err != nil {
		return math.ZeroInt(), err
	}
	return taken, nil
}

// payVerifiers pays each honest verifier the job's fee from the verification pool, as far
// as the pool reaches (verifiers are paid in draw order).
func (k Keeper) payVerifiers(ctx sdk.Context, honest []sdk.AccAddress, pay sdk.Coin) error {
	if !pay.IsPositive() {
		return nil
	}
	for _, addr := range honest {
		available := k.bank.GetAllBalances(ctx, k.rewards.VerificationPoolAddress()).AmountOf(pay.Denom)
		amt := math.MinInt(available, pay.Amount)
		if !amt.IsPositive() {
			return nil
		}
		if err := k.rewards.PayFromVerificationPool(ctx, addr, rewardstypes.SourceAudits, sdk.NewCoins(sdk.NewCoin(pay.Denom, amt))); err != nil {
			return err
		}
	}
	return nil
}

// payBountyAndBurn empties this module's account: bounty_fraction of it is split equally
// among the honest verifiers, the remainder (and everything when none) is burned.
func (k Keeper) payBountyAndBurn(ctx sdk.Context, params types.Params, honest []sdk.AccAddress) error {
	held := k.bank.GetAllBalances(ctx, k.moduleAddr)
	if held.IsZero() {
		return nil
	}
	if n := int64(len(honest)); n > 0 {
		var share sdk.Coins
		for _, c := range held {
			each := params.BountyFraction.MulInt(c.Amount).TruncateInt().QuoRaw(n)
			if each.IsPositive() {
				share = share.Add(sdk.NewCoin(c.Denom, each))
			}
		}
		if !share.IsZero() {
			for _, addr := range honest {
				if err := k.rewards.Accrue(ctx, types.ModuleName, addr, rewardstypes.SourceBounties, share); err != nil {
					return err
				}
			}
		}
	}
	rest := k.bank.GetAllBalances(ctx, k.moduleAddr)
	if rest.IsZero() {
		return nil
	}
	return k.bank.BurnCoins(ctx, types.ModuleName, rest)
}
