package types

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/box"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// AuditKeySize is the length of an X25519 audit key.
const AuditKeySize = 32

// AuditKeyDomain is the message a worker key signs to derive its X25519 audit key: the same
// worker key always yields the same audit key, so the worker keeps no extra secret.
const AuditKeyDomain = "sovra/audit-key/v1"

// DeriveAuditKey turns a deterministic signature over AuditKeyDomain into an X25519 pair.
func DeriveAuditKey(signature []byte) (priv, pub *[32]byte, err error) {
	return tasktypes.DeriveKey(AuditKeyDomain, signature)
}

// ValidAuditKey refuses keys of the wrong size and the all-zero key (X25519 with a
// low-order point gives a shared secret anyone can compute).
func ValidAuditKey(k []byte) error {
	if len(k) != AuditKeySize {
		return fmt.Errorf("audit key must be %d bytes (X25519), got %d", AuditKeySize, len(k))
	}
	if bytes.Equal(k, make([]byte, AuditKeySize)) {
		return errors.New("audit key must not be all zeros")
	}
	return nil
}

// Opening is what the audited provider seals to a verifier: the claimed output, and the
// salt and trace hash of its result commitment, with which the verifier checks that the
// tokens it got are the committed ones before it spends anything on them (the trace stays
// hidden: only its hash is sent).
type Opening struct {
	tasktypes.Claimed
	Salt      []byte `json:"salt"`
	TraceHash []byte `json:"trace_hash"`
}

// Matches reports whether the opening is the result the job committed to.
func (o Opening) Matches(job tasktypes.Job, modelSHA256 []byte) bool {
	if len(o.TraceHash) != 32 {
		return false
	}
	h := tasktypes.OutputHash(modelSHA256, job.Id, job.Sampling, o.Claimed)
	return bytes.Equal(tasktypes.Commitment(h, [32]byte(o.TraceHash), o.Salt), job.Commitment)
}

// DeriveOpeningKey is the ephemeral X25519 secret of the opening of a job's round-r audit for
// one verifier, derived from the provider's result salt: the provider can disclose it
// later, and nobody without the salt can compute it.
func DeriveOpeningKey(salt []byte, jobID uint64, round uint32, verifier []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("sovra/opening-key/v1"))
	h.Write(salt)
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], jobID)
	binary.BigEndian.PutUint32(b[8:], round)
	h.Write(b[:])
	h.Write(verifier)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// openingNonce binds a box to its ephemeral and recipient keys.
func openingNonce(epk, rpk []byte) *[24]byte {
	h := sha256.New()
	h.Write([]byte("sovra/opening-nonce/v1"))
	h.Write(epk)
	h.Write(rpk)
	var n [24]byte
	copy(n[:], h.Sum(nil))
	return &n
}

// SealOpening encrypts an opening to a verifier's audit key with the ephemeral secret key
// (NaCl box): sealed = ephemeral public key ‖ box. Only that verifier can read it, until
// the provider discloses key.
func SealOpening(auditKey []byte, o Opening, key [32]byte) ([]byte, error) {
	if err := ValidAuditKey(auditKey); err != nil {
		return nil, err
	}
	plain, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	esk, epk, err := tasktypes.X25519KeyPair(key)
	if err != nil {
		return nil, err
	}
	var rpk [32]byte
	copy(rpk[:], auditKey)
	return box.Seal(append([]byte(nil), epk[:]...), plain, openingNonce(epk[:], rpk[:]), &rpk, esk), nil
}

// OpenOpening decrypts an opening with the verifier's audit key pair.
func OpenOpening(sealed []byte, pub, priv *[32]byte) (Opening, error) {
	if len(sealed) < 32+box.Overhead {
		return Opening{}, errors.New("the opening is too short to be sealed")
	}
	var epk [32]byte
	copy(epk[:], sealed[:32])
	plain, ok := box.Open(nil, sealed[32:], openingNonce(epk[:], pub[:]), &epk, priv)
	if !ok {
		return Opening{}, errors.New("cannot decrypt the opening: it was not sealed to this audit key")
	}
	return parseOpening(plain)
}

// OpenDisclosed decrypts an opening with the ephemeral key the provider disclosed: what
// the chain does to judge a complaint. It fails when the key is not the opening's.
func OpenDisclosed(sealed, auditKey []byte, key []byte) (Opening, error) {
	if len(key) != 32 || len(sealed) < 32+box.Overhead || len(auditKey) != AuditKeySize {
		return Opening{}, errors.New("malformed opening or key")
	}
	esk, epk, err := tasktypes.X25519KeyPair([32]byte(key))
	if err != nil {
		return Opening{}, err
	}
	if !bytes.Equal(epk[:], sealed[:32]) {
		return Opening{}, errors.New("the disclosed key is not the opening's ephemeral key")
	}
	var rpk [32]byte
	copy(rpk[:], auditKey)
	plain, ok := box.Open(nil, sealed[32:], openingNonce(epk[:], rpk[:]), &rpk, esk)
	if !ok {
		return Opening{}, errors.New("the opening does not decrypt with its own key")
	}
	return parseOpening(plain)
}

func parseOpening(plain []byte) (Opening, error) {
	var o Opening
	if err := json.Unmarshal(plain, &o); err != nil {
		return Opening{}, fmt.Errorf("decrypted opening is not valid: %w", err)
	}
	return o, nil
}
