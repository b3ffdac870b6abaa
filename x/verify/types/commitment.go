package types

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	"cosmossdk.io/math"
)

// HashLen and the salt bounds of commitments and reveals.
const (
	HashLen     = 32
	MinSaltLen  = 16
	MaxSaltLen  = 64
	auditDomain = "sovra/job/v1"
)

// verificationDomain separates verifier commitments from result commitments.
const verificationDomain = "sovra/verification/v2"

// VerifierCommitment is what a verifier commits: sha256(domain ‖ output_hash ‖ trace_hash ‖
// salt ‖ operator). Binding the operator's address means no verifier can copy another's
// commitment; binding the trace means its numbers are fixed before anyone reveals.
func VerifierCommitment(outputHash []byte, traceHash [32]byte, salt, operator []byte) []byte {
	h := sha256.New()
	h.Write([]byte(verificationDomain))
	h.Write(outputHash)
	h.Write(traceHash[:])
	h.Write(salt)
	h.Write(operator)
	return h.Sum(nil)
}

// AuditSeed is sha256("sovra/job/v1" ‖ beacon(X) ‖ job_id): the randomness of a job's
// audit decision and of its verifier draw.
func AuditSeed(beacon []byte, jobID uint64) []byte {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], jobID)
	h := sha256.New()
	h.Write([]byte(auditDomain))
	h.Write(beacon)
	h.Write(id[:])
	return h.Sum(nil)
}

// Audited maps a seed to the audit decision with integers only: the seed's first 8 bytes,
// read as u in [0, 2^64), are audited iff u × 10^18 / 2^64 < audit_rate × 10^18.
func Audited(seed []byte, rate math.LegacyDec) bool {
	u := binary.BigEndian.Uint64(seed[:8])
	scaled, _ := bits.Mul64(u, 1_000_000_000_000_000_000) // high word = floor(u × 10^18 / 2^64)
	threshold := rate.BigInt()                            // audit_rate × 10^18 ≤ 10^18 < 2^64
	if !threshold.IsUint64() {
		return true
	}
	return scaled < threshold.Uint64()
}

// EscalationSeed is sha256("sovra/escalation/v1" ‖ beacon(h) ‖ job_id) for an escalation
// at h: drawn from a beacon nobody knew when the first round's verifiers revealed.
func EscalationSeed(beacon []byte, jobID uint64) []byte {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], jobID)
	h := sha256.New()
	h.Write([]byte("sovra/escalation/v1"))
	h.Write(beacon)
	h.Write(id[:])
	return h.Sum(nil)
}
