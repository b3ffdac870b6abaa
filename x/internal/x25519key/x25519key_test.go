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

// reference is the check by definition: a Diffie-Hellman with any scalar gives all zeros
// (curve25519.X25519's error) exactly for a low-order point.
func reference(key []byte) bool {
	probe := [32]byte{9}
	_, err := curve25519.X25519(probe[:], key)
	return err != nil
}

// TestCheckAgreesWithTheDiffieHellman compares the comparison against the list with the
// Diffie-Hellman reference: on every low-order encoding (top bit clear and set), on keys
// one bit away from them, on real public keys and on random bytes.
func TestCheckAgreesWithTheDiffieHellman(t *testing.T) {
	var keys [][]byte
	for _, h := range lowOrder {
		key, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		for top := 0; top < 2; top++ {
			k := append([]byte(nil), key...)
			k[31] |= byte(top << 7)
			keys = append(keys, k)
			for bit := 0; bit < 255; bit++ {
				near := append([]byte(nil), k...)
				near[bit/8] ^= 1 << (bit % 8)
				keys = append(keys, near)
			}
		}
	}
	for range 2000 {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		pub, err := curve25519.X25519(k, curve25519.Basepoint)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, pub)
	}
	refused := 0
	for _, k := range keys {
		want := reference(k)
		got := errors.Is(x25519key.Check(k), x25519key.ErrLowOrder)
		if got != want {
			t.Fatalf("%x: refused %v, the Diffie-Hellman says low order %v", k, got, want)
		}
		if got {
			refused++
		}
	}
	// The encodings themselves, and those one bit from another (0 and 1, p−1, p, p+1).
	if refused < 2*len(lowOrder) {
		t.Fatalf("%d keys refused, fewer than the %d low-order encodings", refused, 2*len(lowOrder))
	}
}

func BenchmarkCheck(b *testing.B) {
	key, _ := curve25519.X25519(make([]byte, 32), curve25519.Basepoint)
	for b.Loop() {
		if err := x25519key.Check(key); err != nil {
			b.Fatal(err)
		}
	}
}
