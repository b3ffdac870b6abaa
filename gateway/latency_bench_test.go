package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/gateway"
	"github.com/sovra-network/sovra/gateway/config"
	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/testutil/llamaenv"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/inference"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// benchMaxTokens is each request's max_tokens (temperature 0: greedy).
const benchMaxTokens = 64

// benchBlock is the localnet's block interval (timeout_commit 1 s), over which the
// requests' start times are spread.
const benchBlock = time.Second

// BenchmarkGatewayLatency measures what a user of the gateway waits for, on a
// 1-validator localnet (timeout_commit 1 s, as config.yml has it): provider1's real
// worker in process (llama.cpp, demo-tiny, one thread) streams its jobs' tokens from its
// on-chain endpoint; provider2 and provider3 are standby verifiers (audit keys, prices
// too high for the jobs: a job is assigned only when two others could audit it); a
// gateway pays with alice's key. It is make bench's gateway section; target: streaming
// time to first token <= the model's own time to first token + 2 blocks.
//
// Two phases of SOVRA_BENCH_GATEWAY_JOBS chat completions each (default 20; 64 tokens at
// temperature 0, a different user message each), sent one at a time through a plain Go
// HTTP client: stream (stream: true; times to the first chunk carrying content text and
// to data: [DONE]) and whole (time to the whole response). Each request waits a pause
// drawn uniformly from one block interval (fixed seed) after the previous answer, so
// requests arrive at any moment of a block, as a user's do: sent back to back, each would
// arrive just after a block was decided (an answer comes with a block) and wait almost a
// whole block for its submission's inclusion (SOVRA_BENCH_GATEWAY_BACK_TO_BACK=1 sends
// them so). After each request its job's
// prompt (the messages as the gateway rendered them with the model's chat template, read
// from the chain) is generated again in process by the worker's backend, model and thread
// count: the model's own time to first token (Generate called -> first Request.OnToken)
// and inference time (Generate's wall time). Each answer must be non-empty, equal to that
// generation, and as long as the job's committed output.
//
// Metrics, in ms unless said: ttft-p50/-p95 and done-p50/-p95 (stream), total-p50/-p95
// (whole); model-ttft-p50/-p95 and infer-p50/-p95; block-ms, the mean block interval over
// the phase; k-p50 and k-p95 (stream) = (TTFT - model TTFT) / block-ms, the streaming TTFT
// as the model's own plus k blocks (target: k-p50 <= 2); over-p50 and over-p95 (whole) =
// (total - inference) / block-ms. Where the time goes, from the blocks' header times (a
// header's time is when the block before it was decided): incl-p50 (request sent ->
// submission's block decided), assign-first-p50/-p95 (assignment's block decided -> first
// content text at the client: the gateway seeing the assignment, subscribing to the
// provider, the worker starting the job, its first token), commit-end-p50/-p95 (result's
// block decided -> [DONE] or the whole response), verified (streams relayed from the
// provider and checked, out of the phase's requests).
//
// SOVRA_BENCH_GATEWAY_LOG=FILE appends each phase's worker and gateway logs to FILE.
func BenchmarkGatewayLatency(b *testing.B) {
	if testing.Short() {
		b.Skip("starts sovrad processes")
	}
	libDir := llamaenv.LibDir(b)
	jobs := 20
	if s := os.Getenv("SOVRA_BENCH_GATEWAY_JOBS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, "SOVRA_BENCH_GATEWAY_JOBS")
		require.Positive(b, n, "SOVRA_BENCH_GATEWAY_JOBS")
		jobs = n
	}
	net := e2e.StartNetwork(b, e2e.NetworkOptions{Validators: 1, Mutate: func(c *localnet.Config) {
		params := subMap(subMap(c.AppState(), "verify"), "params")
		params["audit_rate"], params["collateral_multiplier"] = "0.001", "1000" // nobody runs the verifiers
	}})
	cli := net.Client() // no per-command logging: a benchmark's log is always printed
	modelPath := filepath.Join(b.TempDir(), "demo-tiny.gguf")
	_, err := gguf.WriteFile(modelPath, gguf.DefaultConfig())
	require.NoError(b, err)
	for i := 1; i <= 3; i++ {
		price := "10usovra"
		if i > 1 {
			price = "1000000usovra" // standby verifiers: too dear for any job here
		}
		_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "1000000000usovra",
			"--price-per-token", price, "--worker", net.AccountAddress(fmt.Sprintf("worker%d", i)),
			"--profile", "cpu-x64-f32-greedy-v1", "--max-jobs", "16", "--from", fmt.Sprintf("provider%d", i))
		require.NoError(b, err)
		if i > 1 {
			_, err = cli.Tx("provider", "set-audit-key", "--from", fmt.Sprintf("worker%d", i))
			require.NoError(b, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	wlog, glog := &logLines{}, &logLines{}
	cfg := workerConfig(b, net, 1, libDir, modelPath)
	cfg.StreamListen = "127.0.0.1:0"
	cfg.APIGRPCAddress, cfg.APIHTTPAddress = "", ""
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
			b.Logf("---- worker log ----\n%s\n---- gateway log ----\n%s", wlog.From(0), glog.From(0))
		}
	})
	_, err = cli.Tx("provider", "update", "--endpoint", "http://"+w.StreamAddr(), "--from", "provider1")
	require.NoError(b, err)

	// The gateway logs to glog, quoted per phase: it follows jobs until it is closed, and
	// could log after the benchmark's end.
	g := startGatewayWith(b, &gatewayEnv{net: net}, gateway.Options{Logf: glog.Logf}, func(c *config.Config) {
		c.DefaultMaxTokens = benchMaxTokens
	})
	node, err := chain.Dial(net.ChainID(), net.GRPC(0), net.RPC(0))
	require.NoError(b, err)
	b.Cleanup(func() { _ = node.Close() })
	// The model as the worker runs it, for its own time to first token and inference time.
	llm, err := inference.NewLlama(inference.LlamaConfig{LibDir: cfg.LibDir, ModelPath: modelPath, Threads: cfg.Threads, Context: cfg.Context})
	require.NoError(b, err)
	b.Cleanup(func() { _ = llm.Close() })
	m := &gatewayMeter{
		base: "http://" + g.Addr() + "/v1", http: &http.Client{Timeout: 2 * time.Minute},
		node: node, llm: llm, wlog: wlog, glog: glog, headers: map[int64]time.Time{},
	}
	if os.Getenv("SOVRA_BENCH_GATEWAY_BACK_TO_BACK") != "1" {
		m.pause = rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: a reproducible spread of start times, not a secret
	}

	// Unmeasured: the worker's first job, the gateway's first market snapshot and the
	// model's first generation here.
	for _, stream := range []bool{true, false} {
		s, err := m.request(ctx, stream)
		require.NoError(b, err, "warm-up")
		require.NoError(b, m.check(ctx, &s), "warm-up")
	}

	b.Run("stream", func(b *testing.B) {
		for range b.N {
			m.phase(b, ctx, true, jobs)
		}
	})
	b.Run("whole", func(b *testing.B) {
		for range b.N {
			m.phase(b, ctx, false, jobs)
		}
	})
}

// gatewayMeter sends the requests and measures them.
type gatewayMeter struct {
	base       string
	http       *http.Client
	node       *chain.Client
	llm        *inference.Llama
	wlog, glog *logLines
	seq        int
	headers    map[int64]time.Time
	pause      *rand.Rand // draws the pause before each request; nil: back to back
}

// gatewaySample is one request's measurements.
type gatewaySample struct {
	stream    bool
	sent      time.Time
	gotFirst  bool
	first     time.Duration // first chunk with content text (stream)
	end       time.Duration // data: [DONE], or the whole response
	text      string
	jobID     uint64
	mode      string // sovra.stream: verified, fallback, none
	job       tasktypes.Job
	modelTTFT time.Duration
	infer     time.Duration
}

// request sends one chat completion and reads the answer.
func (m *gatewayMeter) request(ctx context.Context, stream bool) (gatewaySample, error) {
	m.seq++
	body, err := json.Marshal(map[string]any{
		"model": "demo-tiny", "max_tokens": benchMaxTokens, "temperature": 0, "stream": stream,
		"messages": []map[string]string{{"role": "user", "content": fmt.Sprintf("Request %d: tell me about the chain.", m.seq)}},
	})
	if err != nil {
		return gatewaySample{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.base+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return gatewaySample{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	s := gatewaySample{stream: stream, sent: time.Now()}
	resp, err := m.http.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return s, fmt.Errorf("request %d: %s: %s", m.seq, resp.Status, raw)
	}
	if !stream {
		var a answer
		err := json.NewDecoder(resp.Body).Decode(&a)
		s.end = time.Since(s.sent)
		if err != nil {
			return s, fmt.Errorf("request %d: %w", m.seq, err)
		}
		s.text, s.jobID, s.mode = a.text(), a.Sovra.JobID, a.Sovra.Stream
		return s, nil
	}
	var text strings.Builder
	rd := bufio.NewReader(resp.Body)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return s, fmt.Errorf("request %d: the stream ended without [DONE]: %w", m.seq, err)
		}
		data, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			s.end = time.Since(s.sent)
			break
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Sovra *struct {
				JobID  uint64 `json:"job_id"`
				Stream string `json:"stream"`
			} `json:"sovra"`
			Error *struct{ Message string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return s, fmt.Errorf("request %d: chunk %q: %w", m.seq, data, err)
		}
		if c.Error != nil {
			return s, fmt.Errorf("request %d: error event: %s", m.seq, c.Error.Message)
		}
		if len(c.Choices) > 0 && c.Choices[0].Delta.Content != "" {
			if !s.gotFirst {
				s.gotFirst, s.first = true, time.Since(s.sent)
			}
			text.WriteString(c.Choices[0].Delta.Content)
		}
		if c.Sovra != nil {
			s.jobID, s.mode = c.Sovra.JobID, c.Sovra.Stream
		}
	}
	s.text = text.String()
	if s.jobID == 0 {
		return s, fmt.Errorf("request %d: no chunk named the job", m.seq)
	}
	return s, nil
}

// check reads the sample's job and generates its prompt again in process: the answer is
// non-empty, the generation's text, as long as the committed output.
func (m *gatewayMeter) check(ctx context.Context, s *gatewaySample) error {
	if s.text == "" {
		return fmt.Errorf("job %d: empty answer", s.jobID)
	}
	job, err := m.node.Job(ctx, s.jobID)
	if err != nil {
		return err
	}
	if job.CommitHeight == 0 || job.AssignHeight == 0 {
		return fmt.Errorf("job %d answered but %s (assigned at %d, committed at %d)", job.Id, job.Status, job.AssignHeight, job.CommitHeight)
	}
	s.job = job
	var firstAt time.Time
	start := time.Now()
	res, err := m.llm.Generate(ctx, inference.Request{
		Prompt: job.Prompt, MaxTokens: int(job.MaxOutputTokens), Seed: job.Sampling.Seed,
		TemperatureMilli: job.Sampling.TemperatureMilli, TopK: job.Sampling.TopK, TopPMilli: job.Sampling.TopPMilli,
		OnToken: func(index int, _ uint32, _ []byte) {
			if index == 0 {
				firstAt = time.Now()
			}
		},
	})
	s.infer = time.Since(start)
	if err != nil {
		return fmt.Errorf("job %d: generate in process: %w", job.Id, err)
	}
	if firstAt.IsZero() {
		return fmt.Errorf("job %d: the generation in process reported no token", job.Id)
	}
	s.modelTTFT = firstAt.Sub(start)
	if uint64(len(res.OutputTokens)) != job.OutputTokens || jsonText([]byte(res.Text)) != s.text {
		return fmt.Errorf("job %d: answered %q (%d tokens committed); generated in process %q (%d tokens)",
			job.Id, s.text, job.OutputTokens, res.Text, len(res.OutputTokens))
	}
	return nil
}

// phase sends n requests one at a time and reports their metrics.
func (m *gatewayMeter) phase(b *testing.B, ctx context.Context, stream bool, n int) {
	b.Helper()
	wFrom, gFrom := m.wlog.Len(), m.glog.Len()
	defer func() {
		if b.Failed() {
			b.Logf("---- worker log ----\n%s\n---- gateway log ----\n%s", m.wlog.From(wFrom), m.glog.From(gFrom))
		}
	}()
	h0 := m.height(b, ctx)
	samples := make([]gatewaySample, 0, n)
	for range n {
		if m.pause != nil {
			time.Sleep(time.Duration(m.pause.Int64N(int64(benchBlock))))
		}
		s, err := m.request(ctx, stream)
		require.NoError(b, err)
		require.NoError(b, m.check(ctx, &s))
		samples = append(samples, s)
	}
	h1 := m.height(b, ctx)
	// The breakdown needs the header after each result's block.
	last := h1
	for _, s := range samples {
		last = max(last, s.job.CommitHeight+1)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for m.height(b, wctx) < last {
		time.Sleep(100 * time.Millisecond)
	}
	blockMs := ms(m.header(b, ctx, h1).Sub(m.header(b, ctx, h0))) / float64(h1-h0)
	decided := func(h int64) time.Time { return m.header(b, ctx, h+1) } // when block h was decided

	var first, end, modelTTFT, infer, incl, assignFirst, commitEnd, over []float64
	verified := 0
	for _, s := range samples {
		end = append(end, ms(s.end))
		modelTTFT = append(modelTTFT, ms(s.modelTTFT))
		infer = append(infer, ms(s.infer))
		incl = append(incl, ms(decided(s.job.SubmitHeight).Sub(s.sent)))
		commitEnd = append(commitEnd, ms(s.sent.Add(s.end).Sub(decided(s.job.CommitHeight))))
		over = append(over, (ms(s.end)-ms(s.infer))/blockMs)
		if s.stream {
			first = append(first, ms(s.first))
			assignFirst = append(assignFirst, ms(s.sent.Add(s.first).Sub(decided(s.job.AssignHeight))))
		}
		if s.mode == "verified" {
			verified++
		}
	}
	b.ReportMetric(pct(modelTTFT, 50), "model-ttft-p50-ms")
	b.ReportMetric(pct(modelTTFT, 95), "model-ttft-p95-ms")
	b.ReportMetric(pct(infer, 50), "infer-p50-ms")
	b.ReportMetric(pct(infer, 95), "infer-p95-ms")
	b.ReportMetric(blockMs, "block-ms")
	b.ReportMetric(pct(incl, 50), "incl-p50-ms")
	b.ReportMetric(pct(commitEnd, 50), "commit-end-p50-ms")
	b.ReportMetric(pct(commitEnd, 95), "commit-end-p95-ms")
	if stream {
		k50 := (pct(first, 50) - pct(modelTTFT, 50)) / blockMs
		k95 := (pct(first, 95) - pct(modelTTFT, 95)) / blockMs
		b.ReportMetric(pct(first, 50), "ttft-p50-ms")
		b.ReportMetric(pct(first, 95), "ttft-p95-ms")
		b.ReportMetric(pct(end, 50), "done-p50-ms")
		b.ReportMetric(pct(end, 95), "done-p95-ms")
		b.ReportMetric(k50, "k-p50")
		b.ReportMetric(k95, "k-p95")
		b.ReportMetric(pct(assignFirst, 50), "assign-first-p50-ms")
		b.ReportMetric(pct(assignFirst, 95), "assign-first-p95-ms")
		b.ReportMetric(float64(verified), "verified")
		verdict := "met"
		if k50 > 2 {
			verdict = "NOT met"
		}
		b.Logf("streaming TTFT p50 %.0f ms = model TTFT %.1f ms + %.2f blocks of %.0f ms (p95: %.0f ms = %.1f ms + %.2f blocks); target <= model TTFT + 2 blocks: %s",
			pct(first, 50), pct(modelTTFT, 50), k50, blockMs, pct(first, 95), pct(modelTTFT, 95), k95, verdict)
		require.Positive(b, verified, "no stream was relayed from the provider")
	} else {
		b.ReportMetric(pct(end, 50), "total-p50-ms")
		b.ReportMetric(pct(end, 95), "total-p95-ms")
		b.ReportMetric(pct(over, 50), "over-p50-blocks")
		b.ReportMetric(pct(over, 95), "over-p95-blocks")
	}
	kind := "whole answers"
	if stream {
		kind = fmt.Sprintf("streams, %d relayed from the provider and verified", verified)
	}
	b.Logf("%d requests (%s), %d output tokens on average, heights %d-%d; jobs per assign - submit height: %s, per commit - submit: %s; gateway log lines (fallbacks, errors): %d",
		len(samples), kind, meanTokens(samples), h0, h1,
		histogram(samples, func(s gatewaySample) int64 { return s.job.AssignHeight - s.job.SubmitHeight }),
		histogram(samples, func(s gatewaySample) int64 { return s.job.CommitHeight - s.job.SubmitHeight }),
		m.glog.Len()-gFrom)
	if path := os.Getenv("SOVRA_BENCH_GATEWAY_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		require.NoError(b, err)
		_, err = fmt.Fprintf(f, "---- %s: worker ----\n%s\n---- %s: gateway ----\n%s\n", b.Name(), m.wlog.From(wFrom), b.Name(), m.glog.From(gFrom))
		require.NoError(b, errors.Join(err, f.Close()))
	}
}

func (m *gatewayMeter) height(b *testing.B, ctx context.Context) int64 {
	b.Helper()
	_, h, err := m.node.Status(ctx)
	require.NoError(b, err)
	return h
}

// header is block h's header time.
func (m *gatewayMeter) header(b *testing.B, ctx context.Context, h int64) time.Time {
	b.Helper()
	if t, ok := m.headers[h]; ok {
		return t
	}
	blk, err := m.node.RPC().Block(ctx, &h)
	require.NoError(b, err)
	m.headers[h] = blk.Block.Time
	return blk.Block.Time
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pct is the nearest-rank percentile of xs (p in 0..100).
func pct(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func meanTokens(samples []gatewaySample) uint64 {
	var sum uint64
	for _, s := range samples {
		sum += s.job.OutputTokens
	}
	return sum / uint64(len(samples))
}

// histogram counts the samples per value of f: "1: 17, 2: 3".
func histogram(samples []gatewaySample, f func(gatewaySample) int64) string {
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

// logLines keeps log lines, stamped.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, time.Now().UTC().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

func (l *logLines) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// From returns the lines from the i-th on.
func (l *logLines) From(i int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[i:], "\n")
}
