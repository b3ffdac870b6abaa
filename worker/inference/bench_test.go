package inference

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hybridgroup/yzma/pkg/llama"

	"github.com/sovra-network/sovra/internal/gguf"
)

// BenchmarkGenerate compares the worker's generation speed with the cost floor of the same
// llama.cpp library (make bench, section 3; target backend/direct >= 0.95):
//
//   - direct: a minimal greedy loop on the yzma API, with the calls and parameters llama.go
//     uses (model and context parameters, clear the KV cache, tokenize, decode the prompt in
//     one batch, then per token: argmax over the logits and decode that token);
//   - backend: Llama.Generate, what the worker runs per job (request checks, Go sampler,
//     end-of-generation check, token conversions, detokenization);
//   - interleaved: one generation of each per iteration, alternating which goes first, so a
//     load change on the machine hits both alike; it reports the tok/s of both and the
//     median over iterations of backend/direct (the ratio of their tok/s).
//
// Each runs on two models written by internal/gguf: demo-tiny (gguf.DefaultConfig, the
// model of config.yml: 0.17 M parameters, 0.7 MB) and small-5M (dim 256, 6 layers, 8 heads,
// 4 kv heads, ffn 768: 5.1 M parameters, 20 MB of f32 weights read per token, a per-token
// cost nearer a real model's). Same prompt, greedy, benchMaxTokens output tokens each time
// (the setup checks that neither model stops early and that both loops produce the same
// tokens), same thread count (SOVRA_BENCH_THREADS, default 1, the worker's default), the
// library folder's one CPU kernel variant (x64 by default). tok/s is output tokens over
// the wall time of whole generations, prompt included.

const benchMaxTokens = 128

var benchPrompt = testPrompt

type benchModel struct {
	name string
	cfg  gguf.Config
}

var benchModels = []benchModel{
	{"demo-tiny", gguf.DefaultConfig()},
	{"small-5M", gguf.Config{Dim: 256, Layers: 6, Heads: 8, KVHeads: 4, FFN: 768, Context: 512, Seed: 42, Type: "f32"}},
}

func benchThreads(b *testing.B) int {
	s := os.Getenv("SOVRA_BENCH_THREADS")
	if s == "" {
		return 1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("SOVRA_BENCH_THREADS=%q: want a positive integer", s)
	}
	return n
}

// directLlama is the cost floor: the library's calls and nothing else.
type directLlama struct {
	model  llama.Model
	lctx   llama.Context
	vocab  llama.Vocab
	nVocab int
}

// newDirect loads the model and creates a context exactly as NewLlama does (Context 0).
func newDirect(b *testing.B, lib, path string, threads int) *directLlama {
	b.Helper()
	if err := loadLibrary(lib); err != nil {
		b.Fatal(err)
	}
	mp := llama.ModelDefaultParams()
	mp.NGpuLayers = 0
	model, err := llama.ModelLoadFromFile(path, mp)
	if err != nil {
		b.Fatal(err)
	}
	vocab := llama.ModelGetVocab(model)
	nCtx := DefaultContext
	if train := int(llama.ModelNCtxTrain(model)); train > 0 && train < nCtx {
		nCtx = train
	}
	cp := llama.ContextDefaultParams()
	cp.NCtx = uint32(nCtx)
	cp.NBatch = uint32(nCtx)
	cp.NUbatch = uint32(nCtx)
	cp.NSeqMax = 1
	cp.NThreads = int32(threads)
	cp.NThreadsBatch = int32(threads)
	cp.FlashAttentionType = llama.FlashAttentionTypeDisabled
	cp.Embeddings = 0
	cp.NoPerf = 1
	lctx, err := llama.InitFromModel(model, cp)
	if err != nil {
		b.Fatal(err)
	}
	d := &directLlama{model: model, lctx: lctx, vocab: vocab, nVocab: int(llama.VocabNTokens(vocab))}
	b.Cleanup(func() {
		_ = llama.Free(d.lctx)
		_ = llama.ModelFree(d.model)
	})
	return d
}

// generate decodes n tokens greedily after prompt; out is reused.
func (d *directLlama) generate(prompt string, n int, out []llama.Token) ([]llama.Token, error) {
	mem, err := llama.GetMemory(d.lctx)
	if err != nil {
		return nil, err
	}
	if err := llama.MemoryClear(mem, true); err != nil {
		return nil, err
	}
	var one [1]llama.Token
	batch := llama.Tokenize(d.vocab, prompt, true, true)
	out = out[:0]
	for len(out) < n {
		if rc, err := llama.Decode(d.lctx, llama.BatchGetOne(batch)); err != nil || rc != 0 {
			return nil, fmt.Errorf("decode: rc %d, %w", rc, err)
		}
		logits, err := llama.GetLogitsIth(d.lctx, -1, d.nVocab)
		if err != nil || logits == nil {
			return nil, fmt.Errorf("no logits: %w", err)
		}
		best := 0
		for i, l := range logits {
			if l > logits[best] {
				best = i
			}
		}
		one[0] = llama.Token(best)
		out = append(out, one[0])
		batch = one[:]
	}
	return out, nil
}

var benchModelPaths = map[string]string{}

// benchModelPath writes a model once per test binary (removed with the tiny model's folder
// when it is the same, else by the test's cleanup of its own temp dir).
func benchModelPath(b *testing.B, m benchModel) string {
	b.Helper()
	if m.name == "demo-tiny" {
		return tinyModel(b)
	}
	if p, ok := benchModelPaths[m.name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "sovra-bench-model-")
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, m.name+".gguf")
	if _, err := gguf.WriteFile(p, m.cfg); err != nil {
		b.Fatal(err)
	}
	benchModelPaths[m.name] = p
	return p
}

func benchCleanupModels() {
	for name, p := range benchModelPaths {
		os.RemoveAll(filepath.Dir(p))
		delete(benchModelPaths, name)
	}
}

func BenchmarkGenerate(b *testing.B) {
	lib := llamaLibDir(b)
	threads := benchThreads(b)
	b.Cleanup(benchCleanupModels)
	for _, m := range benchModels {
		b.Run(m.name, func(b *testing.B) {
			path := benchModelPath(b, m)
			backend, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: path, Threads: threads})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = backend.Close() })
			direct := newDirect(b, lib, path, threads)
			req := Request{Prompt: benchPrompt, MaxTokens: benchMaxTokens}
			ctx := context.Background()

			// Both loops do the same work: the model runs the whole budget, same tokens.
			res, err := backend.Generate(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			if res.Stop != StopMaxTokens || len(res.OutputTokens) != benchMaxTokens {
				b.Fatalf("%s stops early on the bench prompt: %s after %d tokens", m.name, res.Stop, len(res.OutputTokens))
			}
			buf := make([]llama.Token, 0, benchMaxTokens)
			toks, err := direct.generate(benchPrompt, benchMaxTokens, buf)
			if err != nil {
				b.Fatal(err)
			}
			if !slices.Equal(toUint32(toks), res.OutputTokens) {
				b.Fatalf("%s: direct and backend outputs differ:\n%v\n%v", m.name, toks, res.OutputTokens)
			}

			runDirect := func(b *testing.B) time.Duration {
				start := time.Now()
				if _, err := direct.generate(benchPrompt, benchMaxTokens, buf); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			runBackend := func(b *testing.B) time.Duration {
				start := time.Now()
				r, err := backend.Generate(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if len(r.OutputTokens) != benchMaxTokens {
					b.Fatalf("backend: %d output tokens", len(r.OutputTokens))
				}
				return time.Since(start)
			}
			tokps := func(gens int, d time.Duration) float64 {
				return float64(gens*benchMaxTokens) / d.Seconds()
			}

			// Each run starts with one untimed generation: the run before it used the other
			// loop, whose memory is the one in the caches.
			b.Run("direct", func(b *testing.B) {
				runDirect(b)
				var total time.Duration
				n := 0
				for b.Loop() {
					total += runDirect(b)
					n++
				}
				b.ReportMetric(tokps(n, total), "tok/s")
			})
			b.Run("backend", func(b *testing.B) {
				runBackend(b)
				var total time.Duration
				n := 0
				for b.Loop() {
					total += runBackend(b)
					n++
				}
				b.ReportMetric(tokps(n, total), "tok/s")
			})
			b.Run("interleaved", func(b *testing.B) {
				runDirect(b)
				runBackend(b)
				var td, tb time.Duration
				var ratios []float64 // per pair: a load burst spoils a pair, not the median
				n := 0
				for b.Loop() {
					var d, bk time.Duration
					if n%2 == 0 {
						d = runDirect(b)
						bk = runBackend(b)
					} else {
						bk = runBackend(b)
						d = runDirect(b)
					}
					td += d
					tb += bk
					ratios = append(ratios, d.Seconds()/bk.Seconds())
					n++
				}
				slices.Sort(ratios)
				b.ReportMetric(tokps(n, td), "direct-tok/s")
				b.ReportMetric(tokps(n, tb), "backend-tok/s")
				b.ReportMetric(ratios[len(ratios)/2], "backend/direct")
			})
		})
	}
}
