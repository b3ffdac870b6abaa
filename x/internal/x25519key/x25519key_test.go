package x25519key_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"

	"golang.org/x/crypto/curve25519"

	"github.com/sovra-network/sovra/x/internal/x25519key"
)

// The small-order points of Curve25519, with the encodings of 0, 1 and the order-8 point
// that are at or above p (RFC 7748 decodes u modulo p).
var lowOrder = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

func TestLowOrderKeysAreRefused(t *testing.T) {
	for _, h := range lowOrder {
		key, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := x25519key.Check(key); !errors.Is(err, x25519key.ErrLowOrder) {
			t.Errorf("%s: %v, want ErrLowOrder", h, err)
		}
		// RFC 7748 ignores the top bit: the same point with it set is refused too.
		key[31] |= 0x80
		if err := x25519key.Check(key); !errors.Is(err, x25519key.ErrLowOrder) {
			t.Errorf("%s with the top bit set: %v, want ErrLowOrder", h, err)
		}
	}
}

func TestRealKeysPassAndSizesAreChecked(t *testing.T) {
	for range 100 {
		var priv [32]byte
		if _, err := rand.Read(priv[:]); err != nil {
			t.Fatal(err)
		}
		pub, err := curve25519.X25519(priv[:], curve25519.Basepoint)
		if err != nil {
			t.Fatal(err)
		}
		if err := x25519key.Check(pub); err != nil {
			t.Fatalf("a real public key refused: %v", err)
		}
	}
	for _, n := range []int{0, 31, 33, 64} {
		if err := x25519key.Check(make([]byte, n)); err == nil || errors.Is(err, x25519key.ErrLowOrder) {
			t.Errorf("%d bytes: %v, want a size error", n, err)
		}
	}
}
