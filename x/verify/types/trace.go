package types

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// TraceScale is the unit of a trace's log-probabilities: 1/1024 nat.
const TraceScale = 1024

// Q32 is the denominator of a sampled position's interval ends.
const Q32 = uint64(1) << 32

// traceDomain separates trace hashes from every other sha256 in the protocol.
const traceDomain = "sovra/trace/v1"

// Hash is sha256 of a length-prefixed encoding of every field, in field order: what a
// result or verifier commitment binds.
func (t Trace) Hash() [32]byte {
	h := sha256.New()
	h.Write([]byte(traceDomain))
	var buf [8]byte
	putU64 := func(v uint64) {
		binary.BigEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	for _, f := range [][]int32{t.Chosen, t.Top} {
		putU64(uint64(len(f)))
		for _, v := range f {
			putU64(uint64(int64(v))) //nolint:gosec // G115: two's complement of the int32, the encoding hashed
		}
	}
	for _, f := range [][]uint64{t.Lo, t.Hi} {
		putU64(uint64(len(f)))
		for _, v := range f {
			putU64(v)
		}
	}
	putU64(uint64(len(t.Challenge)))
	for _, v := range t.Challenge {
		putU64(uint64(int64(v))) //nolint:gosec // G115: two's complement of the int32, the encoding hashed
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Len is the number of positions the trace covers.
func (t Trace) Len() int { return len(t.Chosen) }

// CheckShape checks that the trace covers n positions with the fields its role needs:
// intervals iff the job is sampled, challenge values iff it is a verifier's.
func (t Trace) CheckShape(n int, sampled, verifier bool) error {
	want := func(name string, got, n int) error {
		if got != n {
			return fmt.Errorf("trace %s has %d values, want %d", name, got, n)
		}
		return nil
	}
	ni, nc := 0, 0
	if sampled {
		ni = n
	}
	if verifier {
		nc = n
	}
	for _, c := range []struct {
		name   string
		got, n int
	}{{"chosen", len(t.Chosen), n}, {"top", len(t.Top), n}, {"lo", len(t.Lo), ni}, {"hi", len(t.Hi), ni}, {"challenge", len(t.Challenge), nc}} {
		if err := want(c.name, c.got, c.n); err != nil {
			return err
		}
	}
	for i := range t.Lo {
		if t.Lo[i] > t.Hi[i] || t.Hi[i] > Q32 {
			return fmt.Errorf("trace interval %d is [%d, %d), not within [0, 2^32]", i, t.Lo[i], t.Hi[i])
		}
	}
	return nil
}

// ValidTraceLength reports whether a trace of n positions fits the job's reported token
// count: n = output_tokens + 1 (stopped on an end-of-generation token), or n =
// output_tokens when that is max_output_tokens. Anything else means the reported count
// does not describe the tokens that were committed.
func ValidTraceLength(job tasktypes.Job, n int) bool {
	if n < 0 {
		return false
	}
	out := uint64(n)
	return out == job.OutputTokens+1 || (out == job.OutputTokens && job.OutputTokens == job.MaxOutputTokens)
}

// Tolerances are the integer bounds of trace checks, from Params.
type Tolerances struct {
	Logprob, MeanMilli, Margin, Interval uint64
}

// Tolerances returns the params' trace tolerances.
func (p Params) Tolerances() Tolerances {
	return Tolerances{
		Logprob: uint64(p.LogprobTolerance), MeanMilli: uint64(p.MeanLogprobToleranceMilli),
		Margin: uint64(p.MarginTolerance), Interval: uint64(p.IntervalTolerance),
	}
}

// For replaces each tolerance with the model's own, where it registered one (non-zero).
func (t Tolerances) For(logprob, meanMilli, margin, interval uint32) Tolerances {
	pick := func(own uint32, def uint64) uint64 {
		if own > 0 {
			return uint64(own)
		}
		return def
	}
	return Tolerances{
		Logprob: pick(logprob, t.Logprob), MeanMilli: pick(meanMilli, t.MeanMilli),
		Margin: pick(margin, t.Margin), Interval: pick(interval, t.Interval),
	}
}

// FollowsSampling checks the job's sampling rule on a trace and returns the first position
// that breaks it (-1 when none does). Greedy: the claimed token trails the top one by at
// most the margin tolerance. Sampled: the job's seeded draw at the position falls within
// the interval tolerance of the claimed token's interval.
func FollowsSampling(t Trace, s tasktypes.Sampling, tol Tolerances) int {
	if s.TemperatureMilli == 0 {
		for i := range t.Chosen {
			if int64(t.Top[i])-int64(t.Chosen[i]) > int64(tol.Margin) { //nolint:gosec // G115: Margin comes from a uint32 (a param or a model's tolerance)
				return i
			}
		}
		return -1
	}
	for i := range t.Lo {
		u := tasktypes.SamplerDraw(s.Seed, i)
		if u+tol.Interval < t.Lo[i] || u >= t.Hi[i]+tol.Interval {
			return i
		}
	}
	return -1
}

// Close reports whether two traces of one job agree within the tolerances: every value
// within Logprob (intervals within Interval) and the mean |Δ| of the log-probabilities
// within MeanMilli/1000. Challenge values are compared when challenge is set (two
// verifiers of one round: the same challenge tokens).
func Close(a, b Trace, tol Tolerances, challenge bool) bool {
	if a.Len() != b.Len() || len(a.Lo) != len(b.Lo) {
		return false
	}
	var sum, count uint64
	within := func(x, y int32) bool {
		d := absDiff(int64(x), int64(y))
		sum += d
		count++
		return d <= tol.Logprob
	}
	for i := range a.Chosen {
		if !within(a.Chosen[i], b.Chosen[i]) || !within(a.Top[i], b.Top[i]) {
			return false
		}
	}
	if challenge {
		if len(a.Challenge) != len(b.Challenge) {
			return false
		}
		for i := range a.Challenge {
			if !within(a.Challenge[i], b.Challenge[i]) {
				return false
			}
		}
	}
	for i := range a.Lo {
		if absDiffU(a.Lo[i], b.Lo[i]) > tol.Interval || absDiffU(a.Hi[i], b.Hi[i]) > tol.Interval {
			return false
		}
	}
	return sum*1000 <= tol.MeanMilli*count
}

func absDiff(x, y int64) uint64 {
	// In uint64 the difference of the two's complements is exact even where x - y would
	// overflow int64.
	if x > y {
		return uint64(x) - uint64(y) //nolint:gosec // G115: modular arithmetic, exact for x > y
	}
	return uint64(y) - uint64(x) //nolint:gosec // G115: modular arithmetic, exact for y >= x
}

func absDiffU(x, y uint64) uint64 {
	if x > y {
		return x - y
	}
	return y - x
}

// ChallengeToken is the token id whose log-probability a verifier of a round reports at
// position i: sha256("sovra/challenge/v1" ‖ round seed ‖ i) mod the vocabulary size. The
// round's seed comes from a beacon after every earlier reveal was fixed, so no earlier
// reveal holds these numbers: a verifier can only get them by running the model.
func ChallengeToken(seed []byte, i int, vocab int) uint32 {
	h := sha256.New()
	h.Write([]byte("sovra/challenge/v1"))
	h.Write(seed)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i)) //nolint:gosec // G115: a position, never negative
	h.Write(b[:])
	sum := h.Sum(nil)
	return uint32(binary.BigEndian.Uint64(sum[:8]) % uint64(vocab)) //nolint:gosec // G115: vocab > 0 (a model's, from its registration); the remainder is below it, a uint32
}
