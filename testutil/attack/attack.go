// Package attack implements dishonest workers as worker.Options hooks, so that end-to-end
// tests can run them against the real chain: a provider that cheats on a fraction of its
// jobs (Options.Tamper), a lazy verifier that commits without re-running the job and a
// griefing verifier that re-runs it and commits a wrong hash anyway (Options.Verify).
//
// Tests only: shipped code never imports this package.
package attack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/inference"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
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

// CheatOnFraction returns an Options.Tamper that replaces the result of the jobs Cheats
// selects with Wrong(result), and leaves the other results alone.
func CheatOnFraction(c float64, seed uint64) func(tasktypes.Job, inference.Result) inference.Result {
	return func(job tasktypes.Job, out inference.Result) inference.Result {
		if !Cheats(c, seed, job.Id) {
			return out
		}
		return Wrong(out)
	}
}

// Wrong returns a plausible but wrong result: the same prompt tokens and the output cut to
// its first half (a provider saving half of the decoding work), with the text cut in the
// same proportion. An output too short to halve has its one token replaced by a prompt
// token that differs from it (or gets one appended when empty), so the output token ids,
// and with them the output hash, always differ from the honest ones. The input is not
// modified.
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
		w.Stop = inference.StopMaxTokens
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
	return w
}

// LazyVerify is a VerifyFunc of a verifier that commits without re-running the job: a
// random 32-byte "output hash", which matches the honest one with probability 2^-256.
func LazyVerify(_ context.Context, _ *worker.Worker, _ tasktypes.Job) ([32]byte, error) {
	var h [32]byte
	if _, err := rand.Read(h[:]); err != nil {
		return h, fmt.Errorf("lazy verifier: %w", err)
	}
	return h, nil
}

// GriefingVerify is a VerifyFunc of a verifier that re-runs the job honestly and then
// commits WrongHash of the true output hash: it reports a mismatch on every audit it is
// drawn for, to get honest providers slashed.
func GriefingVerify(ctx context.Context, w *worker.Worker, job tasktypes.Job) ([32]byte, error) {
	h, err := worker.HonestVerify(ctx, w, job)
	if err != nil {
		return h, err
	}
	return WrongHash(h), nil
}

// WrongHash is a hash that differs from h: sha256 of a domain and h.
func WrongHash(h [32]byte) [32]byte {
	return sha256.Sum256(append([]byte("sovra/attack/grief/v1"), h[:]...))
}

// Compile-time checks that the verifiers fit worker.Options.Verify.
var (
	_ worker.VerifyFunc = LazyVerify
	_ worker.VerifyFunc = GriefingVerify
)
