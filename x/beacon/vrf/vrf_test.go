package vrf

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	bz, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// rfc9381Vectors are the ECVRF-EDWARDS25519-SHA512-ELL2 examples of RFC 9381, Appendix B.3.
var rfc9381Vectors = []struct {
	name, sk, pk, alpha, pi, beta string
}{
	{
		name:  "empty alpha",
		sk:    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		pk:    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		alpha: "",
		pi:    "7d9c633ffeee27349264cf5c667579fc583b4bda63ab71d001f89c10003ab46f14adf9a3cd8b8412d9038531e865c341cafa73589b023d14311c331a9ad15ff2fb37831e00f0acaa6d73bc9997b06501",
		beta:  "9d574bf9b8302ec0fc1e21c3ec5368269527b87b462ce36dab2d14ccf80c53cccf6758f058c5b1c856b116388152bbe509ee3b9ecfe63d93c3b4346c1fbc6c54",
	},
	{
		name:  "alpha 72",
		sk:    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		pk:    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		alpha: "72",
		pi:    "47b327393ff2dd81336f8a2ef10339112401253b3c714eeda879f12c509072ef055b48372bb82efbdce8e10c8cb9a2f9d60e93908f93df1623ad78a86a028d6bc064dbfc75a6a57379ef855dc6733801",
		beta:  "38561d6b77b71d30eb97a062168ae12b667ce5c28caccdf76bc88e093e4635987cd96814ce55b4689b3dd2947f80e59aac7b7675f8083865b46c89b2ce9cc735",
	},
	{
		name:  "alpha af82",
		sk:    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		pk:    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
		alpha: "af82",
		pi:    "926e895d308f5e328e7aa159c06eddbe56d06846abf5d98c2512235eaa57fdce35b46edfc655bc828d44ad09d1150f31374e7ef73027e14760d42e77341fe05467bb286cc2c9d7fde29120a0b2320d04",
		beta:  "121b7f9b9aaaa29099fc04a94ba52784d44eac976dd1a3cca458733be5cd090a7b5fbd148444f17f8daf1fb55cb04b1ae85a626e30a54b4b0f8abf4a43314a58",
	},
}

func TestRFC9381Vectors(t *testing.T) {
	for _, v := range rfc9381Vectors {
		t.Run(v.name, func(t *testing.T) {
			key, err := NewKeyFromSeed(mustHex(t, v.sk))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(key.PubKey()); got != v.pk {
				t.Fatalf("public key: got %s want %s", got, v.pk)
			}
			alpha := mustHex(t, v.alpha)
			proof, output := Prove(key, alpha)
			if got := hex.EncodeToString(proof); got != v.pi {
				t.Fatalf("pi: got %s want %s", got, v.pi)
			}
			if got := hex.EncodeToString(output); got != v.beta {
				t.Fatalf("beta from Prove: got %s want %s", got, v.beta)
			}
			out, ok := Verify(mustHex(t, v.pk), mustHex(t, v.pi), alpha)
			if !ok {
				t.Fatal("Verify rejected the RFC proof")
			}
			if got := hex.EncodeToString(out); got != v.beta {
				t.Fatalf("beta from Verify: got %s want %s", got, v.beta)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	key, err := NewKeyFromSeed(bytes.Repeat([]byte{7}, SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewKeyFromSeed(bytes.Repeat([]byte{8}, SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	alpha := []byte("alpha")
	proof, _ := key.Prove(alpha)
	if _, ok := Verify(key.PubKey(), proof, alpha); !ok {
		t.Fatal("valid proof rejected")
	}
	tampered := bytes.Clone(proof)
	tampered[40] ^= 1
	cases := map[string]struct{ pub, proof, alpha []byte }{
		"other key":      {other.PubKey(), proof, alpha},
		"other alpha":    {key.PubKey(), proof, []byte("alphb")},
		"tampered proof": {key.PubKey(), tampered, alpha},
		"short proof":    {key.PubKey(), proof[:79], alpha},
		"long proof":     {key.PubKey(), append(bytes.Clone(proof), 0), alpha},
		"empty proof":    {key.PubKey(), nil, alpha},
		"short key":      {key.PubKey()[:31], proof, alpha},
		"nil key":        {nil, proof, alpha},
		"identity key":   {append([]byte{1}, make([]byte, 31)...), proof, alpha},
	}
	for name, c := range cases {
		if out, ok := Verify(c.pub, c.proof, c.alpha); ok || out != nil {
			t.Errorf("%s: Verify accepted (ok=%v out=%x)", name, ok, out)
		}
	}
}

func TestValidatePubKey(t *testing.T) {
	key, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidatePubKey(key.PubKey()); err != nil {
		t.Fatalf("valid key rejected: %v", err)
	}
	identity := append([]byte{1}, make([]byte, 31)...)
	nonCanonical := bytes.Repeat([]byte{0xff}, 32) // y >= p
	for name, pub := range map[string][]byte{
		"short":         key.PubKey()[:31],
		"empty":         nil,
		"identity":      identity,
		"non-canonical": nonCanonical,
	} {
		if err := ValidatePubKey(pub); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestProveIsDeterministic(t *testing.T) {
	key, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p1, o1 := Prove(key, []byte("x"))
	p2, o2 := Prove(key, []byte("x"))
	if !bytes.Equal(p1, p2) || !bytes.Equal(o1, o2) {
		t.Fatal("Prove is not deterministic")
	}
	if len(p1) != ProofSize || len(o1) != OutputSize {
		t.Fatalf("sizes: proof %d output %d", len(p1), len(o1))
	}
}

func TestInputs(t *testing.T) {
	prev := []byte{0xaa, 0xbb}
	got := BeaconInput("sovra-1", 258, prev)
	want := append([]byte("sovra/beacon/v1"), 0, 0, 0, 0, 0, 0, 0, 7)
	want = append(want, "sovra-1"...)
	want = append(want, 0, 0, 0, 0, 0, 0, 1, 2, 0xaa, 0xbb)
	if !bytes.Equal(got, want) {
		t.Fatalf("BeaconInput:\n got %x\nwant %x", got, want)
	}

	got = PossessionInput("c", "val")
	want = append([]byte("sovra/vrf-pop/v1"), 0, 0, 0, 0, 0, 0, 0, 1, 'c', 0, 0, 0, 0, 0, 0, 0, 3, 'v', 'a', 'l')
	if !bytes.Equal(got, want) {
		t.Fatalf("PossessionInput:\n got %x\nwant %x", got, want)
	}

	// Length prefixes keep ambiguous splits apart.
	if bytes.Equal(PossessionInput("ab", "c"), PossessionInput("a", "bc")) {
		t.Fatal("PossessionInput is ambiguous")
	}
	if bytes.Equal(WeakOutput("ab", 1, nil), WeakOutput("a", 1, []byte("b"))) {
		t.Fatal("WeakOutput is ambiguous")
	}
	if len(WeakOutput("c", 1, prev)) != OutputSize || len(GenesisSeed("c")) != OutputSize {
		t.Fatal("hash outputs must be 64 bytes")
	}
	if bytes.Equal(WeakOutput("c", 1, prev), WeakOutput("c", 2, prev)) {
		t.Fatal("WeakOutput ignores the height")
	}
	if bytes.Equal(GenesisSeed("a"), GenesisSeed("b")) {
		t.Fatal("GenesisSeed ignores the chain id")
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config", KeyFileName)
	key, created, err := LoadOrGenerate(path)
	if err != nil || !created {
		t.Fatalf("LoadOrGenerate: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := LoadOrGenerate(path)
	if err != nil || created {
		t.Fatalf("second LoadOrGenerate: created=%v err=%v", created, err)
	}
	if !bytes.Equal(again.Bytes(), key.Bytes()) {
		t.Fatal("reloaded key differs")
	}
	bz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bz), `"pub_key"`) || !strings.Contains(string(bz), `"priv_key"`) {
		t.Fatalf("unexpected key file: %s", bz)
	}
	if DefaultKeyFile(dir) != path {
		t.Fatalf("DefaultKeyFile = %s", DefaultKeyFile(dir))
	}
}

func TestLoadKeyFileRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	key, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	mismatched := append(key.Bytes()[:SeedSize], other.PubKey()...)
	b64 := func(b []byte) string { return `"` + base64Std(b) + `"` }
	cases := map[string]string{
		"not json":         "nope",
		"bad base64":       `{"pub_key":"","priv_key":"!!"}`,
		"short priv":       `{"priv_key":` + b64(key.Bytes()[:10]) + `}`,
		"priv half wrong":  `{"priv_key":` + b64(mismatched) + `}`,
		"pub_key mismatch": `{"pub_key":` + b64(other.PubKey()) + `,"priv_key":` + b64(key.Bytes()) + `}`,
		"pub_key not b64":  `{"pub_key":"%%","priv_key":` + b64(key.Bytes()) + `}`,
	}
	for name, content := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeyFile(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
		// A corrupt file must not be silently replaced.
		if _, _, err := LoadOrGenerate(path); err == nil {
			t.Errorf("%s: LoadOrGenerate replaced a corrupt file", name)
		}
	}
	// A 32-byte seed alone is accepted.
	path := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(path, []byte(`{"priv_key":`+b64(key.Bytes()[:SeedSize])+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadKeyFile(path)
	if err != nil || !bytes.Equal(got.PubKey(), key.PubKey()) {
		t.Fatalf("seed-only file: %v", err)
	}
}

func TestEnsureDistinctFromConsensusKey(t *testing.T) {
	dir := t.TempDir()
	key, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pv := filepath.Join(dir, "priv_validator_key.json")
	if err := EnsureDistinctFromConsensusKey(key, pv); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	write := func(pub []byte) {
		content := `{"address":"00","pub_key":{"type":"tendermint/PubKeyEd25519","value":"` + base64Std(pub) + `"}}`
		if err := os.WriteFile(pv, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := GenerateKey(nil)
	write(other.PubKey())
	if err := EnsureDistinctFromConsensusKey(key, pv); err != nil {
		t.Fatalf("distinct keys rejected: %v", err)
	}
	write(key.PubKey())
	if err := EnsureDistinctFromConsensusKey(key, pv); err == nil {
		t.Fatal("equal keys accepted")
	}
}

func TestSaveKeyFileRejectsZeroKey(t *testing.T) {
	if err := SaveKeyFile(filepath.Join(t.TempDir(), "k.json"), PrivateKey{}); err == nil {
		t.Fatal("zero key saved")
	}
}
