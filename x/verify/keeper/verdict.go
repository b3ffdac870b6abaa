package keeper

import (
	"bytes"
	"context"
	"errors"
	"sort"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// resolve ends a round's reveal phase. Round 1 passes when the provider revealed and every
// verifier that revealed agrees with it (at least one did); any other round-1 outcome with
// a revealed provider escalates once to escalation_k fresh verifiers. Otherwise (round 2,
// no verifier left to draw, or a provider that did not reveal) the majority of all reveals
// decides; a party that did not reveal counts as wrong.
func (k Keeper) resolve(ctx sdk.Context, params types.Params, a *types.Audit, prev types.AuditStatus) error {
	if err := k.PhaseQueue.Remove(ctx, collections.Join(a.PhaseDeadline, a.JobId)); err != nil {
		return err
	}
	if a.Round == 1 && a.ProviderRevealed {
		agreed, any := true, false
		for _, v := range a.Verifiers {
			if v.Revealed {
				any = true
				agreed = agreed && bytes.Equal(v.OutputHash, a.ProviderHash)
			}
		}
		if any && agreed {
			return k.verdict(ctx, params, a, prev, [][]byte{a.ProviderHash})
		}
		escalated, err := k.escalate(ctx, params, a, prev)
		if err != nil || escalated {
			return err
		}
	}
	return k.verdict(ctx, params, a, prev, majority(*a))
}

// escalate draws escalation_k verifiers that took no part yet and opens round 2. It
// returns false when none is eligible.
func (k Keeper) escalate(ctx sdk.Context, params types.Params, a *types.Audit, prev types.AuditStatus) (bool, error) {
	b, err := k.beacon.GetBeacon(ctx, ctx.BlockHeight())
	if err != nil {
		return false, err
	}
	operator, err := sdk.AccAddressFromBech32(a.Provider)
	if err != nil {
		return false, err
	}
	prov, err := k.provider.GetProvider(ctx, operator)
	if err != nil {
		return false, nil // the provider left: decide with what was revealed
	}
	taken := map[string]bool{}
	for _, v := range a.Verifiers {
		taken[v.Operator] = true
	}
	drawn, err := k.provider.DrawVerifiers(ctx, a.ModelId, types.EscalationSeed(b.Output, a.JobId), int(params.EscalationK), prov,
		func(p providertypes.Provider) bool { return taken[p.Operator] })
	if err != nil || len(drawn) == 0 {
		return false, err
	}
	stats, err := k.stats(ctx)
	if err != nil {
		return false, err
	}
	stats.Escalations++
	if err := k.Stats.Set(ctx, stats); err != nil {
		return false, err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventAuditEscalate,
		sdk.NewAttribute(types.AttrJobID, u64(a.JobId)),
		sdk.NewAttribute(types.AttrProvider, a.Provider),
	))
	return true, k.openRound(ctx, params, a, 2, drawn, prev)
}

// majority returns the output hashes with the most reveals (several on a tie, none when
// nobody revealed), in byte order.
func majority(a types.Audit) [][]byte {
	count := map[string]int{}
	if a.ProviderRevealed {
		count[string(a.ProviderHash)]++
	}
	for _, v := range a.Verifiers {
		if v.Revealed {
			count[string(v.OutputHash)]++
		}
	}
	best := 0
	for _, c := range count {
		best = max(best, c)
	}
	var out [][]byte
	for h, c := range count {
		if c == best {
			out = append(out, []byte(h))
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out
}

func contains(set [][]byte, h []byte) bool {
	for _, s := range set {
		if bytes.Equal(s, h) {
			return true
		}
	}
	return false
}

// outcome of an audit, from the provider's side.
type outcome int

const (
	outcomePass      outcome = iota // the provider revealed the only winning hash
	outcomeFail                     // it did not reveal, or another hash won outright
	outcomeUndecided                // its hash tied with another: no majority either way
)

// outcomeOf judges the provider against the winning hashes.
func outcomeOf(a types.Audit, winners [][]byte) outcome {
	switch {
	case !a.ProviderRevealed || !contains(winners, a.ProviderHash):
		return outcomeFail
	case len(winners) > 1:
		return outcomeUndecided
	}
	return outcomePass
}

// verdict applies the outcome. Pass: the job settles. Fail: the submitter is refunded in
// full and the provider slashed and jailed. Undecided (a tie with the provider's hash):
// the submitter is refunded, nobody on a tied side is slashed. Verifiers with a winning
// hash (on a tie: every hash that tied) are paid the job's fee from the pool and share the
// bounty; the others (dissent or silence) are slashed; what is slashed and not paid as
// bounty burns.
func (k Keeper) verdict(ctx sdk.Context, params types.Params, a *types.Audit, prev types.AuditStatus, winners [][]byte) error {
	job, err := k.task.GetJob(ctx, a.JobId)
	if err != nil {
		return err
	}
	result := outcomeOf(*a, winners)
	stats, err := k.stats(ctx)
	if err != nil {
		return err
	}
	slashed := math.ZeroInt()
	bondDenom := ""
	provAddr, err := sdk.AccAddressFromBech32(a.Provider)
	if err != nil {
		return err
	}
	switch result {
	case outcomePass:
		stats.Passes++
		if err := k.task.SettleJob(ctx, job); err != nil {
			return err
		}
		if err := k.recordAudit(ctx, provAddr, providertypes.AuditPassed); err != nil {
			return err
		}
	case outcomeUndecided:
		stats.Undecided++
		if err := k.task.RefundAuditedJob(ctx, job); err != nil {
			return err
		}
	case outcomeFail:
		stats.Failures++
		if prov, err := k.provider.GetProvider(ctx, provAddr); err == nil {
			bondDenom = prov.Bond.Denom
			amt := math.MaxInt(job.Collateral, params.ProviderSlashFraction.MulInt(prov.Bond.Amount).TruncateInt())
			taken, err := k.slash(ctx, provAddr, amt, true, "provider lost the verdict")
			if err != nil {
				return err
			}
			if taken.IsPositive() {
				stats.ProviderSlashes++
				slashed = slashed.Add(taken)
			}
		}
		o := providertypes.AuditFailed
		if !a.ProviderRevealed {
			o = providertypes.AuditMissed
		}
		if err := k.recordAudit(ctx, provAddr, o); err != nil {
			return err
		}
		if err := k.task.FailJob(ctx, job); err != nil {
			return err
		}
	}

	var honest []sdk.AccAddress
	for _, v := range a.Verifiers {
		addr, err := sdk.AccAddressFromBech32(v.Operator)
		if err != nil {
			return err
		}
		if v.Revealed && contains(winners, v.OutputHash) {
			honest = append(honest, addr)
			if err := k.recordAudit(ctx, addr, providertypes.AuditPassed); err != nil {
				return err
			}
			continue
		}
		o, reason := providertypes.AuditFailed, "verifier on the losing side"
		if !v.Revealed {
			o, reason = providertypes.AuditMissed, "verifier missed a phase"
		}
		if err := k.recordAudit(ctx, addr, o); err != nil {
			return err
		}
		prov, err := k.provider.GetProvider(ctx, addr)
		if err != nil {
			continue // left since the draw
		}
		bondDenom = prov.Bond.Denom
		taken, err := k.slash(ctx, addr, params.VerifierSlashFraction.MulInt(prov.Bond.Amount).TruncateInt(), false, reason)
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
	if bondDenom == "" {
		bondDenom = a.Slashed.Denom
	}
	a.Slashed = sdk.NewCoin(bondDenom, slashed)
	a.VerdictHeight = ctx.BlockHeight()
	verdict := map[outcome]string{outcomePass: "passed", outcomeFail: "failed", outcomeUndecided: "undecided"}[result]
	a.Status = map[outcome]types.AuditStatus{outcomePass: types.AUDIT_STATUS_PASSED, outcomeFail: types.AUDIT_STATUS_FAILED,
		outcomeUndecided: types.AUDIT_STATUS_UNDECIDED}[result]
	if err := k.Stats.Set(ctx, stats); err != nil {
		return err
	}
	if err := k.schedulePrune(ctx, a.JobId, a.VerdictHeight); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventAuditVerdict,
		sdk.NewAttribute(types.AttrJobID, u64(a.JobId)),
		sdk.NewAttribute(types.AttrProvider, a.Provider),
		sdk.NewAttribute(types.AttrVerdict, verdict),
		sdk.NewAttribute(types.AttrAmount, a.Slashed.String()),
	))
	return k.saveAudit(ctx, *a, prev)
}

// recordAudit counts an outcome on a provider's record; a provider that has left (a
// verifier locks nothing, so it may unbond during an audit) is skipped.
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
		return math.ZeroInt(), nil
	}
	taken, err := k.provider.Slash(ctx, addr, amount, types.ModuleName, jail)
	if err != nil {
		return math.ZeroInt(), err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventPartySlashed,
		sdk.NewAttribute(types.AttrParty, addr.String()),
		sdk.NewAttribute(types.AttrAmount, taken.String()),
		sdk.NewAttribute(types.AttrReason, reason),
	))
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
