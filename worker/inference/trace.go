package inference

import (
	"fmt"
	"math"

	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Audit traces (x/verify/types.Trace) hold, per scored position, quantized log-probabilities
// computed from that position's float32 logits exactly as the chain defines them:
//
//	m = max over finite logits; s = Σ exp(l − m) over finite logits in index order, in
//	float64; lse = m + ln(s); lp(t) = l_t − lse; q(lp) = round half away from zero of
//	lp·TraceScale, clamped to ±2^30. A logit that is not finite gets q = −2^30.
//
// A provider records them while generating and a verifier recomputes them by re-scoring;
// the chain compares the two with integer tolerances, so the float math only has to agree
// to within those, not bit for bit.

// traceClamp bounds quantized log-probabilities (and is the value of impossible tokens).
const traceClamp = 1 << 30

// MinTraceValue is the log-probability a trace gives a token that cannot be where it is
// claimed.
const MinTraceValue = -traceClamp

// logSumExp returns the max finite logit and the log-sum-exp over the finite logits;
// ok is false when no logit is finite.
func logSumExp(logits []float32) (m, lse float64, ok bool) {
	m = math.Inf(-1)
	for _, l := range logits {
		if v := float64(l); !math.IsInf(v, 0) && !math.IsNaN(v) && v > m {
			m = v
		}
	}
	if math.IsInf(m, -1) {
		return 0, 0, false
	}
	var s float64
	for _, l := range logits {
		if v := float64(l); !math.IsInf(v, 0) && !math.IsNaN(v) {
			s += math.Exp(v - m)
		}
	}
	return m, m + math.Log(s), true
}

// quantizeLogProb maps a log-probability to trace units.
func quantizeLogProb(lp float64) int32 {
	if math.IsNaN(lp) {
		return -traceClamp
	}
	v := math.Round(lp * verifytypes.TraceScale) // half away from zero
	return int32(max(-traceClamp, min(traceClamp, v)))
}

// position holds one position's log-sum-exp so that several tokens can be scored.
type position struct {
	logits []float32
	m, lse float64
}

func newPosition(logits []float32) (position, error) {
	m, lse, ok := logSumExp(logits)
	if !ok {
		return position{}, fmt.Errorf("%w: no finite logit", ErrDecode)
	}
	return position{logits: logits, m: m, lse: lse}, nil
}

// lp returns the quantized log-probability of token.
func (p position) lp(token uint32) int32 {
	v := float64(p.logits[token])
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return -traceClamp
	}
	return quantizeLogProb(v - p.lse)
}

// top returns the quantized log-probability of the most likely token.
func (p position) top() int32 { return quantizeLogProb(p.m - p.lse) }

// traceRecorder builds a trace position by position.
type traceRecorder struct {
	t       verifytypes.Trace
	sampled bool
}

func newTraceRecorder(n int, sampled bool) *traceRecorder {
	r := &traceRecorder{sampled: sampled}
	r.t.Chosen = make([]int32, 0, n)
	r.t.Top = make([]int32, 0, n)
	if sampled {
		r.t.Lo = make([]uint64, 0, n)
		r.t.Hi = make([]uint64, 0, n)
	}
	return r
}

// add records a position where token was claimed; lo and hi are kept for sampled jobs.
func (r *traceRecorder) add(logits []float32, token uint32, lo, hi uint64) (position, error) {
	p, err := newPosition(logits)
	if err != nil {
		return position{}, err
	}
	r.t.Chosen = append(r.t.Chosen, p.lp(token))
	r.t.Top = append(r.t.Top, p.top())
	if r.sampled {
		r.t.Lo = append(r.t.Lo, lo)
		r.t.Hi = append(r.t.Hi, hi)
	}
	return p, nil
}
