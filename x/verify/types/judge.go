package types

import (
	"bytes"
	"fmt"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// Party is what one side of an audit revealed.
type Party struct {
	Revealed bool
	Hash     []byte
	Trace    Trace
	Round    uint32
}

// Outcome of an audit for the provider.
type Outcome int

const (
	OutcomePass      Outcome = iota // the provider's result holds up
	OutcomeFail                     // it does not, or the provider did not reveal
	OutcomeUndecided                // no majority either way: nobody is convicted
)

// Judgement is the chain's decision on revealed traces.
type Judgement struct {
	Outcome Outcome
	Reason  string
	// Paid[i]: verifier i is on the winning side with a credible trace (paid, not slashed);
	// every other verifier is slashed.
	Paid []bool
}

// supports reports whether a verifier's reveal backs the provider: the same output hash
// (the same tokens and token counts), a trace that follows the job's sampling rule, and
// numbers within tolerance of the provider's.
func supports(v, p Party, s tasktypes.Sampling, tol Tolerances) bool {
	return bytes.Equal(v.Hash, p.Hash) && FollowsSampling(v.Trace, s, tol) < 0 && Close(v.Trace, p.Trace, tol, false)
}

// RoundPasses reports whether a round settles the audit at once: the provider revealed a
// trace that follows the sampling rule, at least one verifier of the round revealed, and
// every verifier of the round that revealed supports the provider.
func RoundPasses(p Party, verifiers []Party, round uint32, s tasktypes.Sampling, tol Tolerances) bool {
	if !p.Revealed || FollowsSampling(p.Trace, s, tol) >= 0 {
		return false
	}
	seen := false
	for _, v := range verifiers {
		if v.Round != round || !v.Revealed {
			continue
		}
		if !supports(v, p, s, tol) {
			return false
		}
		seen = true
	}
	return seen
}

// Judge decides an audit from everything revealed. A verifier counts only if its trace is
// credible (see credibility): a lazy verifier that guessed, or copied an earlier reveal,
// cannot agree with honest peers on numbers it never computed. The provider counts as one vote for itself:
// it passes with at least one credible supporter and more votes than the credible
// dissenters, fails when they outnumber it, and otherwise nobody is convicted.
func Judge(p Party, verifiers []Party, s tasktypes.Sampling, tol Tolerances) Judgement {
	j := Judgement{Paid: make([]bool, len(verifiers))}
	if !p.Revealed {
		j.Outcome, j.Reason = OutcomeFail, "the provider did not reveal its result"
		j.payCredible(verifiers, tol, func(Party) bool { return true })
		return j
	}
	if i := FollowsSampling(p.Trace, s, tol); i >= 0 {
		j.Outcome, j.Reason = OutcomeFail, fmt.Sprintf("the provider's own trace breaks the sampling rule at position %d", i)
		j.payCredible(verifiers, tol, func(Party) bool { return true })
		return j
	}
	credible := credibility(verifiers, tol)
	var support, dissent int
	for i, v := range verifiers {
		if !credible[i] {
			continue
		}
		if supports(v, p, s, tol) {
			support++
		} else {
			dissent++
		}
	}
	votes := 1 + support
	switch {
	case support >= 1 && votes > dissent:
		j.Outcome = OutcomePass
		j.Reason = fmt.Sprintf("%d credible verifier(s) agree with the provider, %d disagree", support, dissent)
		j.payCredible(verifiers, tol, func(v Party) bool { return supports(v, p, s, tol) })
	case dissent > votes:
		j.Outcome = OutcomeFail
		j.Reason = fmt.Sprintf("%d credible verifier(s) disagree with the provider, %d agree", dissent, support)
		j.payCredible(verifiers, tol, func(v Party) bool { return !supports(v, p, s, tol) })
	default:
		j.Outcome = OutcomeUndecided
		j.Reason = fmt.Sprintf("no majority: %d credible verifier(s) agree with the provider, %d disagree", support, dissent)
		j.payCredible(verifiers, tol, func(Party) bool { return true })
	}
	return j
}

// payCredible marks as paid every credible verifier on the winning side.
func (j *Judgement) payCredible(verifiers []Party, tol Tolerances, winning func(Party) bool) {
	credible := credibility(verifiers, tol)
	for i, v := range verifiers {
		j.Paid[i] = credible[i] && winning(v)
	}
}

// credibility marks the revealed verifiers whose trace another verifier confirms: the
// same output hash and traces within tolerance. An escalation verifier needs a peer of its
// own round, with the round's challenge values compared: the earlier rounds' reveals are
// public, so agreeing with them proves nothing, while nobody could know the challenge
// values without running the model. A first-round verifier (its commitment was blind) may
// be confirmed by a peer of its round or by a confirmed later one. A lone revealer is
// credible: nobody contradicts it.
func credibility(verifiers []Party, tol Tolerances) []bool {
	out := make([]bool, len(verifiers))
	var revealed []int
	for i, v := range verifiers {
		if v.Revealed {
			revealed = append(revealed, i)
		}
	}
	if len(revealed) == 1 {
		out[revealed[0]] = true
		return out
	}
	peers := func(a, b Party, challenge bool) bool {
		return bytes.Equal(a.Hash, b.Hash) && Close(a.Trace, b.Trace, tol, challenge)
	}
	for _, i := range revealed {
		for _, k := range revealed {
			if k != i && verifiers[i].Round > 1 && verifiers[k].Round == verifiers[i].Round && peers(verifiers[i], verifiers[k], true) {
				out[i] = true
			}
		}
	}
	for _, i := range revealed {
		if verifiers[i].Round > 1 {
			continue
		}
		for _, k := range revealed {
			a, b := verifiers[i], verifiers[k]
			if k != i && ((b.Round == a.Round && peers(a, b, true)) || (b.Round > a.Round && out[k] && peers(a, b, false))) {
				out[i] = true
			}
		}
	}
	return out
}
