// Package vrf wraps ECVRF-EDWARDS25519-SHA512-ELL2 (RFC 9381) from curve25519-voi and
// defines the domain-separated inputs the beacon module proves over.
package vrf

import (
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519/extra/ecvrf"
)

const (
	// PublicKeySize is the size of a VRF public key (a compressed Edwards25519 point).
	PublicKeySize = ed25519.PublicKeySize
	// SeedSize is the size of the secret seed a key is derived from.
	SeedSize = ed25519.SeedSize
	// PrivateKeySize is the size of the expanded private key (seed || public key).
	PrivateKeySize = ed25519.PrivateKeySize
	// ProofSize is the size of an ECVRF proof (pi).
	ProofSize = ecvrf.ProofSize
	// OutputSize is the size of an ECVRF output (beta).
	OutputSize = ecvrf.OutputSize
)

// Domain-separation tags. Every input the chain proves or hashes starts with one of
// these, so a proof made for one purpose can never be replayed for another.
const (
	BeaconDomain     = "sovra/beacon/v1"
	PossessionDomain = "sovra/vrf-pop/v1"
	WeakDomain       = "sovra/beacon/weak/v1"
	GenesisDomain    = "sovra/beacon/genesis/v1"
)

// PrivateKey is a VRF secret key. The zero value is not usable.
type PrivateKey struct {
	sk ed25519.PrivateKey
}

// GenerateKey creates a new key from rand (crypto/rand when nil).
func GenerateKey(rand io.Reader) (PrivateKey, error) {
	_, sk, err := ed25519.GenerateKey(rand)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("generate vrf key: %w", err)
	}
	return PrivateKey{sk: sk}, nil
}

// NewKeyFromSeed derives a key from a 32-byte seed (RFC 8032 secret key).
func NewKeyFromSeed(seed []byte) (PrivateKey, error) {
	if len(seed) != SeedSize {
		return PrivateKey{}, fmt.Errorf("vrf seed must be %d bytes, got %d", SeedSize, len(seed))
	}
	return PrivateKey{sk: ed25519.NewKeyFromSeed(seed)}, nil
}

// PrivateKeyFromBytes accepts either a 32-byte seed or a 64-byte seed || public key; in
// the latter case the public half must match the one derived from the seed.
func PrivateKeyFromBytes(bz []byte) (PrivateKey, error) {
	switch len(bz) {
	case SeedSize:
		return NewKeyFromSeed(bz)
	case PrivateKeySize:
		k, err := NewKeyFromSeed(bz[:SeedSize])
		if err != nil {
			return PrivateKey{}, err
		}
		if !bytes.Equal(k.PubKey(), bz[SeedSize:]) {
			return PrivateKey{}, errors.New("vrf private key: public half does not match the seed")
		}
		return k, nil
	default:
		return PrivateKey{}, fmt.Errorf("vrf private key must be %d or %d bytes, got %d", SeedSize, PrivateKeySize, len(bz))
	}
}

// IsZero reports whether the key is unset.
func (k PrivateKey) IsZero() bool { return len(k.sk) != PrivateKeySize }

// PubKey returns a copy of the 32-byte public key.
func (k PrivateKey) PubKey() []byte {
	if k.IsZero() {
		return nil
	}
	return bytes.Clone(k.sk[SeedSize:])
}

// Bytes returns a copy of the 64-byte private key (seed || public key).
func (k PrivateKey) Bytes() []byte { return bytes.Clone(k.sk) }

// Prove returns the proof and output for alpha. Proving is deterministic.
func (k PrivateKey) Prove(alpha []byte) (proof, output []byte) {
	return Prove(k, alpha)
}

// Prove returns the 80-byte proof and 64-byte output of sk over alpha. It panics on
// a zero key (a programming error, never reachable from chain input).
func Prove(sk PrivateKey, alpha []byte) (proof, output []byte) {
	if sk.IsZero() {
		panic("vrf: Prove with an empty private key")
	}
	proof = ecvrf.Prove(sk.sk, alpha)
	output, err := ecvrf.ProofToHash(proof)
	if err != nil {
		// A proof we just produced always decodes.
		panic("vrf: proof to hash: " + err.Error())
	}
	return proof, output
}

// Verify checks proof for alpha under pub and returns the 64-byte output. It never
// panics on malformed input: wrong sizes, non-canonical or small-order points and
// out-of-range scalars all return ok=false.
func Verify(pub, proof, alpha []byte) (output []byte, ok bool) {
	if len(pub) != PublicKeySize || len(proof) != ProofSize {
		return nil, false
	}
	valid, beta := ecvrf.Verify(ed25519.PublicKey(pub), proof, alpha)
	if !valid || len(beta) != OutputSize {
		return nil, false
	}
	return beta, true
}

// ValidatePubKey reports whether pub is a usable VRF public key: 32 bytes, the
// canonical encoding of a curve point that is not of small order (the checks Verify
// applies). Proof of possession implies it; this gives a clearer error earlier.
func ValidatePubKey(pub []byte) error {
	if len(pub) != PublicKeySize {
		return fmt.Errorf("vrf public key must be %d bytes, got %d", PublicKeySize, len(pub))
	}
	var (
		compressed curve.CompressedEdwardsY
		point      curve.EdwardsPoint
	)
	if _, err := compressed.SetBytes(pub); err != nil {
		return fmt.Errorf("vrf public key: %w", err)
	}
	if !compressed.IsCanonicalVartime() {
		return errors.New("vrf public key is not a canonical point encoding")
	}
	if _, err := point.SetCompressedY(&compressed); err != nil {
		return errors.New("vrf public key is not a curve point")
	}
	if point.IsSmallOrder() {
		return errors.New("vrf public key is a small-order point")
	}
	return nil
}

func appendLenPrefixed(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
	return append(buf, s...)
}

// BeaconInput is the VRF input (alpha) for the beacon of height:
// "sovra/beacon/v1" || u64be(len(chainID)) || chainID || u64be(height) || prev.
func BeaconInput(chainID string, height int64, prev []byte) []byte {
	buf := make([]byte, 0, len(BeaconDomain)+8+len(chainID)+8+len(prev))
	buf = append(buf, BeaconDomain...)
	buf = appendLenPrefixed(buf, chainID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(height)) //nolint:gosec // G115: the height's two's complement, as the spec encodes it (heights are positive)
	return append(buf, prev...)
}

// PossessionInput is the VRF input a validator proves over to register its key:
// "sovra/vrf-pop/v1" || u64be(len(chainID)) || chainID || u64be(len(valoper)) || valoper.
func PossessionInput(chainID, valoper string) []byte {
	buf := make([]byte, 0, len(PossessionDomain)+16+len(chainID)+len(valoper))
	buf = append(buf, PossessionDomain...)
	buf = appendLenPrefixed(buf, chainID)
	return appendLenPrefixed(buf, valoper)
}

// WeakOutput is the beacon of a height without a valid VRF proof:
// sha512("sovra/beacon/weak/v1" || u64be(len(chainID)) || chainID || u64be(height) || prev).
func WeakOutput(chainID string, height int64, prev []byte) []byte {
	h := sha512.New()
	buf := append([]byte(WeakDomain), binary.BigEndian.AppendUint64(nil, uint64(len(chainID)))...)
	buf = append(buf, chainID...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(height)) //nolint:gosec // G115: the height's two's complement, as the spec encodes it (heights are positive)
	h.Write(buf)
	h.Write(prev)
	return h.Sum(nil)
}

// GenesisSeed is the "previous beacon" used when none is stored (the first height):
// sha512("sovra/beacon/genesis/v1" || chainID).
func GenesisSeed(chainID string) []byte {
	sum := sha512.Sum512(append([]byte(GenesisDomain), chainID...))
	return sum[:]
}
