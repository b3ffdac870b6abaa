package worker_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// BenchmarkSubmitToCommit measures how long a job takes from its submission being
// included to its result being committed, on a 1-validator localnet (timeout_commit 1 s)
// with provider1 registered and the real worker running in process (llama.cpp on
// demo-tiny, one inference thread, 128 output tokens per job, its API servers off). It is
// make bench's section 4; target: latency <= inference + 2 blocks. Only the chain is
// watched, so the figures do not depend on how the worker learns of its jobs.
//
// Three phases of SOVRA_BENCH_JOBS jobs each (default 20): serial submits one job at a
// time and waits for its result; concurrent=3 submits rounds of three at once from three
// accounts; pipelined submits back to back from one account (each submission waits for
// its inclusion only, so about one job per block: a job is assigned in the block that
// carries the previous job's result).
//
// Per job: latency, the wall time from `sovrad tx task submit` returning the included
// transaction to the moment a query (every 20 ms) sees the job's result committed (status
// COMMITTED or later); block to block, the time from the submission's block to the result's block
// (header times of the blocks after them: a header's time is when the block before it was
// committed), which adds the CLI's delay in noticing the inclusion (0.2-0.3 s) that
// latency leaves out; commit height - submit height; the inference time (worker store).
//
// Metrics: p50-ms, p95-ms (latency); chain-p50-ms, chain-p95-ms (block to block);
// infer-ms (mean inference); block-ms (mean block interval over the phase);
// over-p50-blocks and over-p95-blocks ((latency - inference) / block-ms per job: target
// <= 2); blocks-p50, blocks-p95 (commit - submit height; 2 is the floor: a job is assigned
// in the block after its submission, and its result is included at the earliest in the
// block after that). Block to block is 2 block intervals for a job at the floor, so it
// exceeds 2 * block-ms whenever those two blocks were slower than the phase's average.
//
// SOVRA_BENCH_WORKER_LOG=FILE writes the worker's log to FILE at the end, merged by time
// with the block header times and each job's submit and commit as this benchmark saw them.
func BenchmarkSubmitToCommit(b *testing.B) {
	if testing.Short() {
		b.Skip("starts sovrad processes")
	}
	libDir := llamaLibDir(b)
	jobs := 20
	if s := os.Getenv("SOVRA_BENCH_JOBS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, "SOVRA_BENCH_JOBS")
		require.Positive(b, n, "SOVRA_BENCH_JOBS")
		jobs = n
	}

	net, cli, prov, modelPath := benchProviderNetwork(b)
	cfg := workerHome(b, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir, map[string]string{"demo-tiny": modelPath})
	cfg.Threads = 1 // the worker's default, as in BenchmarkGenerate
	cfg.APIGRPCAddress, cfg.APIHTTPAddress = "", ""

	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	wlog := &lineBuffer{}
	w, err := worker.New(ctx, cfg, worker.Options{Logf: wlog.Logf})
	require.NoError(b, err)
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	b.Cleanup(func() {
		stopRun()
		if err := <-done; err != nil {
			b.Errorf("worker run: %v", err)
		}
		_ = w.Close()
		if b.Failed() {
			b.Logf("---- worker log ----\n%s", wlog.String())
		}
		if path := os.Getenv("SOVRA_BENCH_WORKER_LOG"); path != "" {
			lines := strings.Split(wlog.String(), "\n")
			slices.Sort(lines) // same-day timestamps: block lines fall among the worker's
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				b.Errorf("write worker log: %v", err)
			}
		}
	})

	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	require.NoError(b, err)
	b.Cleanup(func() { _ = client.Close() })
	rpc, err := rpchttp.New(cfg.RPCAddress, "/websocket")
	require.NoError(b, err)
	st, err := store.Open(cfg.DataDir)
	require.NoError(b, err)
	m := &latencyMeter{cli: cli, client: client, rpc: rpc, store: st, wlog: wlog}

	// One job unmeasured: the worker's first tick and the first commit's account query.
	sub, err := m.submit("alice", "warm up")
	require.NoError(b, err)
	_, err = m.wait(ctx, sub)
	require.NoError(b, err)

	b.Run("serial", func(b *testing.B) {
		for range b.N {
			m.phase(b, ctx, func() ([]jobSample, error) { return m.rounds(ctx, jobs, []string{"alice"}) })
		}
	})
	b.Run("concurrent=3", func(b *testing.B) {
		for range b.N {
			m.phase(b, ctx, func() ([]jobSample, error) {
				return m.rounds(ctx, jobs, []string{"alice", "bob", "provider2"})
			})
		}
	})
	b.Run("pipelined", func(b *testing.B) {
		for range b.N {
			m.phase(b, ctx, func() ([]jobSample, error) { return m.pipelined(ctx, jobs, "bob") })
		}
	})
}

// benchProviderNetwork is providerNetwork (e2e_test.go) for a benchmark: a 1-validator
// network, the demo model written, provider1 registered for it with worker1 as its worker.
// Its capacity is 64 jobs rather than 4: a job holds a slot until it settles, a few blocks
// after its commit, and jobs waiting for a slot would measure the provider's capacity
// instead of the path from submission to result.
func benchProviderNetwork(b *testing.B) (net *localnet.Network, cli *e2e.CLI, prov, modelPath string) {
	b.Helper()
	net = e2e.StartNetwork(b, e2e.NetworkOptions{Validators: 1})
	cli = net.Client() // no per-command logging: a benchmark log is always printed
	prov = net.AccountAddress("provider1")
	modelPath = filepath.Join(b.TempDir(), "demo-tiny.gguf")
	_, err := gguf.WriteFile(modelPath, gguf.DefaultConfig())
	require.NoError(b, err)
	_, err = cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
		"--price-per-token", "10usovra", "--worker", net.AccountAddress("worker1"), "--profile", "cpu-x64-f32-greedy-v1",
		"--max-jobs", "64", "--from", "provider1")
	require.NoError(b, err)
	return net, cli, prov, modelPath
}

// benchMaxTokens is each job's output budget (BenchmarkGenerate uses the same).
const benchMaxTokens = "128"

type latencyMeter struct {
	cli    *e2e.CLI
	client *chain.Client
	rpc    *rpchttp.HTTP
	store  *store.Store
	wlog   *lineBuffer
	seq    atomic.Int64
}

// submission is a job whose submit transaction is included.
type submission struct {
	id       uint64
	height   int64
	included time.Time // when the CLI returned
}

// jobSample is one job's measurements.
type jobSample struct {
	submission
	latency      time.Duration // submit included (CLI returned) -> COMMITTED seen
	assignHeight int64
	commitHeight int64
	inferenceMs  int64
	outputTokens int
}

// submit submits one job from the key and returns once its transaction is included.
func (m *latencyMeter) submit(from, prompt string) (submission, error) {
	res, err := m.cli.Tx("task", "submit", "demo-tiny", prompt, "--max-tokens", benchMaxTokens,
		"--max-fee", "100000usovra", "--from", from, "--gas", "300000")
	if err != nil {
		return submission{}, err
	}
	included := time.Now()
	id, err := res.JobID()
	if err != nil {
		return submission{}, err
	}
	return submission{id: id, height: int64(res.Height), included: included}, nil
}

// wait polls the job until its result is committed and measures it.
func (m *latencyMeter) wait(ctx context.Context, sub submission) (jobSample, error) {
	deadline := sub.included.Add(2 * time.Minute)
	for {
		job, err := m.client.Job(ctx, sub.id)
		if err == nil {
			switch {
			case job.CommitHeight > 0: // COMMITTED, or already past it (AUDITING, SETTLED, ...)
				s := jobSample{
					submission: sub, latency: time.Since(sub.included),
					assignHeight: job.AssignHeight, commitHeight: job.CommitHeight,
				}
				rec, err := m.store.Get(sub.id)
				if err != nil {
					return s, fmt.Errorf("job %d committed but not in the worker store: %w", sub.id, err)
				}
				s.inferenceMs, s.outputTokens = rec.InferenceMs, len(rec.OutputTokens)
				return s, nil
			case job.Status == tasktypes.JOB_STATUS_PENDING, job.Status == tasktypes.JOB_STATUS_ASSIGNED:
			default:
				return jobSample{}, fmt.Errorf("job %d is %s", sub.id, job.Status)
			}
		}
		if time.Now().After(deadline) {
			return jobSample{}, fmt.Errorf("job %d not committed after 2m (last: %w)", sub.id, err)
		}
		select {
		case <-ctx.Done():
			return jobSample{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (m *latencyMeter) prompt() string {
	return fmt.Sprintf("Job %d: tell me a story about the chain", m.seq.Add(1))
}

// rounds runs n jobs in rounds of len(froms) submitted at once, each round after the
// previous one's results.
func (m *latencyMeter) rounds(ctx context.Context, n int, froms []string) ([]jobSample, error) {
	var samples []jobSample
	for len(samples) < n {
		k := min(len(froms), n-len(samples))
		round := make([]jobSample, k)
		errs := make([]error, k)
		var wg sync.WaitGroup
		for i := range k {
			wg.Go(func() {
				sub, err := m.submit(froms[i], m.prompt())
				if err == nil {
					round[i], err = m.wait(ctx, sub)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		samples = append(samples, round...)
	}
	return samples, nil
}

// pipelined submits n jobs back to back from one key, each once the previous submission
// is included, and waits for the results alongside.
func (m *latencyMeter) pipelined(ctx context.Context, n int, from string) ([]jobSample, error) {
	samples := make([]jobSample, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		sub, err := m.submit(from, m.prompt())
		if err != nil {
			errs[i] = err
			break
		}
		wg.Go(func() { samples[i], errs[i] = m.wait(ctx, sub) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return samples, nil
}

// phase runs one set of jobs and reports its metrics.
func (m *latencyMeter) phase(b *testing.B, ctx context.Context, run func() ([]jobSample, error)) {
	b.Helper()
	logFrom := m.wlog.Len()
	defer func() {
		if b.Failed() {
			b.Logf("---- worker log ----\n%s", m.wlog.From(logFrom))
		}
	}()
	startHeight := m.height(b, ctx)
	samples, err := run()
	require.NoError(b, err)

	// Chain latency needs the header after each commit block.
	last := int64(0)
	for _, s := range samples {
		last = max(last, s.commitHeight+1)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for m.height(b, wctx) < last {
		time.Sleep(100 * time.Millisecond)
	}
	headers := map[int64]time.Time{}
	header := func(h int64) time.Time {
		if t, ok := headers[h]; ok {
			return t
		}
		blk, err := m.rpc.Block(ctx, &h)
		require.NoError(b, err)
		headers[h] = blk.Block.Time
		if os.Getenv("SOVRA_BENCH_WORKER_LOG") != "" {
			m.wlog.Add(blk.Block.Time, fmt.Sprintf("-- block %d header time (%d txs)", h, len(blk.Block.Txs)))
		}
		return blk.Block.Time
	}
	for h := startHeight; h <= last; h++ {
		header(h)
	}
	blockMs := float64(header(last).Sub(header(startHeight))) / float64(time.Millisecond) / float64(last-startHeight)

	lat := make([]float64, len(samples))
	chainLat := make([]float64, len(samples))
	over := make([]float64, len(samples))
	blocks := make([]float64, len(samples))
	var infer float64
	tokens := 0
	for i, s := range samples {
		// submit block committed -> commit block committed
		chain := header(s.commitHeight + 1).Sub(header(s.height + 1))
		lat[i] = float64(s.latency) / float64(time.Millisecond)
		chainLat[i] = float64(chain) / float64(time.Millisecond)
		over[i] = (lat[i] - float64(s.inferenceMs)) / blockMs
		blocks[i] = float64(s.commitHeight - s.height)
		infer += float64(s.inferenceMs)
		tokens += s.outputTokens
		if os.Getenv("SOVRA_BENCH_WORKER_LOG") != "" {
			m.wlog.Add(s.included, fmt.Sprintf("-- job %d: submit tx included at %d seen by the CLI", s.id, s.height))
			m.wlog.Add(s.included.Add(s.latency), fmt.Sprintf("-- job %d: COMMITTED (height %d) seen", s.id, s.commitHeight))
		}
	}
	infer /= float64(len(samples))
	b.ReportMetric(percentile(lat, 50), "p50-ms")
	b.ReportMetric(percentile(lat, 95), "p95-ms")
	b.ReportMetric(percentile(chainLat, 50), "chain-p50-ms")
	b.ReportMetric(percentile(chainLat, 95), "chain-p95-ms")
	b.ReportMetric(infer, "infer-ms")
	b.ReportMetric(blockMs, "block-ms")
	b.ReportMetric(percentile(over, 50), "over-p50-blocks")
	b.ReportMetric(percentile(over, 95), "over-p95-blocks")
	b.ReportMetric(percentile(blocks, 50), "blocks-p50")
	b.ReportMetric(percentile(blocks, 95), "blocks-p95")
	b.Logf("%d jobs, %d output tokens each on average, heights %d-%d; jobs per commit - submit height: %s; per assign - submit: %s",
		len(samples), tokens/len(samples), startHeight, last,
		histogram(samples, func(s jobSample) int64 { return s.commitHeight - s.height }),
		histogram(samples, func(s jobSample) int64 { return s.assignHeight - s.height }))
}

func (m *latencyMeter) height(b *testing.B, ctx context.Context) int64 {
	b.Helper()
	_, h, err := m.client.Status(ctx)
	require.NoError(b, err)
	return h
}

// percentile is the nearest-rank percentile of xs (p in 0..100).
func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// lineBuffer keeps the worker's log lines, printed when the benchmark fails.
type lineBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineBuffer) Logf(format string, args ...any) {
	l.Add(time.Now(), fmt.Sprintf(format, args...))
}

// Add appends a line stamped with t.
func (l *lineBuffer) Add(t time.Time, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, t.UTC().Format("15:04:05.000 ")+line)
}

func (l *lineBuffer) String() string { return l.From(0) }

// From returns the lines from the i-th on.
func (l *lineBuffer) From(i int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[i:], "\n")
}

func (l *lineBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// histogram counts the samples per value of f: "2: 17, 3: 3".
func histogram(samples []jobSample, f func(jobSample) int64) string {
	hist := map[int64]int{}
	for _, s := range samples {
		hist[f(s)]++
	}
	keys := make([]int64, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d: %d", k, hist[k]))
	}
	return strings.Join(parts, ", ")
}
