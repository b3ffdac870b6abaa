package types

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"
)

// OutputKeyDomain is the message a submitter's keyring key signs to derive its X25519
// output key: the same key always yields the same output key, so no extra secret is kept.
const OutputKeyDomain = "sovra/output-key/v1"

// SealedPayload is what the worker seals to the submitter: the text and the token ids.
type SealedPayload struct {
	// Text is the output's bytes exactly as generated (base64 in JSON): the last token can
	// end inside a UTF-8 character, which a JSON string would replace with U+FFFD.
	Text         []byte   `json:"text"`
	OutputTokens []uint32 `json:"output_tokens"`
	PromptTokens []uint32 `json:"prompt_tokens,omitempty"`
}

// DeriveOutputKey turns a deterministic signature over OutputKeyDomain into an X25519
// key pair.
func DeriveOutputKey(signature []byte) (priv, pub *[32]byte, err error) {
	return DeriveKey(OutputKeyDomain, signature)
}

// DeriveKey turns a deterministic signature over domain into an X25519 key pair: the
// keyring key that signed it always yields the same pair, so no second secret is kept.
func DeriveKey(domain string, signature []byte) (priv, pub *[32]byte, err error) {
	if len(signature) == 0 {
		return nil, nil, errors.New("empty signature")
	}
	return X25519KeyPair(sha256.Sum256(append([]byte(domain), signature...)))
}

// X25519KeyPair is the key pair of a 32-byte secret.
func X25519KeyPair(secret [32]byte) (priv, pub *[32]byte, err error) {
	priv = new([32]byte)
	copy(priv[:], secret[:])
	p, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	if err != nil {
		return nil, nil, err
	}
	pub = new([32]byte)
	copy(pub[:], p)
	return priv, pub, nil
}

// Seal encrypts the payload to the recipient's X25519 key (anonymous NaCl box).
func Seal(recipient []byte, p SealedPayload) ([]byte, error) {
	if len(recipient) != OutputKeySize {
		return nil, fmt.Errorf("output key must be %d bytes, got %d", OutputKeySize, len(recipient))
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var pub [32]byte
	copy(pub[:], recipient)
	return box.SealAnonymous(nil, plain, &pub, rand.Reader)
}

// Open decrypts a sealed output with the recipient's key pair.
func Open(sealed []byte, pub, priv *[32]byte) (SealedPayload, error) {
	plain, ok := box.OpenAnonymous(nil, sealed, pub, priv)
	if !ok {
		return SealedPayload{}, errors.New("cannot decrypt the output: it was not sealed to this key")
	}
	var p SealedPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		return SealedPayload{}, fmt.Errorf("decrypted output is not valid: %w", err)
	}
	return p, nil
}
