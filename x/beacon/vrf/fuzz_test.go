package vrf

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// FuzzVerify feeds arbitrary keys, proofs and inputs to Verify: it must never panic,
// and whatever it accepts must be a genuine proof (same output as the prover's key
// would give), which for random bytes means it should essentially never accept.
func FuzzVerify(f *testing.F) {
	key, err := NewKeyFromSeed(bytes.Repeat([]byte{1}, SeedSize))
	if err != nil {
		f.Fatal(err)
	}
	proof, _ := key.Prove([]byte("seed"))
	f.Add(key.PubKey(), proof, []byte("seed"))
	f.Add(key.PubKey(), proof, []byte("other"))
	f.Add(make([]byte, 32), make([]byte, 80), []byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 80), []byte{0})
	f.Add([]byte{}, []byte{}, []byte{})
	for _, v := range rfc9381Vectors {
		f.Add(mustHex(f, v.pk), mustHex(f, v.pi), mustHex(f, v.alpha))
	}

	f.Fuzz(func(t *testing.T, pub, proof, alpha []byte) {
		out, ok := Verify(pub, proof, alpha)
		if !ok {
			if out != nil {
				t.Fatal("rejected proof returned an output")
			}
			return
		}
		if len(out) != OutputSize {
			t.Fatalf("accepted proof with %d-byte output", len(out))
		}
		// An accepted proof is unique for (pub, alpha): re-verifying gives the same output.
		out2, ok2 := Verify(pub, proof, alpha)
		if !ok2 || !bytes.Equal(out, out2) {
			t.Fatal("Verify is not deterministic")
		}
	})
}

// FuzzVerifyMutatedProof flips bits of a valid proof: Verify must never panic and
// must reject every modified proof (ECVRF proofs are unique per key and input).
func FuzzVerifyMutatedProof(f *testing.F) {
	key, err := NewKeyFromSeed(bytes.Repeat([]byte{2}, SeedSize))
	if err != nil {
		f.Fatal(err)
	}
	alpha := BeaconInput("sovra-fuzz", 7, GenesisSeed("sovra-fuzz"))
	proof, _ := key.Prove(alpha)
	f.Add(uint8(0), uint8(1), uint8(0), uint8(0))
	f.Add(uint8(31), uint8(0x80), uint8(79), uint8(0xff))
	f.Add(uint8(47), uint8(0x01), uint8(48), uint8(0x10))

	f.Fuzz(func(t *testing.T, pos1, xor1, pos2, xor2 uint8) {
		p := bytes.Clone(proof)
		p[int(pos1)%ProofSize] ^= xor1
		p[int(pos2)%ProofSize] ^= xor2
		_, ok := Verify(key.PubKey(), p, alpha)
		if bytes.Equal(p, proof) {
			if !ok {
				t.Fatal("unmodified proof rejected")
			}
			return
		}
		if ok {
			t.Fatalf("modified proof accepted: %x", p)
		}
	})
}
