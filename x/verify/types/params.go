package types

import (
	"fmt"

	"cosmossdk.io/math"
)

// DefaultParams follow DESIGN.md's table (a 10% audit rate, one verifier, three more on a
// mismatch, 10-block phases) except the collateral: 15× the fee instead of 1/audit_rate =
// 10×, so that cheating still costs more than it saves when a third of the stake skips
// proposals to dodge audits (effective rate (1−s)p + sp² = 0.07; README, security argument).
func DefaultParams() Params {
	return Params{
		AuditRate:             math.LegacyNewDecWithPrec(10, 2),
		VerifiersPerAudit:     1,
		EscalationK:           3,
		CommitPhaseBlocks:     10,
		RevealPhaseBlocks:     10,
		ProviderSlashFraction: math.LegacyNewDecWithPrec(10, 2),
		VerifierSlashFraction: math.LegacyNewDecWithPrec(2, 2),
		BountyFraction:        math.LegacyNewDecWithPrec(50, 2),
		CollateralMultiplier:  15,
		OpenPhaseBlocks:       10,
		// Tolerances: x/verify README, "Tolerance calibration", measured across CPU kernel
		// variants; honest traces stay far inside them.
		LogprobTolerance:          64,
		MeanLogprobToleranceMilli: 16_000,
		MarginTolerance:           64,
		IntervalTolerance:         1 << 30,
	}
}

// Validate checks every field and the economic admission rule of DESIGN.md: the collateral
// a job locks, slashed with probability audit_rate, outweighs the job's fee, so
// audit_rate × collateral_multiplier ≥ 1 (the lost fee adds to it, making it strict).
func (p Params) Validate() error {
	if err := fraction("audit_rate", p.AuditRate, false); err != nil {
		return err
	}
	if p.VerifiersPerAudit == 0 || p.VerifiersPerAudit > 16 {
		return fmt.Errorf("verifiers_per_audit must be in [1, 16], got %d", p.VerifiersPerAudit)
	}
	if p.EscalationK == 0 || p.EscalationK > 32 {
		return fmt.Errorf("escalation_k must be in [1, 32], got %d", p.EscalationK)
	}
	if p.VerifiersPerAudit == 1 && p.EscalationK < 2 {
		return fmt.Errorf("escalation_k must be at least 2 with one verifier per audit: a conviction needs two verifiers that confirm each other")
	}
	if p.CommitPhaseBlocks == 0 || p.CommitPhaseBlocks > 10_000 {
		return fmt.Errorf("commit_phase_blocks must be in [1, 10000], got %d", p.CommitPhaseBlocks)
	}
	if p.RevealPhaseBlocks == 0 || p.RevealPhaseBlocks > 10_000 {
		return fmt.Errorf("reveal_phase_blocks must be in [1, 10000], got %d", p.RevealPhaseBlocks)
	}
	if err := fraction("provider_slash_fraction", p.ProviderSlashFraction, true); err != nil {
		return err
	}
	if err := fraction("verifier_slash_fraction", p.VerifierSlashFraction, true); err != nil {
		return err
	}
	if err := fraction("bounty_fraction", p.BountyFraction, true); err != nil {
		return err
	}
	if p.OpenPhaseBlocks == 0 || p.OpenPhaseBlocks > 10_000 {
		return fmt.Errorf("open_phase_blocks must be in [1, 10000], got %d", p.OpenPhaseBlocks)
	}
	if p.LogprobTolerance == 0 || p.LogprobTolerance > 64*TraceScale {
		return fmt.Errorf("logprob_tolerance must be in [1, %d] (1/%d nat), got %d", 64*TraceScale, TraceScale, p.LogprobTolerance)
	}
	if p.MeanLogprobToleranceMilli == 0 || uint64(p.MeanLogprobToleranceMilli) > 1000*uint64(p.LogprobTolerance) {
		return fmt.Errorf("mean_logprob_tolerance_milli must be in [1, 1000 × logprob_tolerance], got %d", p.MeanLogprobToleranceMilli)
	}
	if p.MarginTolerance == 0 || p.MarginTolerance > 64*TraceScale {
		return fmt.Errorf("margin_tolerance must be in [1, %d] (1/%d nat), got %d", 64*TraceScale, TraceScale, p.MarginTolerance)
	}
	if p.IntervalTolerance == 0 || p.IntervalTolerance > 1<<31 {
		return fmt.Errorf("interval_tolerance must be in [1, 2^31] (Q32), got %d", p.IntervalTolerance)
	}
	if p.CollateralMultiplier == 0 || p.CollateralMultiplier > 1000 {
		return fmt.Errorf("collateral_multiplier must be in [1, 1000], got %d", p.CollateralMultiplier)
	}
	if p.AuditRate.MulInt64(int64(p.CollateralMultiplier)).LT(math.LegacyOneDec()) {
		return fmt.Errorf("audit_rate %s × collateral_multiplier %d is below 1: a job could be worth more than its expected penalty",
			p.AuditRate, p.CollateralMultiplier)
	}
	return nil
}

// MinVerifiers is how many verifiers of other operators must be drawable for a result to
// be auditable, that is for an audit to be able to convict: a conviction needs two
// credible dissenters against the provider's own vote, and a verifier is credible only
// when a peer of its round confirms it. With two or more verifiers per audit round 1 can
// hold them; with one, the escalation must bring two more.
func (p Params) MinVerifiers() int {
	if p.VerifiersPerAudit >= 2 {
		return int(p.VerifiersPerAudit)
	}
	return 3
}

// ValidateVerificationShare checks the params against x/rewards' verification_share: the
// pool must take in at least what audits pay out, audit_rate × k × fee per job.
func (p Params) ValidateVerificationShare(share math.LegacyDec) error {
	need := p.AuditRate.MulInt64(int64(p.VerifiersPerAudit))
	if share.LT(need) {
		return fmt.Errorf("the rewards verification_share %s is below audit_rate × verifiers_per_audit = %s: the pool could not pay its audits", share, need)
	}
	return nil
}

// fraction checks that d is in (0, 1], or [0, 1] when zero is allowed.
func fraction(name string, d math.LegacyDec, zeroOK bool) error {
	switch {
	case d.IsNil():
		return fmt.Errorf("%s is missing", name)
	case d.IsNegative() || d.GT(math.LegacyOneDec()):
		return fmt.Errorf("%s must be in [0, 1], got %s", name, d)
	case d.IsZero() && !zeroOK:
		return fmt.Errorf("%s must be positive", name)
	}
	return nil
}
