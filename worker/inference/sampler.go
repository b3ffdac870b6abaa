package inference

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// SamplerParams are the fixed-point sampling settings of a job (see Request).
type SamplerParams struct {
	TemperatureMilli uint32
	TopK             uint32
	TopPMilli        uint32
}

// Greedy reports whether the settings mean argmax decoding.
func (p SamplerParams) Greedy() bool { return p.TemperatureMilli == 0 }

// MaxSamplerVocab bounds the vocabulary so that the sum of Q32 weights cannot overflow.
const MaxSamplerVocab = 1 << 20

// The sampler works in integers after one exact conversion of each logit, so its choice is
// bit-identical on every CPU and Go version (no math.Exp, whose assembly differs with FMA):
//
//  1. logits that are NaN or -Inf are not candidates; the others are clamped to ±2^20 and
//     quantized to q = trunc(logit * 2^16);
//  2. candidates are ordered by q descending, then token id ascending;
//  3. top-k keeps the first TopK candidates (TopK 0: all);
//  4. weight w = round_down(2^32 * exp(-(qmax-q)*1000/TemperatureMilli / 2^16)), computed by
//     exp2 from two integer tables; candidates of weight 0 are dropped;
//  5. top-p keeps the shortest prefix whose weight sum*1000 >= TopPMilli * total (TopPMilli 0
//     or 1000: all);
//  6. r = high 64 bits of (splitmix64 draw * kept total); the token is the first candidate
//     whose running weight sum exceeds r. One draw per sampled token.
const (
	logitQBits  = 16
	logitClamp  = 1 << 20
	log2eQ32    = 6196328019 // round(log2(e) * 2^32)
	expCutoffQ  = 40 << logitQBits
	exp2Step256 = 18396865112328554661 // floor(2^64 * 2^(-1/256))
	exp2Step64K = 18446548971154807802 // floor(2^64 * 2^(-1/65536))
)

// exp2Coarse[a] = 2^63 * 2^(-a/256) and exp2Fine[b] = 2^63 * 2^(-b/65536), Q63, built by
// integer recurrences so every platform gets the same bits.
var exp2Coarse, exp2Fine = exp2Table(exp2Step256), exp2Table(exp2Step64K)

func exp2Table(stepQ64 uint64) (t [256]uint64) {
	t[0] = 1 << 63
	for i := 1; i < len(t); i++ {
		t[i], _ = bits.Mul64(t[i-1], stepQ64)
	}
	return t
}

// expNegQ32 returns floor-ish 2^32 * e^(-x/2^16) for x in 1/2^16 units.
func expNegQ32(x uint64) uint64 {
	if x >= expCutoffQ {
		return 0
	}
	y := (x * log2eQ32) >> 32 // log2 units of 2^-16
	n := y >> logitQBits
	if n >= 33 {
		return 0
	}
	f := y & 0xffff
	hi, _ := bits.Mul64(exp2Coarse[f>>8], exp2Fine[f&0xff]) // Q62
	return hi >> (30 + n)
}

func quantizeLogit(l float32) (int64, bool) {
	if l != l || math.IsInf(float64(l), -1) {
		return 0, false
	}
	v := float64(l)
	if v > logitClamp {
		v = logitClamp
	} else if v < -logitClamp {
		v = -logitClamp
	}
	return int64(v * (1 << logitQBits)), true // exact scaling, truncation toward zero
}

// ArgMax returns the index of the largest logit, ties to the lowest index, NaN ignored; -1
// when no logit is a number.
func ArgMax(logits []float32) int {
	best := -1
	for i, l := range logits {
		if l != l {
			continue
		}
		if best < 0 || l > logits[best] {
			best = i
		}
	}
	return best
}

type candidate struct {
	id int32
	q  int64
	w  uint64
}

// Sampler picks tokens from logits for one job. It is not safe for concurrent use.
type Sampler struct {
	params SamplerParams
	rng    SplitMix64
	cands  []candidate
}

// NewSampler returns a sampler seeded with the job's seed.
func NewSampler(p SamplerParams, seed uint64) *Sampler {
	return &Sampler{params: p, rng: SplitMix64{state: seed}}
}

// Sample returns the chosen token id.
func (s *Sampler) Sample(logits []float32) (int, error) {
	id, _, _, err := s.SampleInterval(logits)
	return id, err
}

// SampleInterval returns the chosen token id and, for sampled settings, the token's
// interval [lo, hi) of the draw in Q32 (see Interval); greedy settings draw nothing and
// return lo = hi = 0.
func (s *Sampler) SampleInterval(logits []float32) (id int, lo, hi uint64, err error) {
	if s.params.Greedy() {
		if len(logits) > MaxSamplerVocab {
			return 0, 0, 0, fmt.Errorf("%w: %d tokens", ErrUnsupportedVocab, len(logits))
		}
		id := ArgMax(logits)
		if id < 0 {
			return 0, 0, 0, fmt.Errorf("%w: no finite logit", ErrDecode)
		}
		return id, 0, 0, nil
	}
	cands, total, err := s.kept(logits)
	if err != nil {
		return 0, 0, 0, err
	}
	r, _ := bits.Mul64(s.rng.Next(), total)
	var cum uint64
	for _, c := range cands {
		if r < cum+c.w {
			lo, hi := q32Interval(cum, c.w, total)
			return int(c.id), lo, hi, nil
		}
		cum += c.w
	}
	return 0, 0, 0, fmt.Errorf("%w: sampler draw beyond the kept weight", ErrDecode) // unreachable: r < total
}

// Interval returns token's interval [lo, hi) of the draw under the sampled settings,
// without drawing: with C the kept weight before the token, w its weight and T the kept
// total, lo = floor(C*2^32/T) and hi = ceil((C+w)*2^32/T). A draw d of the sampler picks
// the token iff C <= high64(d*T) < C+w, which implies lo <= d>>32 < hi: the chain checks
// its O(1) recomputation of d>>32 against [lo, hi). A token the settings drop (not finite,
// weight 0, cut by top-k or top-p, or outside the vocabulary) gets lo = hi = 2^32.
func (s *Sampler) Interval(logits []float32, token int) (lo, hi uint64, err error) {
	if s.params.Greedy() {
		return 0, 0, fmt.Errorf("%w: greedy sampling has no draw intervals", ErrInvalidRequest)
	}
	cands, total, err := s.kept(logits)
	if err != nil {
		return 0, 0, err
	}
	var cum uint64
	for _, c := range cands {
		if int(c.id) == token {
			lo, hi := q32Interval(cum, c.w, total)
			return lo, hi, nil
		}
		cum += c.w
	}
	return q32One, q32One, nil
}

const q32One = uint64(1) << 32

// q32Interval returns floor(cum*2^32/total) and ceil((cum+w)*2^32/total); cum+w <= total,
// so both quotients fit in 64 bits.
func q32Interval(cum, w, total uint64) (lo, hi uint64) {
	h, l := bits.Mul64(cum, q32One)
	lo, _ = bits.Div64(h, l, total)
	h, l = bits.Mul64(cum+w, q32One)
	hi, rem := bits.Div64(h, l, total)
	if rem != 0 {
		hi++
	}
	return lo, hi
}

// kept returns the candidates that survive steps 1-5, in candidate order, and their total
// weight (> 0). The slice aliases the sampler's buffer until the next call.
func (s *Sampler) kept(logits []float32) ([]candidate, uint64, error) {
	if len(logits) > MaxSamplerVocab {
		return nil, 0, fmt.Errorf("%w: %d tokens", ErrUnsupportedVocab, len(logits))
	}
	cands := s.cands[:0]
	qmax := int64(math.MinInt64)
	for i, l := range logits {
		q, ok := quantizeLogit(l)
		if !ok {
			continue
		}
		cands = append(cands, candidate{id: int32(i), q: q})
		qmax = max(qmax, q)
	}
	if len(cands) == 0 {
		return nil, 0, fmt.Errorf("%w: no finite logit", ErrDecode)
	}

	// weights first: zero-weight tokens can be dropped before sorting without changing the
	// outcome, since weights never increase along the candidate order.
	temp := uint64(s.params.TemperatureMilli)
	kept := cands[:0]
	for _, c := range cands {
		c.w = expNegQ32(uint64(qmax-c.q) * 1000 / temp)
		if c.w > 0 {
			kept = append(kept, c)
		}
	}
	cands = kept
	s.cands = cands

	slices.SortFunc(cands, func(a, b candidate) int {
		if a.q != b.q {
			if a.q > b.q {
				return -1
			}
			return 1
		}
		return int(a.id - b.id)
	})
	if k := int(s.params.TopK); k > 0 && k < len(cands) {
		cands = cands[:k]
	}

	var total uint64
	for _, c := range cands {
		total += c.w
	}
	if p := uint64(s.params.TopPMilli); p > 0 && p < 1000 {
		need := p * total
		var cum uint64
		for i, c := range cands {
			cum += c.w
			if cum*1000 >= need {
				cands = cands[:i+1]
				total = cum
				break
			}
		}
	}
	return cands, total, nil
}
