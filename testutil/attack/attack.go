// Package attack implements dishonest workers as the worker's test hooks, so that end-to-end
// tests can run them against the real chain: a provider that cheats on a fraction of its
// jobs (Hooks.Tamper), a lazy verifier that commits without re-running the job and a
// griefing verifier that re-scores it and reveals a wrong trace anyway (Hooks.Verify). The
// worker's tests pass them to worker.NewWithHooks (worker/export_test.go); the shipped
// worker's Options have no such hooks.
//
// Tests only: shipped code never imports this package.
package attack

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/inference"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// cheatDomain separates the cheat selection from every hash the chain computes.
const cheatDomain = "sovra/attack/cheat/v1"

// Cheats reports whether a provider cheating on the fraction c of its jobs with this
// seed cheats on job jobID: sha256(domain ‖ seed ‖ job id), its first 8 bytes read as a
// big-endian fraction of 2^64, is below c. The choice depends on nothing else, so a test
// knows in advance which job ids the cheater will tamper with. c ≤ 0 never cheats, c ≥ 1
// always does.
func Cheats(c float64, seed, jobID uint64) bool {
	switch {
	case c <= 0 || math.IsNaN(c):
		return false
	case c >= 1:
		return true
	}
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], seed)
	binary.BigEndian.PutUint64(buf[8:], jobID)
	h := sha256.New()
	h.Write([]byte(cheatDomain))
	h.Write(buf[:])
	x := binary.BigEndian.Uint64(h.Sum(nil)[:8])
	// c < 1, so c·2^64 < 2^64 fits (the float64 rounding moves the threshold by at most
	// 2^-53 of a unit fraction).
	return x < uint64(c*(1<<64))
}

// CheatOnFraction returns a Hooks.Tamper that replaces the result of the jobs Cheats
// selects with Wrong(result), and leaves the other results alone.
func CheatOnFraction(c float64, seed uint64) func(tasktypes.Job, inference.Result) inference.Result {
	return func(job tasktypes.Job, out inference.Result) inference.Result {
		if !Cheats(c, seed, job.Id) {
			return out
		}
		return Wrong(out)
	}
}

// EOS is the end-of-generation token Wrong claims when the honest output ended at max
// tokens: </s> of llama's SentencePiece vocabularies (the demo model's, internal/gguf).
const EOS = 2

// Wrong returns a plausible but wrong result: the same prompt tokens and the output cut to
// its first half (a provider saving half of the decoding work), claimed to end there on
// an end-of-generation token (the honest one, or EOS), with the text cut in the same
// proportion. An output too short to halve has its one token replaced by a prompt token
// that differs from it (or gets one appended when empty), so the output token ids, and
// with them the output hash, always differ from the honest ones. The trace is the one a
// cheater must reveal to pass its own check: at every claimed position the claimed token
// is the top one, with the honest trace's top value (ArgmaxTrace); only a verifier that
// re-scores the claimed tokens sees that they are not what the model predicts. The input
// is not modified.
func Wrong(out inference.Result) inference.Result {
	w := out
	w.PromptTokens = append([]uint32(nil), out.PromptTokens...)
	n := len(out.OutputTokens)
	switch {
	case n >= 2:
		keep := n / 2
		w.OutputTokens = append([]uint32(nil), out.OutputTokens[:keep]...)
		runes := []rune(out.Text)
		w.Text = string(runes[:len(runes)*keep/n])
		w.Stop = inference.StopEOS
		if w.StopToken == tasktypes.NoStopToken {
			w.StopToken = EOS
		}
	default:
		tok := uint32(1)
		for _, p := range out.PromptTokens {
			if n == 0 || p != out.OutputTokens[0] {
				tok = p
				break
			}
		}
		if n == 1 && tok == out.OutputTokens[0] {
			tok++
		}
		w.OutputTokens = []uint32{tok}
		w.Text = ""
	}
	claimed := tasktypes.Claimed{OutputTokens: w.OutputTokens, StopToken: w.StopToken}
	w.Trace = ArgmaxTrace(out.Trace, claimed.Positions())
	return w
}

// ArgmaxTrace is a made-up trace of n positions that claims the top token at each: chosen
// = top = the top value of the honest trace t at that position (its last position past
// its end). Intervals, when t has them, are copied the same way. Empty when t is (a
// backend that records no trace: the worker then re-scores the claimed output itself).
func ArgmaxTrace(t verifytypes.Trace, n int) verifytypes.Trace {
	if t.Len() == 0 {
		return verifytypes.Trace{}
	}
	out := verifytypes.Trace{Chosen: make([]int32, n), Top: make([]int32, n)}
	if len(t.Lo) > 0 {
		out.Lo, out.Hi = make([]uint64, n), make([]uint64, n)
	}
	for i := range n {
		src := min(i, t.Len()-1)
		out.Chosen[i], out.Top[i] = t.Top[src], t.Top[src]
		if out.Lo != nil {
			out.Lo[i], out.Hi[i] = t.Lo[src], t.Hi[src]
		}
	}
	return out
}

// LazyVerify is a VerifyFunc of a verifier that does not run the model: it gets the
// output hash right (tokenizing the prompt is cheap) but guesses the trace: every claimed
// token the top one with a log-probability of 0, every challenge token at -8 nats.
func LazyVerify(_ context.Context, w *worker.Worker, job tasktypes.Job, a verifytypes.Audit, claimed tasktypes.Claimed) (worker.Verification, error) {
	prompt, err := w.Tokenize(job.ModelId, job.Prompt)
	if err != nil {
		return worker.Verification{}, fmt.Errorf("lazy verifier: %w", err)
	}
	claimed.PromptTokens = prompt
	hash, err := w.OutputHash(job, claimed)
	return worker.Verification{Hash: hash, Trace: GuessedTrace(claimed.Positions(), job.Sampling)}, err
}

// GuessedTrace is the trace of a verifier that runs no model.
func GuessedTrace(n int, s tasktypes.Sampling) verifytypes.Trace {
	t := verifytypes.Trace{Chosen: make([]int32, n), Top: make([]int32, n), Challenge: make([]int32, n)}
	for i := range t.Challenge {
		t.Challenge[i] = -8 * verifytypes.TraceScale
	}
	if s.TemperatureMilli > 0 {
		t.Lo, t.Hi = make([]uint64, n), make([]uint64, n)
		for i := range t.Hi {
			t.Hi[i] = verifytypes.Q32
		}
	}
	return t
}

// CopyVerify is a VerifyFunc of an escalation verifier that copies what round 1 made
// public: the provider's revealed output hash and trace, with guessed challenge values.
// In round 1 (nothing revealed yet) it behaves as LazyVerify.
func CopyVerify(ctx context.Context, w *worker.Worker, job tasktypes.Job, a verifytypes.Audit, claimed tasktypes.Claimed) (worker.Verification, error) {
	if !a.ProviderRevealed {
		return LazyVerify(ctx, w, job, a, claimed)
	}
	t := a.ProviderTrace
	t.Challenge = GuessedTrace(t.Len(), job.Sampling).Challenge
	return worker.Verification{Hash: [32]byte(a.ProviderHash), Trace: t}, nil
}

// GriefingVerify is a VerifyFunc of a verifier that re-scores honestly and then reports
// every claimed token 4 nats below the top one: a mismatch on every audit it is drawn
// for, to get honest providers slashed.
func GriefingVerify(ctx context.Context, w *worker.Worker, job tasktypes.Job, a verifytypes.Audit, claimed tasktypes.Claimed) (worker.Verification, error) {
	v, err := worker.HonestVerify(ctx, w, job, a, claimed)
	if err != nil {
		return v, err
	}
	v.Trace = GriefTrace(v.Trace)
	return v, nil
}

// GriefTrace moves every claimed token of a trace 4 nats below the top.
func GriefTrace(t verifytypes.Trace) verifytypes.Trace {
	g := t
	g.Chosen = make([]int32, len(t.Chosen))
	for i := range t.Chosen {
		g.Chosen[i] = t.Top[i] - 4*verifytypes.TraceScale
	}
	return g
}

// Compile-time checks that the verifiers fit Hooks.Verify (a worker.VerifyFunc).
var (
	_ worker.VerifyFunc = LazyVerify
	_ worker.VerifyFunc = CopyVerify
	_ worker.VerifyFunc = GriefingVerify
)
