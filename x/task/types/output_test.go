package types

import (
	"bytes"
	"testing"
)

func TestOutputHashBindsEveryField(t *testing.T) {
	model := bytes.Repeat([]byte{7}, 32)
	s := Sampling{Seed: 1, TemperatureMilli: 700, TopK: 40, TopPMilli: 900}
	base := OutputHash(model, 9, s, []uint32{1, 2}, []uint32{3, 4})
	if again := OutputHash(model, 9, s, []uint32{1, 2}, []uint32{3, 4}); again != base {
		t.Fatal("hash is not deterministic")
	}
	variants := map[string][32]byte{
		"model":          OutputHash(bytes.Repeat([]byte{8}, 32), 9, s, []uint32{1, 2}, []uint32{3, 4}),
		"job":            OutputHash(model, 10, s, []uint32{1, 2}, []uint32{3, 4}),
		"seed":           OutputHash(model, 9, Sampling{Seed: 2, TemperatureMilli: 700, TopK: 40, TopPMilli: 900}, []uint32{1, 2}, []uint32{3, 4}),
		"temperature":    OutputHash(model, 9, Sampling{Seed: 1, TemperatureMilli: 701, TopK: 40, TopPMilli: 900}, []uint32{1, 2}, []uint32{3, 4}),
		"prompt":         OutputHash(model, 9, s, []uint32{1, 3}, []uint32{3, 4}),
		"output":         OutputHash(model, 9, s, []uint32{1, 2}, []uint32{3, 5}),
		"token boundary": OutputHash(model, 9, s, []uint32{1}, []uint32{2, 3, 4}),
	}
	for name, h := range variants {
		if h == base {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
}

func TestCommitmentDependsOnSalt(t *testing.T) {
	h := OutputHash(nil, 1, Sampling{}, nil, []uint32{1})
	if bytes.Equal(Commitment(h, []byte("a")), Commitment(h, []byte("b"))) {
		t.Fatal("salt ignored")
	}
	if len(Commitment(h, nil)) != CommitmentSize {
		t.Fatal("commitment size")
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
