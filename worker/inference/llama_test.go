package inference

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/testutil/llamaenv"
)

// The llama tests need the libraries of scripts/llama-libs.sh (make llama-libs). They skip
// when those are missing, unless SOVRA_REQUIRE_LLAMA is set; SOVRA_LLAMA_LIB overrides the
// default folder <repo>/.llama/lib/x64.

// llamaLibDir is where the llama.cpp libraries are (testutil/llamaenv: skips when they
// are missing, unless SOVRA_REQUIRE_LLAMA is set).
func llamaLibDir(t testing.TB) string { return llamaenv.LibDir(t) }

var (
	modelOnce sync.Once
	modelPath string
	modelErr  error
)

// tinyModel writes the generator's default tiny model once per test binary.
func tinyModel(t testing.TB) string {
	t.Helper()
	modelOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sovra-inference-")
		if err != nil {
			modelErr = err
			return
		}
		modelPath = filepath.Join(dir, "tiny.gguf")
		_, modelErr = gguf.WriteFile(modelPath, gguf.DefaultConfig())
	})
	if modelErr != nil {
		t.Fatalf("write tiny model: %v", modelErr)
	}
	return modelPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if modelPath != "" {
		os.RemoveAll(filepath.Dir(modelPath))
	}
	os.Exit(code)
}

func newTestLlama(t testing.TB, ctxSize int) *Llama {
	t.Helper()
	lib := llamaLibDir(t)
	l, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: tinyModel(t), Threads: 1, Context: ctxSize})
	if err != nil {
		t.Fatalf("NewLlama: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func generate(t testing.TB, b Backend, req Request) Result {
	t.Helper()
	res, err := b.Generate(context.Background(), req)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", req, err)
	}
	return res
}

const testPrompt = "The quick brown fox jumps over the lazy dog."

func TestLlamaGreedyDeterministic(t *testing.T) {
	a, b := newTestLlama(t, 256), newTestLlama(t, 256)
	req := Request{Prompt: testPrompt, MaxTokens: 48}
	r1 := generate(t, a, req)
	r2 := generate(t, a, req)
	r3 := generate(t, b, req)
	if len(r1.PromptTokens) < 2 || r1.PromptTokens[0] != gguf.BOSID {
		t.Fatalf("prompt tokens must start with BOS %d: %v", gguf.BOSID, r1.PromptTokens)
	}
	if len(r1.OutputTokens) == 0 {
		t.Fatal("no output tokens")
	}
	for i, r := range []Result{r2, r3} {
		if !slices.Equal(r.PromptTokens, r1.PromptTokens) || !slices.Equal(r.OutputTokens, r1.OutputTokens) ||
			r.Text != r1.Text || r.Stop != r1.Stop {
			t.Fatalf("run %d differs:\n%v\n%v", i+2, r1.OutputTokens, r.OutputTokens)
		}
	}
	if r1.Stop == StopMaxTokens && len(r1.OutputTokens) != req.MaxTokens {
		t.Fatalf("stop %s with %d tokens", r1.Stop, len(r1.OutputTokens))
	}
	t.Logf("greedy: %d prompt, %d output tokens (%s) in %v: %q", len(r1.PromptTokens), len(r1.OutputTokens), r1.Stop, r1.Duration, r1.Text)
}

func TestLlamaSeededSampling(t *testing.T) {
	a, b := newTestLlama(t, 256), newTestLlama(t, 256)
	req := Request{Prompt: testPrompt, MaxTokens: 32, Seed: 11, TemperatureMilli: 1000, TopK: 40, TopPMilli: 950}
	r1, r2 := generate(t, a, req), generate(t, b, req)
	if !slices.Equal(r1.OutputTokens, r2.OutputTokens) {
		t.Fatalf("same seed differs across backends:\n%v\n%v", r1.OutputTokens, r2.OutputTokens)
	}
	differ := 0
	for seed := uint64(100); seed < 105; seed++ {
		req.Seed = seed
		if r := generate(t, a, req); !slices.Equal(r.OutputTokens, r1.OutputTokens) {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("five other seeds all gave the same output as seed 11")
	}
	greedy := generate(t, a, Request{Prompt: testPrompt, MaxTokens: 32})
	if slices.Equal(greedy.OutputTokens, r1.OutputTokens) {
		t.Log("note: sampled output equals the greedy one")
	}
}

func TestLlamaMaxTokens(t *testing.T) {
	l := newTestLlama(t, 256)
	long := generate(t, l, Request{Prompt: testPrompt, MaxTokens: 40})
	for _, n := range []int{1, 5, 17} {
		r := generate(t, l, Request{Prompt: testPrompt, MaxTokens: n})
		if len(r.OutputTokens) > n {
			t.Fatalf("MaxTokens %d: got %d tokens", n, len(r.OutputTokens))
		}
		// greedy decoding of a shorter budget is a prefix of the longer one
		if !slices.Equal(r.OutputTokens, long.OutputTokens[:min(len(r.OutputTokens), len(long.OutputTokens))]) {
			t.Fatalf("MaxTokens %d output is not a prefix of the 40-token output", n)
		}
		if r.Stop == StopMaxTokens && len(r.OutputTokens) != n {
			t.Fatalf("MaxTokens %d: stop %s after %d tokens", n, r.Stop, len(r.OutputTokens))
		}
	}
}

func TestLlamaRejectsBadRequests(t *testing.T) {
	l := newTestLlama(t, 64)
	tooLong := strings.Repeat("many words here ", 64)
	if _, err := l.Generate(context.Background(), Request{Prompt: tooLong, MaxTokens: 1}); !errors.Is(err, ErrPromptTooLong) {
		t.Fatalf("long prompt: got %v, want ErrPromptTooLong", err)
	}
	if _, err := l.Generate(context.Background(), Request{Prompt: testPrompt, MaxTokens: 64}); !errors.Is(err, ErrContextExceeded) {
		t.Fatalf("prompt + max tokens > context: got %v, want ErrContextExceeded", err)
	}
	if _, err := l.Generate(context.Background(), Request{Prompt: testPrompt, MaxTokens: 0}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("max tokens 0: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Generate(ctx, Request{Prompt: testPrompt, MaxTokens: 4}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: got %v", err)
	}
	// the backend still works after the rejections
	generate(t, l, Request{Prompt: testPrompt, MaxTokens: 4})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Generate(context.Background(), Request{Prompt: testPrompt, MaxTokens: 1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: got %v", err)
	}
}

func TestNewLlamaErrors(t *testing.T) {
	lib := llamaLibDir(t)
	if _, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: filepath.Join(t.TempDir(), "none.gguf")}); err == nil {
		t.Fatal("missing model must fail")
	}
	bad := filepath.Join(t.TempDir(), "bad.gguf")
	if err := os.WriteFile(bad, []byte("not a gguf"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: bad}); err == nil {
		t.Fatal("corrupt model must fail")
	}
	if _, err := NewLlama(LlamaConfig{LibDir: t.TempDir(), ModelPath: tinyModel(t)}); !errors.Is(err, ErrLibraryMismatch) {
		t.Fatalf("second library folder: got %v, want ErrLibraryMismatch", err)
	}
}

// BenchmarkLlamaGreedy reports greedy generation speed on the tiny model with one thread.
func BenchmarkLlamaGreedy(b *testing.B) {
	l := newTestLlama(b, 512)
	req := Request{Prompt: testPrompt, MaxTokens: 256}
	tokens := 0
	var gen float64
	for b.Loop() {
		r := generate(b, l, req)
		tokens += len(r.OutputTokens)
		gen += r.Duration.Seconds()
	}
	b.ReportMetric(float64(tokens)/gen, "tok/s")
}

// TestLlamaQ8_0Models loads the q8_0 variant of each bench model next to its f32 original
// (the same seeded weights, quantized) and generates with both; it logs how much of a
// 64-token greedy run survives the quantization.
func TestLlamaQ8_0Models(t *testing.T) {
	lib := llamaLibDir(t)
	for _, m := range benchModels {
		t.Run(m.name, func(t *testing.T) {
			var runs [2]Result
			for i, typ := range []string{"f32", "q8_0"} {
				cfg := m.cfg
				cfg.Type = typ
				path := filepath.Join(t.TempDir(), typ+".gguf")
				if _, err := gguf.WriteFile(path, cfg); err != nil {
					t.Fatal(err)
				}
				l, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: path, Threads: 1, Context: 256})
				if err != nil {
					t.Fatalf("NewLlama(%s): %v", typ, err)
				}
				t.Cleanup(func() { _ = l.Close() })
				short := generate(t, l, Request{Prompt: testPrompt, MaxTokens: 16})
				if len(short.OutputTokens) == 0 || (short.Stop == StopMaxTokens && len(short.OutputTokens) != 16) {
					t.Fatalf("%s: %d tokens (%s)", typ, len(short.OutputTokens), short.Stop)
				}
				runs[i] = generate(t, l, Request{Prompt: testPrompt, MaxTokens: 64})
				if !slices.Equal(short.OutputTokens, runs[i].OutputTokens[:len(short.OutputTokens)]) {
					t.Fatalf("%s: the 16-token output is not a prefix of the 64-token one", typ)
				}
			}
			f32, q8 := runs[0].OutputTokens, runs[1].OutputTokens
			same, prefix := 0, 0
			for i := range min(len(f32), len(q8)) {
				if f32[i] == q8[i] {
					same++
					if prefix == i {
						prefix++
					}
				}
			}
			t.Logf("%s: f32 and q8_0 agree on %d of %d/%d greedy tokens (first %d identical)\nf32:  %q\nq8_0: %q",
				m.name, same, len(f32), len(q8), prefix, runs[0].Text, runs[1].Text)
		})
	}
}
