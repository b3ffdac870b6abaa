package inference

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hybridgroup/yzma/pkg/llama"

	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/testutil/llamaserver"
)

// fakeServer answers like llama-server for a 10-token vocabulary; fault breaks one answer.
type fakeServer struct {
	mu    sync.Mutex
	fault string // "" or a name from the table in TestLlamaServerBadAnswers
	nCtx  int
}

// Pieces of the fake vocabulary: 1 is BOS, 2 EOS.
var fakePieces = map[int]string{0: "<unk>", 1: "<s>", 2: "</s>", 3: " a", 4: " .", 5: "x", 6: "y", 7: "z"}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fault := f.fault
	f.mu.Unlock()
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	reply := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	switch r.URL.Path {
	case "/health":
		reply(map[string]any{"status": "ok"})
	case "/props":
		reply(map[string]any{"default_generation_settings": map[string]any{"n_ctx": f.nCtx}, "model_path": ""})
	case "/v1/models":
		reply(map[string]any{"data": []any{map[string]any{"meta": map[string]any{"n_vocab": 10, "n_ctx_train": f.nCtx}}}})
	case "/tokenize":
		if fault == "tokenize 500" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		switch content := body["content"].(type) {
		case []any: // token ids, with pieces
			var out []any
			for _, id := range content {
				out = append(out, map[string]any{"id": id, "piece": fakePieces[int(id.(float64))]})
			}
			reply(map[string]any{"tokens": out})
		case string:
			toks := []int{3, 4}
			if strings.Count(content, " ") > 20 { // a long prompt
				toks = make([]int, f.nCtx)
			}
			if body["add_special"] == true {
				toks = append([]int{1}, toks...)
			}
			reply(map[string]any{"tokens": toks})
		}
	case "/completion":
		n := int(body["n_predict"].(float64))
		prompt := body["prompt"].([]any)
		if n == 1 && len(prompt) == 2 { // the calibration: the echo of " a ." with add_space_prefix
			reply(map[string]any{"tokens": []int{5}, "stop_type": "limit", "tokens_evaluated": 2, "prompt": "a ."})
			return
		}
		resp := map[string]any{"content": "xy", "tokens": []int{5, 6, 2}, "stop_type": "eos", "tokens_evaluated": len(prompt), "prompt": "a ."}
		switch fault {
		case "http 500":
			http.Error(w, `{"error":{"code":500,"message":"boom"}}`, http.StatusInternalServerError)
			return
		case "not json":
			_, _ = w.Write([]byte("<html>proxy error</html>"))
			return
		case "tokens not ints":
			resp["tokens"] = []any{"5", "6"}
		case "fractional token":
			resp["tokens"] = []any{5.5}
		case "stop_type not a string":
			resp["stop_type"] = 1
		case "no tokens":
			delete(resp, "tokens")
		case "no stop_type":
			delete(resp, "stop_type")
		case "token out of vocab":
			resp["tokens"] = []int{5, 10, 2}
		case "negative token":
			resp["tokens"] = []int{-1, 2}
		case "too many tokens":
			resp["tokens"], resp["stop_type"] = []int{5, 6, 7, 5, 6}, "limit"
		case "short at limit":
			resp["tokens"], resp["stop_type"] = []int{5}, "limit"
		case "eos without token":
			resp["tokens"] = []int{}
		case "stop word":
			resp["stop_type"] = "word"
		case "prompt not evaluated":
			resp["tokens_evaluated"] = 1
		}
		reply(resp)
	default:
		http.NotFound(w, r)
	}
}

func openFake(t *testing.T) (*fakeServer, *httptest.Server, *LlamaServer) {
	t.Helper()
	f := &fakeServer{nCtx: 16}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	b, err := NewLlamaServer(LlamaServerConfig{URL: srv.URL})
	if err != nil {
		t.Fatalf("NewLlamaServer: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return f, srv, b.(*LlamaServer)
}

func TestLlamaServerFake(t *testing.T) {
	_, _, b := openFake(t)
	if !b.addSpacePrefix || b.cleanSpaces || b.ContextSize() != 16 {
		t.Fatalf("calibration: add_space_prefix %v clean_spaces %v context %d", b.addSpacePrefix, b.cleanSpaces, b.ContextSize())
	}
	res, err := b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.PromptTokens, []uint32{1, 3, 4}) || !slices.Equal(res.OutputTokens, []uint32{5, 6}) || res.Text != "xy" || res.Stop != StopEOS {
		t.Fatalf("result %+v", res)
	}
	_, err = b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 4, TemperatureMilli: 700, TopK: 40})
	if !errors.Is(err, ErrUnsupportedSampling) {
		t.Fatalf("sampled request: %v, want ErrUnsupportedSampling", err)
	}
	t.Logf("sampled request: %v", err)
	if _, err := b.Generate(context.Background(), Request{Prompt: "bad \xff", MaxTokens: 4}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("invalid UTF-8 prompt: %v", err)
	}
	// 3 prompt tokens in a context of 16
	if _, err := b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 14}); !errors.Is(err, ErrContextExceeded) {
		t.Fatalf("context exceeded: %v", err)
	}
	if _, err := b.Generate(context.Background(), Request{Prompt: strings.Repeat("w ", 30), MaxTokens: 1}); !errors.Is(err, ErrPromptTooLong) {
		t.Fatalf("prompt too long: %v", err)
	}
	if _, err := b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 13}); err != nil {
		t.Fatalf("prompt + max tokens = context: %v", err)
	}
}

func TestLlamaServerBadAnswers(t *testing.T) {
	f, _, b := openFake(t)
	for _, fault := range []string{
		"http 500", "not json", "tokens not ints", "fractional token", "stop_type not a string",
		"no tokens", "no stop_type", "token out of vocab", "negative token", "too many tokens", "short at limit",
		"eos without token", "stop word", "prompt not evaluated", "tokenize 500",
	} {
		f.mu.Lock()
		f.fault = fault
		f.mu.Unlock()
		res, err := b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 4})
		if !errors.Is(err, ErrBackend) {
			t.Errorf("%s: got %v, want ErrBackend", fault, err)
		}
		if res.PromptTokens != nil || res.OutputTokens != nil || res.Text != "" {
			t.Errorf("%s: a result came with the error: %+v", fault, res)
		}
	}
}

func TestLlamaServerDown(t *testing.T) {
	_, srv, b := openFake(t)
	srv.Close()
	res, err := b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 4})
	if !errors.Is(err, ErrBackend) || res.OutputTokens != nil {
		t.Fatalf("server down: %v %+v, want ErrBackend", err, res)
	}
	t.Logf("server down: %v", err)
	if _, err := NewLlamaServer(LlamaServerConfig{URL: srv.URL}); !errors.Is(err, ErrBackend) {
		t.Fatalf("open with the server down: %v, want ErrBackend", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Generate(ctx, Request{Prompt: "hi", MaxTokens: 4}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v, want context.Canceled", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 4}); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

func TestLlamaServerOpenChecks(t *testing.T) {
	f := &fakeServer{nCtx: 16}
	srv := httptest.NewServer(f)
	defer srv.Close()
	if _, err := NewLlamaServer(LlamaServerConfig{URL: srv.URL, Context: 32}); err == nil || !strings.Contains(err.Error(), "-c 32") {
		t.Fatalf("context larger than the server's: %v", err)
	}
	if _, err := NewLlamaServer(LlamaServerConfig{URL: "127.0.0.1:8080"}); err == nil {
		t.Fatal("a URL without scheme was accepted")
	}
	dir := t.TempDir()
	a, c := filepath.Join(dir, "a.gguf"), filepath.Join(dir, "b.gguf")
	for _, p := range []string{a, c} {
		if err := os.WriteFile(p, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := sameModel(a, a); err != nil {
		t.Fatal(err)
	}
	if err := sameModel(a, c); err == nil {
		t.Fatal("another model file was accepted")
	}
	if err := sameModel(a, "/elsewhere/a.gguf"); err != nil {
		t.Fatalf("a path the worker cannot see, same name: %v", err)
	}
	if err := sameModel(a, "/elsewhere/other.gguf"); err == nil {
		t.Fatal("a path the worker cannot see, other name, was accepted")
	}
}

func TestCleanUpSpaces(t *testing.T) {
	// expected values from the C++ loop of llama-vocab.cpp, compiled and run on these inputs
	for in, want := range map[string]string{
		"":                          "",
		" .":                        ".",
		"a . b , c ? d !":           "a. b, c? d!",
		"it ' s":                    "it's",
		"he 's , we 're , you 've":  "he's, we're, you've",
		"I 'm , don 't , we 'll":    "I'm, don 't, we 'll",
		"x ' ":                      "x'",
		"a ' ' b":                   "a'' b",
		"end '":                     "end '",
		"spaces  .  ":               "spaces .  ",
		"\xe2\x96 . partial utf-8 ": "\xe2\x96. partial utf-8 ",
		"a ' b ' c":                 "a'b'c",
		" ' ' '":                    "'' '",
	} {
		if got := string(cleanUpSpaces([]byte(in))); got != want {
			t.Errorf("cleanUpSpaces(%q) = %q, want %q", in, got, want)
		}
	}
}

// The comparison with the llama backend needs the real llama-server (make llama-server) and
// the llama.cpp libraries (make llama-libs).

func startRealServer(t *testing.T, l *Llama, model string) *LlamaServer {
	t.Helper()
	srv := llamaserver.Start(t, llamaserver.Options{Model: model, Context: l.ContextSize(), Threads: 2})
	b, err := NewLlamaServer(LlamaServerConfig{URL: srv.URL, ModelPath: model})
	if err != nil {
		t.Fatalf("NewLlamaServer: %v (log %s)", err, srv.Log)
	}
	t.Cleanup(func() { _ = b.Close() })
	s := b.(*LlamaServer)
	if s.ContextSize() != l.ContextSize() {
		t.Fatalf("context: server backend %d, llama %d", s.ContextSize(), l.ContextSize())
	}
	return s
}

// compareGenerate runs req on both backends and requires the same result or the same error.
func compareGenerate(t *testing.T, l *Llama, s *LlamaServer, req Request) Result {
	t.Helper()
	want, werr := l.Generate(context.Background(), req)
	got, gerr := s.Generate(context.Background(), req)
	if werr != nil || gerr != nil {
		if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
			t.Fatalf("prompt %.40q max %d: llama error %v, llama-server error %v", req.Prompt, req.MaxTokens, werr, gerr)
		}
		return Result{}
	}
	if !slices.Equal(got.PromptTokens, want.PromptTokens) || !slices.Equal(got.OutputTokens, want.OutputTokens) ||
		got.Text != want.Text || got.Stop != want.Stop {
		t.Fatalf("prompt %.40q max %d differs:\nllama        %v %v %q\nllama-server %v %v %q", req.Prompt, req.MaxTokens,
			want.OutputTokens, want.Stop, want.Text, got.OutputTokens, got.Stop, got.Text)
	}
	return want
}

// compareDetokenize renders random token sequences (control, byte and normal tokens mixed, so
// tokens ending inside a UTF-8 character too) with both and requires the same bytes.
func compareDetokenize(t *testing.T, l *Llama, s *LlamaServer, extra []uint32, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(l.nVocab)))
	pool := append([]uint32{0, 1, 2, 3, 4}, extra...)
	for range n {
		toks := make([]uint32, 1+rng.IntN(12))
		for i := range toks {
			if rng.IntN(4) == 0 {
				toks[i] = pool[rng.IntN(len(pool))]
			} else {
				toks[i] = uint32(rng.IntN(l.nVocab))
			}
		}
		in := make([]llama.Token, len(toks))
		for i, tk := range toks {
			in[i] = llama.Token(tk)
		}
		want := llama.Detokenize(l.vocab, in, false, false)
		got, err := s.detokenize(context.Background(), toks)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("tokens %v: llama %q, llama-server backend %q", toks, want, got)
		}
	}
}

func TestLlamaServerMatchesLlama(t *testing.T) {
	if testing.Short() {
		t.Skip("starts llama-server")
	}
	llamaserver.Binary(t)
	l := newTestLlama(t, 0) // the model's training context, 512
	s := startRealServer(t, l, tinyModel(t))
	t.Logf("demo model: context %d, vocabulary %d, add_space_prefix %v, clean_spaces %v", s.nCtx, s.nVocab, s.addSpacePrefix, s.cleanSpaces)

	long := strings.Repeat("The chain verifies each answer of the model with a hash proof. ", 12)
	longToks, err := l.Tokenize(long)
	if err != nil {
		t.Fatal(err)
	}
	reqs := []Request{
		{Prompt: testPrompt, MaxTokens: 48},
		{Prompt: "Once upon a time", MaxTokens: 16},
		{Prompt: "Once upon a time", MaxTokens: 1},
		{Prompt: "hello", MaxTokens: 64, Seed: 99, TopK: 5, TopPMilli: 900}, // greedy: top-k/p do not matter
		{Prompt: "Grüße, 世界! 🙂 naïve café", MaxTokens: 40},
		{Prompt: "<s> special </s> text <unk>", MaxTokens: 24},
		{Prompt: "", MaxTokens: 8},
		{Prompt: " leading space and trailing ", MaxTokens: 20},
		{Prompt: long, MaxTokens: 30},
		{Prompt: long, MaxTokens: s.nCtx - len(longToks)}, // fills the context exactly
		{Prompt: long, MaxTokens: s.nCtx - len(longToks) + 1},
		{Prompt: strings.Repeat(long, 3), MaxTokens: 1},
	}
	for _, w := range strings.Fields("the of model chain token block proof price job verify node") {
		reqs = append(reqs, Request{Prompt: w, MaxTokens: 32})
	}
	var outTokens, partial int
	for _, req := range reqs {
		r := compareGenerate(t, l, s, req)
		outTokens += len(r.OutputTokens)
		if r.Text != strings.ToValidUTF8(r.Text, "") {
			partial++
		}
		if r.PromptTokens != nil {
			t.Logf("%d prompt + %d output tokens (%s): %.60q", len(r.PromptTokens), len(r.OutputTokens), r.Stop, r.Text)
		}
	}
	t.Logf("%d requests equal, %d output tokens, %d texts with invalid UTF-8", len(reqs), outTokens, partial)
	compareDetokenize(t, l, s, []uint32{3 + 0xE2, 3 + 0x82, 3 + 0xAC, 3 + 0xC3, 3 + 0x20}, 300)
}

// TestLlamaServerRealVocabularies repeats the comparison on models with llama.cpp's own
// SentencePiece and BPE (llama 3) vocabularies from the source tree, which exercise the
// other detokenizer settings (clean_spaces, byte-level BPE, many control tokens).
func TestLlamaServerRealVocabularies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts llama-server")
	}
	llamaserver.Binary(t)
	_, file, _, _ := runtime.Caller(0)
	models := filepath.Join(filepath.Dir(file), "..", "..", ".llama", "src", "models")
	for _, tc := range []struct {
		vocab string
		extra []uint32 // control and byte tokens worth mixing in
	}{
		{"ggml-vocab-llama-spm.gguf", []uint32{3 + 0xE2, 3 + 0x82, 3 + 0xAC, 3 + 0xF0}},
		{"ggml-vocab-llama-bpe.gguf", []uint32{128000, 128001, 128006, 128007, 128009, 128255, 11, 13, 364, 596}},
	} {
		t.Run(tc.vocab, func(t *testing.T) {
			vocab := filepath.Join(models, tc.vocab)
			if _, err := os.Stat(vocab); err != nil {
				t.Skipf("%s not found (scripts/build-llama-server.sh clones the llama.cpp source)", vocab)
			}
			cfg := gguf.DefaultConfig()
			cfg.VocabFile, cfg.Dim, cfg.FFN, cfg.Type = vocab, 32, 64, "f16"
			model := filepath.Join(t.TempDir(), "model.gguf")
			if _, err := gguf.WriteFile(model, cfg); err != nil {
				t.Fatal(err)
			}
			lib := llamaLibDir(t)
			l, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: model, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = l.Close() })
			s := startRealServer(t, l, model)
			t.Logf("vocabulary %d, add_space_prefix %v, clean_spaces %v", s.nVocab, s.addSpacePrefix, s.cleanSpaces)
			for _, req := range []Request{
				{Prompt: testPrompt, MaxTokens: 32},
				{Prompt: "Grüße, 世界! 🙂 It's a test , isn't it ?", MaxTokens: 32},
				{Prompt: "x", MaxTokens: 1},
			} {
				r := compareGenerate(t, l, s, req)
				t.Logf("%d prompt + %d output tokens (%s): %.60q", len(r.PromptTokens), len(r.OutputTokens), r.Stop, r.Text)
			}
			compareDetokenize(t, l, s, tc.extra, 150)
		})
	}
}
