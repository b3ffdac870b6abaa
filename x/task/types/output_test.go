package types

import (
	"bytes"
	"testing"
)

func claimed(prompt, out []uint32, stop uint32) Claimed {
	return Claimed{PromptTokens: prompt, OutputTokens: out, StopToken: stop}
}

func TestOutputHashBindsEveryField(t *testing.T) {
	model := bytes.Repeat([]byte{7}, 32)
	s := Sampling{Seed: 1, TemperatureMilli: 700, TopK: 40, TopPMilli: 900}
	c := claimed([]uint32{1, 2}, []uint32{3, 4}, NoStopToken)
	base := OutputHash(model, 9, s, c)
	if again := OutputHash(model, 9, s, claimed([]uint32{1, 2}, []uint32{3, 4}, NoStopToken)); again != base {
		t.Fatal("hash is not deterministic")
	}
	variants := map[string][32]byte{
		"model":          OutputHash(bytes.Repeat([]byte{8}, 32), 9, s, c),
		"job":            OutputHash(model, 10, s, c),
		"seed":           OutputHash(model, 9, Sampling{Seed: 2, TemperatureMilli: 700, TopK: 40, TopPMilli: 900}, c),
		"temperature":    OutputHash(model, 9, Sampling{Seed: 1, TemperatureMilli: 701, TopK: 40, TopPMilli: 900}, c),
		"prompt":         OutputHash(model, 9, s, claimed([]uint32{1, 3}, []uint32{3, 4}, NoStopToken)),
		"output":         OutputHash(model, 9, s, claimed([]uint32{1, 2}, []uint32{3, 5}, NoStopToken)),
		"token boundary": OutputHash(model, 9, s, claimed([]uint32{1}, []uint32{2, 3, 4}, NoStopToken)),
		"stop token":     OutputHash(model, 9, s, claimed([]uint32{1, 2}, []uint32{3, 4}, 2)),
	}
	for name, h := range variants {
		if h == base {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
}

func TestClaimedPositions(t *testing.T) {
	if n := claimed(nil, []uint32{3, 4}, NoStopToken).Positions(); n != 2 {
		t.Fatalf("max-tokens output: %d positions, want 2", n)
	}
	c := claimed(nil, []uint32{3, 4}, 2)
	if n := c.Positions(); n != 3 {
		t.Fatalf("output stopped on a token: %d positions, want 3", n)
	}
	if got := c.Scored(); len(got) != 3 || got[2] != 2 {
		t.Fatalf("scored tokens %v", got)
	}
}

func TestCommitmentBindsTraceAndSalt(t *testing.T) {
	h := OutputHash(nil, 1, Sampling{}, claimed(nil, []uint32{1}, NoStopToken))
	tr := [32]byte{1}
	if bytes.Equal(Commitment(h, tr, []byte("a")), Commitment(h, tr, []byte("b"))) {
		t.Fatal("salt ignored")
	}
	if bytes.Equal(Commitment(h, tr, []byte("a")), Commitment(h, [32]byte{2}, []byte("a"))) {
		t.Fatal("trace hash ignored")
	}
	if len(Commitment(h, tr, nil)) != CommitmentSize {
		t.Fatal("commitment size")
	}
}

// The draw is the i-th output of the sampler's SplitMix64 stream, high 32 bits.
func TestSamplerDrawMatchesTheStream(t *testing.T) {
	const seed = 12345
	state := uint64(seed)
	for i := 0; i < 100; i++ {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		if got := SamplerDraw(seed, i); got != z>>32 {
			t.Fatalf("draw %d: %d, want %d", i, got, z>>32)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	priv, pub, err := DeriveOutputKey([]byte("signature-bytes"))
	if err != nil {
		t.Fatal(err)
	}
	priv2, pub2, _ := DeriveOutputKey([]byte("signature-bytes"))
	if *priv != *priv2 || *pub != *pub2 {
		t.Fatal("derivation is not deterministic")
	}
	in := SealedPayload{Text: []byte("h\xc3llo"), OutputTokens: []uint32{5, 6}} // invalid UTF-8 survives
	sealed, err := Seal(pub[:], in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Open(sealed, pub, priv)
	if err != nil || !bytes.Equal(out.Text, in.Text) || len(out.OutputTokens) != 2 {
		t.Fatalf("open: %+v %v", out, err)
	}
	otherPriv, otherPub, _ := DeriveOutputKey([]byte("another key"))
	if _, err := Open(sealed, otherPub, otherPriv); err == nil {
		t.Fatal("opened with the wrong key")
	}
	if _, err := Seal([]byte{1, 2}, in); err == nil {
		t.Fatal("sealed to a short key")
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Params){
		"zero prompt":        func(p *Params) { p.MaxPromptBytes = 0 },
		"zero deadline":      func(p *Params) { p.DefaultDeadlineBlocks = 0 },
		"max below default":  func(p *Params) { p.MaxDeadlineBlocks = p.DefaultDeadlineBlocks - 1 },
		"zero window":        func(p *Params) { p.DecisionWindow = 0 },
		"zero results":       func(p *Params) { p.MaxResultsPerCommit = 0 },
		"zero draw attempts": func(p *Params) { p.MaxAssignAttempts = 0 },
	} {
		p := DefaultParams()
		mut(&p)
		if p.Validate() == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func FuzzMsgSubmitJobValidateBasic(f *testing.F) {
	f.Add("model", "prompt", uint64(4), uint32(0), uint32(1000), 32)
	f.Fuzz(func(t *testing.T, model, prompt string, maxTokens uint64, temp, topP uint32, keyLen int) {
		if keyLen < 0 || keyLen > 64 {
			return
		}
		m := MsgSubmitJob{
			Submitter: "sovra1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqa6rkv2", ModelId: model, Prompt: prompt,
			MaxOutputTokens: maxTokens, Sampling: Sampling{TemperatureMilli: temp, TopPMilli: topP},
			OutputKey: make([]byte, keyLen),
		}
		_ = m.ValidateBasic() // must never panic
	})
}
