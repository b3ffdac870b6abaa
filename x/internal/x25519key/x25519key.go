// Package x25519key checks an X25519 public key before the chain records it as a key that
// outputs (x/task) or audit openings (x/provider) are sealed to. A low-order point (the
// all-zero key, the one key, and the five others of the curve's small subgroup, in any of
// their encodings) makes every shared secret predictable: anyone could open what is
// sealed to it.
package x25519key

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/curve25519"
)

// Size is the length of an X25519 public key.
const Size = 32

// probe is any fixed scalar: the Diffie-Hellman output with a low-order point is all
// zeros whatever the scalar, which curve25519.X25519 reports as an error.
var probe = [32]byte{9}

// ErrLowOrder: the key is a point of the small subgroup.
var ErrLowOrder = errors.New("low-order point: anyone could open what is sealed to it")

// Check refuses a key of the wrong size or of low order.
func Check(key []byte) error {
	if len(key) != Size {
		return fmt.Errorf("must be %d bytes (X25519), got %d", Size, len(key))
	}
	if _, err := curve25519.X25519(probe[:], key); err != nil {
		return ErrLowOrder
	}
	return nil
}
