package vrf

import "testing"

func BenchmarkProve(b *testing.B) {
	key, err := GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	alpha := BeaconInput("sovra-1", 1_000_000, GenesisSeed("sovra-1"))
	b.ReportAllocs()
	for b.Loop() {
		Prove(key, alpha)
	}
}

func BenchmarkVerify(b *testing.B) {
	key, err := GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	alpha := BeaconInput("sovra-1", 1_000_000, GenesisSeed("sovra-1"))
	proof, _ := key.Prove(alpha)
	pub := key.PubKey()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Verify(pub, proof, alpha); !ok {
			b.Fatal("rejected")
		}
	}
}
