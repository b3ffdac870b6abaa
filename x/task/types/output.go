package types

import (
	"crypto/sha256"
	"encoding/binary"
)

// OutputHashDomain separates output hashes from every other sha256 in the protocol.
const OutputHashDomain = "sovra/output/v2"

// NoStopToken marks an output that ended at max_output_tokens instead of on an
// end-of-generation token.
const NoStopToken = ^uint32(0)

// Claimed is a provider's claimed output of a job: the prompt and output token ids and the
// end-of-generation token that ended it (NoStopToken when max_output_tokens did). Token
// ids, never text: text can split a UTF-8 character across tokens.
type Claimed struct {
	PromptTokens []uint32 `json:"prompt_tokens"`
	OutputTokens []uint32 `json:"output_tokens"`
	StopToken    uint32   `json:"stop_token"`
}

// Positions is the number of positions an audit trace covers: one per output token, plus
// one for the stop token.
func (c Claimed) Positions() int {
	if c.StopToken == NoStopToken {
		return len(c.OutputTokens)
	}
	return len(c.OutputTokens) + 1
}

// Scored returns the token claimed at every trace position.
func (c Claimed) Scored() []uint32 {
	out := append([]uint32(nil), c.OutputTokens...)
	if c.StopToken != NoStopToken {
		out = append(out, c.StopToken)
	}
	return out
}

// OutputHash is the value a provider commits to and verifiers recompute: sha256 of a
// length-prefixed, domain-separated encoding of the model's file hash, the job id, the
// sampling parameters, the prompt and output token ids and the stop token. The lists fix
// the token counts the fee is charged on.
func OutputHash(modelSHA256 []byte, jobID uint64, s Sampling, c Claimed) [32]byte {
	h := sha256.New()
	var buf [8]byte
	putBytes := func(b []byte) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	putU64 := func(v uint64) {
		binary.BigEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	putTokens := func(ts []uint32) {
		putU64(uint64(len(ts)))
		var t [4]byte
		for _, id := range ts {
			binary.BigEndian.PutUint32(t[:], id)
			h.Write(t[:])
		}
	}
	putBytes([]byte(OutputHashDomain))
	putBytes(modelSHA256)
	putU64(jobID)
	putU64(s.Seed)
	putU64(uint64(s.TemperatureMilli))
	putU64(uint64(s.TopK))
	putU64(uint64(s.TopPMilli))
	putTokens(c.PromptTokens)
	putTokens(c.OutputTokens)
	putU64(uint64(c.StopToken))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// ResultDomain separates result commitments from verifier commitments.
const ResultDomain = "sovra/result/v2"

// Commitment binds an output hash and the hash of the provider's audit trace to a secret
// salt: sha256(domain ‖ output_hash ‖ trace_hash ‖ salt). Committing the trace with the
// result means the numbers an audit compares are fixed before anyone knows of the audit.
func Commitment(outputHash, traceHash [32]byte, salt []byte) []byte {
	h := sha256.New()
	h.Write([]byte(ResultDomain))
	h.Write(outputHash[:])
	h.Write(traceHash[:])
	h.Write(salt)
	return h.Sum(nil)
}

// SamplerDraw returns the high 32 bits of the i-th (0-based) draw of the sampler's
// SplitMix64 stream seeded with seed: a sampled job's token at position i is the one whose
// interval of the kept weight holds this draw. The chain recomputes it in O(1).
func SamplerDraw(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15 //nolint:gosec // G115: i is a position (>= 0)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return (z ^ (z >> 31)) >> 32
}
