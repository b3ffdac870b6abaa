package inference

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/sovra-network/sovra/internal/gguf"
)

// emptyOutputPrompt's greedy output on the demo model is empty: its first token is the
// end of generation (worker's TestWorkerCommitsEmptyOutput).
const emptyOutputPrompt = "were but by 1999 a and"

// streamed collects what Request.OnToken reported.
type streamed struct {
	ids  []uint32
	text []byte
}

func (s *streamed) on(t *testing.T) OnToken {
	return func(index int, id uint32, piece []byte) {
		if index != len(s.ids) {
			t.Errorf("token %d reported at index %d", len(s.ids), index)
		}
		s.ids = append(s.ids, id)
		s.text = append(s.text, piece...)
	}
}

// checkOnToken generates req with and without OnToken on b: the results are identical
// (tokens, text, stop, audit trace), and the tokens and bytes reported are exactly
// Result.OutputTokens and Result.Text.
func checkOnToken(t *testing.T, b Backend, req Request) Result {
	t.Helper()
	plain := generate(t, b, req)
	var s streamed
	req.OnToken = s.on(t)
	got := generate(t, b, req)
	plain.Duration, got.Duration = 0, 0
	if !reflect.DeepEqual(plain, got) {
		t.Fatalf("prompt %.40q: the result changed with OnToken:\n%+v\n%+v", req.Prompt, plain, got)
	}
	if !slices.Equal(s.ids, got.OutputTokens) || string(s.text) != got.Text {
		t.Fatalf("prompt %.40q: reported %v %q, result %v %q", req.Prompt, s.ids, s.text, got.OutputTokens, got.Text)
	}
	return got
}

// TestLlamaOnToken: the llama backend reports every output token (never the stop token)
// with pieces that concatenate to the text, greedy and sampled, ending at eos and at
// max tokens; the result and its trace are those of a generation without the callback;
// and a token is reported before the next decode (a cancel from the callback stops the
// generation before another token is sampled).
func TestLlamaOnToken(t *testing.T) {
	l := newTestLlama(t, 512)
	if !l.detokKnown {
		t.Fatalf("the demo vocabulary's detokenizer was not measured")
	}
	t.Logf("demo vocabulary: add_space_prefix %v, clean_spaces %v", l.addSpacePrefix, l.cleanSpaces)
	var eos, limit int
	for _, req := range []Request{
		{Prompt: testPrompt, MaxTokens: 48},
		{Prompt: "Once upon a time", MaxTokens: 16},
		{Prompt: "Once upon a time", MaxTokens: 1},
		{Prompt: "Grüße, 世界! 🙂 naïve café", MaxTokens: 40},
		{Prompt: "<s> special </s> text <unk>", MaxTokens: 24},
		{Prompt: testPrompt, MaxTokens: 64, Seed: 5, TemperatureMilli: 1000, TopK: 40, TopPMilli: 950},
		{Prompt: "hello", MaxTokens: 200, Seed: 9, TemperatureMilli: 1500},
		{Prompt: "were but by 1999 a", MaxTokens: 300, Seed: 4, TemperatureMilli: 800}, // 17 tokens, then eos
		{Prompt: emptyOutputPrompt, MaxTokens: 16},                                     // eos first: nothing reported
	} {
		r := checkOnToken(t, l, req)
		if r.Stop == StopEOS {
			eos++
		} else {
			limit++
		}
	}
	t.Logf("%d generations ended at eos, %d at max tokens", eos, limit)
	if eos < 2 {
		t.Fatalf("only %d generations ended at eos: the stop token's exclusion is not exercised", eos)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var s streamed
	on := s.on(t)
	_, err := l.Generate(ctx, Request{Prompt: testPrompt, MaxTokens: 48, OnToken: func(i int, id uint32, p []byte) {
		on(i, id, p)
		if i == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || len(s.ids) != 3 {
		t.Fatalf("cancelled at the third token: %v after %d tokens", err, len(s.ids))
	}
}

// TestLlamaOnTokenRealVocabularies repeats the check on models with llama.cpp's own
// SentencePiece and BPE (llama 3, which cleans up spaces) vocabularies from its source tree.
func TestLlamaOnTokenRealVocabularies(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and loads three models")
	}
	lib := llamaLibDir(t)
	_, file, _, _ := runtime.Caller(0)
	models := filepath.Join(filepath.Dir(file), "..", "..", ".llama", "src", "models")
	for _, vocab := range []string{"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-gpt-2.gguf"} {
		t.Run(vocab, func(t *testing.T) {
			path := filepath.Join(models, vocab)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s not found (scripts/build-llama-server.sh clones the llama.cpp source)", path)
			}
			cfg := gguf.DefaultConfig()
			cfg.VocabFile, cfg.Dim, cfg.FFN, cfg.Type = path, 32, 64, "f16"
			model := filepath.Join(t.TempDir(), "model.gguf")
			if _, err := gguf.WriteFile(model, cfg); err != nil {
				t.Fatal(err)
			}
			l, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: model, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = l.Close() })
			if !l.detokKnown {
				t.Fatalf("detokenizer not measured")
			}
			t.Logf("add_space_prefix %v, clean_spaces %v", l.addSpacePrefix, l.cleanSpaces)
			for _, req := range []Request{
				{Prompt: testPrompt, MaxTokens: 32},
				{Prompt: "Grüße, 世界! 🙂 It's a test , isn't it ?", MaxTokens: 32},
				{Prompt: "x", MaxTokens: 1},
				{Prompt: "It ' s", MaxTokens: 128, Seed: 3, TemperatureMilli: 2000},
				{Prompt: "don 't . , ?", MaxTokens: 128, Seed: 4, TemperatureMilli: 3000},
			} {
				r := checkOnToken(t, l, req)
				t.Logf("%d output tokens (%s): %.60q", len(r.OutputTokens), r.Stop, r.Text)
			}
		})
	}
}

// TestLlamaServerOnToken: the llama-server backend reports the tokens of its answer, the
// stop token left out, with pieces that concatenate to the text.
func TestLlamaServerOnToken(t *testing.T) {
	_, _, b := openFake(t)
	r := checkOnToken(t, b, Request{Prompt: "hi", MaxTokens: 4})
	if !slices.Equal(r.OutputTokens, []uint32{5, 6}) || r.Text != "xy" {
		t.Fatalf("result %+v", r)
	}
}
