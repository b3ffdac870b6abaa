package inference

import (
	"context"
	"slices"
	"testing"
	"time"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// BenchmarkRescore compares re-scoring a claimed output (Llama.Rescore, one batched pass)
// with generating it (Llama.Generate) for the same job: greedy, 128 and 512 output tokens,
// on the demo model and the 5 M model of BenchmarkGenerate, SOVRA_BENCH_THREADS threads
// (default 1), the library folder's kernel variant (SOVRA_LLAMA_LIB). Each iteration times
// one generation and one re-scoring, alternating which goes first; it reports the median
// over iterations of rescore/generate (target <= 0.10 at 128 tokens on small-5M) and the
// mean milliseconds of each.
func BenchmarkRescore(b *testing.B) {
	lib := llamaLibDir(b)
	threads := benchThreads(b)
	b.Cleanup(benchCleanupModels)
	// 512 output tokens need a context above the models' 512: the same weights, written
	// with a 1024-token training context.
	ctx1024 := func(m benchModel) benchModel {
		m.name += "-ctx1024"
		m.cfg.Context = 1024
		return m
	}
	cases := []struct {
		name   string
		model  benchModel
		tokens int
	}{
		{"demo-tiny/128", benchModels[0], 128},
		{"demo-tiny/512", ctx1024(benchModels[0]), 512},
		{"small-5M/128", benchModels[1], 128},
		{"small-5M/512", ctx1024(benchModels[1]), 512},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			l, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: benchModelPath(b, c.model), Threads: threads})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = l.Close() })
			ctx := context.Background()
			req := Request{Prompt: benchPrompt, MaxTokens: c.tokens}
			gen, err := l.Generate(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			if len(gen.OutputTokens) != c.tokens {
				b.Logf("%s stops after %d of %d tokens", c.name, len(gen.OutputTokens), c.tokens)
			}
			rreq := RescoreRequest{Prompt: benchPrompt, Claimed: claimedOf(gen), Sampling: tasktypes.Sampling{}}
			runGen := func() time.Duration {
				start := time.Now()
				if _, err := l.Generate(ctx, req); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			runRescore := func() time.Duration {
				start := time.Now()
				if _, err := l.Rescore(ctx, rreq); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			runRescore() // warm up the batch-sized buffers
			var ratios []float64
			var tg, tr time.Duration
			for b.Loop() {
				var g, r time.Duration
				if len(ratios)%2 == 0 {
					g, r = runGen(), runRescore()
				} else {
					r, g = runRescore(), runGen()
				}
				tg += g
				tr += r
				ratios = append(ratios, r.Seconds()/g.Seconds())
			}
			slices.Sort(ratios)
			n := float64(len(ratios))
			b.ReportMetric(ratios[len(ratios)/2], "rescore/generate")
			b.ReportMetric(tg.Seconds()*1000/n, "generate-ms")
			b.ReportMetric(tr.Seconds()*1000/n, "rescore-ms")
		})
	}
}
