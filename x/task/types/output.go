package types

import (
	"crypto/sha256"
	"encoding/binary"
)

// OutputHashDomain separates output hashes from every other sha256 in the protocol.
const OutputHashDomain = "sovra/output/v1"

// OutputHash is the value a provider commits to and verifiers recompute: sha256 of a
// length-prefixed, domain-separated encoding of the model's file hash, the job id, the
// sampling parameters and the prompt and output token ids. Token ids, never text: text
// can split a UTF-8 character across tokens.
func OutputHash(modelSHA256 []byte, jobID uint64, s Sampling, promptTokens, outputTokens []uint32) [32]byte {
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
	putTokens(promptTokens)
	putTokens(outputTokens)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Commitment binds an output hash to a secret salt: sha256(output_hash || salt).
func Commitment(outputHash [32]byte, salt []byte) []byte {
	h := sha256.New()
	h.Write(outputHash[:])
	h.Write(salt)
	return h.Sum(nil)
}
