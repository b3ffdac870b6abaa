package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/sovra-network/sovra/gateway/config"
	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/testutil/llamaenv"
	"github.com/sovra-network/sovra/txclient"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

func TestMain(m *testing.M) { e2e.Main(m) }

// step is one request of the openai client's plan (testdata/openai_client.cjs).
type step struct {
	Name   string         `json:"name"`
	Call   string         `json:"call"` // models, completion, chat
	Params map[string]any `json:"params,omitempty"`
	Stream bool           `json:"stream,omitempty"`
	Times  int            `json:"times,omitempty"`
}

// outcome is one result line of the client.
type outcome struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Result struct {
		Data     []map[string]any `json:"data"`
		Response *answer          `json:"response"`
		Content  string           `json:"content"`
		Final    *answer          `json:"final"`
		FirstMs  *float64         `json:"firstMs"`
		TotalMs  float64          `json:"totalMs"`
	} `json:"result"`
	Error struct {
		Status  int     `json:"status"`
		Code    *string `json:"code"`
		Type    *string `json:"type"`
		Param   *string `json:"param"`
		Message string  `json:"message"`
	} `json:"error"`
}

// answer is what the gateway answered (a whole completion or the last chunk of a stream).
type answer struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Text         string                         `json:"text"`
		Message      struct{ Role, Content string } `json:"message"`
		FinishReason string                         `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     uint64 `json:"prompt_tokens"`
		CompletionTokens uint64 `json:"completion_tokens"`
		TotalTokens      uint64 `json:"total_tokens"`
	} `json:"usage"`
	Sovra struct {
		JobID    uint64 `json:"job_id"`
		Provider string `json:"provider"`
		Fee      string `json:"fee"`
		MaxFee   string `json:"max_fee"`
		Refund   string `json:"refund"`
		SubmitTx string `json:"submit_tx"`
		CommitTx string `json:"commit_tx"`
		Audit    string `json:"audit"`
		Stream   string `json:"stream"`
	} `json:"sovra"`
}

// text is the answer's output text (a whole answer's).
func (a *answer) text() string {
	if len(a.Choices) == 0 {
		return ""
	}
	if a.Object == "chat.completion" {
		return a.Choices[0].Message.Content
	}
	return a.Choices[0].Text
}

// runClient runs a plan through the official openai npm client against baseURL.
func runClient(t *testing.T, modules, baseURL string, plan []step) []outcome {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	raw, err := json.Marshal(plan)
	require.NoError(t, err)
	cmd := exec.Command("node", filepath.Join(filepath.Dir(file), "testdata", "openai_client.cjs"), baseURL)
	cmd.Env = append(os.Environ(), "OPENAI_MODULES="+modules)
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node: %s", stderr.String())
	var res []outcome
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var o outcome
		require.NoError(t, json.Unmarshal(sc.Bytes(), &o), sc.Text())
		res = append(res, o)
	}
	return res
}

func byName(res []outcome, name string) []outcome {
	var out []outcome
	for _, o := range res {
		if o.Name == name {
			out = append(out, o)
		}
	}
	return out
}

// gatewayEnv is the network, the workers and what the test checks answers against.
type gatewayEnv struct {
	net     *localnet.Network
	cli     *e2e.CLI
	node    *chain.Client
	pub     *[32]byte
	priv    *[32]byte
	modules string
}

// committed is a job's on-chain state and its output, decrypted with alice's key.
func (env *gatewayEnv) committed(t *testing.T, ctx context.Context, id uint64) (tasktypes.Job, tasktypes.SealedPayload) {
	t.Helper()
	job, err := env.node.Job(ctx, id)
	require.NoError(t, err)
	out, err := tasktypes.Open(job.SealedOutput, env.pub, env.priv)
	require.NoError(t, err, "job %d", id)
	return job, out
}

// checkAnswer: the answer is exactly the committed output of its job, and its usage and
// fee are the job's.
func (env *gatewayEnv) checkAnswer(t *testing.T, ctx context.Context, a *answer, text string) tasktypes.Job {
	t.Helper()
	require.NotNil(t, a)
	job, out := env.committed(t, ctx, a.Sovra.JobID)
	require.Equal(t, jsonText(out.Text), text, "job %d: the answer is the committed output", job.Id)
	require.Equal(t, job.PromptTokens, a.Usage.PromptTokens)
	require.Equal(t, job.OutputTokens, a.Usage.CompletionTokens)
	require.Equal(t, job.PromptTokens+job.OutputTokens, a.Usage.TotalTokens)
	require.Equal(t, job.Provider, a.Sovra.Provider)
	require.Equal(t, job.Fee().String(), a.Sovra.Fee)
	require.Equal(t, job.MaxFee.String(), a.Sovra.MaxFee)
	require.NotEmpty(t, a.Sovra.SubmitTx)
	require.NotEmpty(t, a.Sovra.CommitTx, "job %d: the commit transaction is found by its event", job.Id)
	return job
}

// TestGatewayEndToEnd: a localnet, provider1 with a real worker that streams its tokens
// (its endpoint on chain), provider2 with one that does not, two standby verifiers, and
// a gateway paying with alice's key. The official openai npm client lists the models,
// runs completions and chat completions, whole and streamed, 20 streams at once, and
// gets each error; every answer is the committed output of its job, streamed answers
// were checked against it, and alice paid exactly the settled fees. Then a worker that
// streams one token different from its commitment is caught, a job nobody serves ends in
// a 504 with its id, and a stopped chain answers 503.
func TestGatewayEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	libDir := llamaenv.LibDir(t)
	modules := llamaenv.OpenAIModules(t)
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 1, Mutate: func(c *localnet.Config) {
		params := subMap(subMap(c.AppState(), "verify"), "params")
		params["audit_rate"], params["collateral_multiplier"] = "0.001", "1000" // audits are other tests' subject
		have := map[string]bool{}
		for _, a := range c.Accounts {
			have[a.Name] = true
		}
		for i := 1; i <= 4; i++ {
			for _, a := range []localnet.Account{
				{Name: fmt.Sprintf("provider%d", i), Coins: []string{"100000000000usovra"}},
				{Name: fmt.Sprintf("worker%d", i), Coins: []string{"10000000usovra"}},
			} {
				if !have[a.Name] {
					c.Accounts = append(c.Accounts, a)
				}
			}
		}
	}})
	cli := e2e.NewCLI(t, net)
	modelPath := filepath.Join(t.TempDir(), "demo-tiny.gguf")
	_, err := gguf.WriteFile(modelPath, gguf.DefaultConfig())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	node, err := chain.Dial(net.ChainID(), net.GRPC(0), net.RPC(0))
	require.NoError(t, err)
	defer node.Close()
	kr, err := txclient.OpenKeyring("test", net.ClientHome(), nil)
	require.NoError(t, err)
	sig, _, err := kr.Sign("alice", []byte(tasktypes.OutputKeyDomain), signing.SignMode_SIGN_MODE_DIRECT)
	require.NoError(t, err)
	priv, pub, err := tasktypes.DeriveOutputKey(sig)
	require.NoError(t, err)
	env := &gatewayEnv{net: net, cli: cli, node: node, pub: pub, priv: priv, modules: modules}

	for i := 1; i <= 4; i++ {
		price := "10usovra"
		if i > 2 {
			price = "1000000usovra" // standby verifiers: too dear for any job here
		}
		_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", price, "--worker", net.AccountAddress(fmt.Sprintf("worker%d", i)),
			"--profile", "cpu-x64-f32-greedy-v1", "--max-jobs", "16", "--from", fmt.Sprintf("provider%d", i))
		require.NoError(t, err)
		if i > 2 {
			_, err = cli.Tx("provider", "set-audit-key", "--from", fmt.Sprintf("worker%d", i))
			require.NoError(t, err)
		}
	}
	startWorker := func(i int, streaming bool, opts worker.Options) (*worker.Worker, func()) {
		cfg := workerConfig(t, net, i, libDir, modelPath)
		if streaming {
			cfg.StreamListen = "127.0.0.1:0"
		}
		opts.Logf = t.Logf
		w, err := worker.New(ctx, cfg, opts)
		require.NoError(t, err)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(runCtx) }()
		stopped := false
		halt := func() {
			if !stopped {
				stopped = true
				stop()
				require.NoError(t, <-done)
				require.NoError(t, w.Close())
			}
		}
		t.Cleanup(halt)
		return w, halt
	}
	w1, stop1 := startWorker(1, true, worker.Options{})
	_, stop2 := startWorker(2, false, worker.Options{})
	endpoint := "http://" + w1.StreamAddr()
	_, err = cli.Tx("provider", "update", "--endpoint", endpoint, "--from", "provider1")
	require.NoError(t, err)

	aliceBefore, err := cli.Balance(net.AccountAddress("alice"), "usovra")
	require.NoError(t, err)
	g := startGateway(t, env, nil)
	base := "http://" + g.Addr() + "/v1"
	chat := func(content string, extra map[string]any) map[string]any {
		p := map[string]any{
			"model": "demo-tiny", "max_tokens": 12, "temperature": 0,
			"messages": []map[string]string{{"role": "system", "content": "You are terse."}, {"role": "user", "content": content}},
		}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	res := runClient(t, modules, base, []step{
		{Name: "models", Call: "models"},
		{Name: "completion", Call: "completion", Params: map[string]any{"model": "demo-tiny", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0}},
		{Name: "chat", Call: "chat", Params: chat("Say something.", nil)},
		{Name: "chat-sampled", Call: "chat", Params: chat("Say something else.", map[string]any{"temperature": 0.8, "top_p": 0.9, "seed": 42})},
		{Name: "chat-stream", Call: "chat", Stream: true, Params: chat("Stream this.", nil)},
		{Name: "completion-stream", Call: "completion", Stream: true, Params: map[string]any{"model": "demo-tiny", "prompt": "The sea", "max_tokens": 12, "temperature": 0}},
		{Name: "streams", Call: "chat", Stream: true, Times: 20, Params: chat("Twenty at once.", map[string]any{"max_tokens": 8})},
		{Name: "unknown-model", Call: "chat", Params: map[string]any{"model": "no-such-model", "messages": []map[string]string{{"role": "user", "content": "x"}}}},
		{Name: "n", Call: "chat", Params: chat("x", map[string]any{"n": 2})},
		{Name: "tools", Call: "chat", Params: chat("x", map[string]any{"tools": []map[string]any{{"type": "function", "function": map[string]any{"name": "f"}}}})},
		{Name: "too-many-tokens", Call: "chat", Params: chat("x", map[string]any{"max_tokens": 100000})},
		{Name: "over-max-fee", Call: "chat", Params: chat("x", map[string]any{"max_tokens": 2000})},
	})

	models := byName(res, "models")
	require.Len(t, models, 1)
	require.True(t, models[0].OK, "%+v", models[0].Error)
	require.Len(t, models[0].Result.Data, 1)
	m := models[0].Result.Data[0]
	require.Equal(t, "demo-tiny", m["id"])
	sov := m["sovra"].(map[string]any)
	require.EqualValues(t, 4, sov["providers"])
	require.Equal(t, "10usovra", sov["min_price_per_token"])
	require.Equal(t, "1000000usovra", sov["max_price_per_token"])
	require.Equal(t, "chatml", sov["chat_template"])

	var jobs []uint64
	modes := map[string]int{}
	for _, name := range []string{"completion", "chat", "chat-sampled"} {
		o := byName(res, name)[0]
		require.True(t, o.OK, "%s: %+v", name, o.Error)
		job := env.checkAnswer(t, ctx, o.Result.Response, o.Result.Response.text())
		jobs = append(jobs, job.Id)
	}
	sampled, _ := env.committed(t, ctx, jobs[2])
	require.Equal(t, uint32(800), sampled.Sampling.TemperatureMilli)
	require.Equal(t, uint32(900), sampled.Sampling.TopPMilli)
	require.Equal(t, uint64(42), sampled.Sampling.Seed)
	chatJob, _ := env.committed(t, ctx, jobs[1])
	require.Equal(t, "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nSay something.<|im_end|>\n<|im_start|>assistant\n",
		chatJob.Prompt, "the job carries the messages rendered with the model's chat template")
	for _, name := range []string{"chat-stream", "completion-stream", "streams"} {
		for _, o := range byName(res, name) {
			require.True(t, o.OK, "%s: %+v", name, o.Error)
			job := env.checkAnswer(t, ctx, o.Result.Final, o.Result.Content)
			require.NotNil(t, o.Result.FirstMs)
			modes[o.Result.Final.Sovra.Stream]++
			if job.Provider == net.AccountAddress("provider1") {
				require.Equal(t, "verified", o.Result.Final.Sovra.Stream, "job %d: provider1 streams", job.Id)
			} else {
				require.Equal(t, "fallback", o.Result.Final.Sovra.Stream, "job %d: provider2 has no endpoint", job.Id)
			}
			jobs = append(jobs, job.Id)
		}
	}
	require.Len(t, byName(res, "streams"), 20)
	require.Positive(t, modes["verified"], "some stream came from provider1: %v", modes)
	require.Positive(t, modes["fallback"], "some answer came from provider2: %v", modes)
	seen := map[uint64]bool{}
	for _, id := range jobs {
		require.False(t, seen[id], "job %d answered twice", id)
		seen[id] = true
	}
	for _, c := range []struct {
		name   string
		status int
		code   string
		param  string
	}{
		{"unknown-model", 404, "model_not_found", "model"},
		{"n", 400, "unsupported_parameter", "n"},
		{"tools", 400, "unsupported_parameter", "tools"},
		{"too-many-tokens", 400, "invalid_parameter", "max_tokens"},
		{"over-max-fee", 402, "max_fee_exceeded", ""},
	} {
		o := byName(res, c.name)[0]
		require.False(t, o.OK, c.name)
		require.Equal(t, c.status, o.Error.Status, "%s: %s", c.name, o.Error.Message)
		require.NotNil(t, o.Error.Code, c.name)
		require.Equal(t, c.code, *o.Error.Code, c.name)
		if c.param != "" {
			require.NotNil(t, o.Error.Param, c.name)
			require.Equal(t, c.param, *o.Error.Param, c.name)
		}
	}

	// A gateway with a small daily budget: the second request does not fit beside the
	// first one's escrow.
	small := startGateway(t, env, func(c *config.Config) {
		c.MaxFee, c.Budget = sdk.NewInt64Coin("usovra", 1000), sdk.NewInt64Coin("usovra", 1000)
	})
	res = runClient(t, modules, "http://"+small.Addr()+"/v1", []step{
		{Name: "first", Call: "completion", Params: map[string]any{"model": "demo-tiny", "prompt": "A budget of one", "max_tokens": 40, "temperature": 0}},
		{Name: "second", Call: "completion", Params: map[string]any{"model": "demo-tiny", "prompt": "A budget of one", "max_tokens": 40, "temperature": 0}},
	})
	first := byName(res, "first")[0]
	require.True(t, first.OK, "%+v", first.Error)
	jobs = append(jobs, env.checkAnswer(t, ctx, first.Result.Response, first.Result.Response.text()).Id)
	second := byName(res, "second")[0]
	require.False(t, second.OK)
	require.Equal(t, 402, second.Error.Status, second.Error.Message)
	require.Equal(t, "budget_exceeded", *second.Error.Code)

	// Every job settles; alice paid exactly their fees.
	fees := sdkmath.ZeroInt()
	for _, id := range jobs {
		job := waitEnded(t, ctx, node, id)
		require.Equal(t, tasktypes.JOB_STATUS_SETTLED, job.Status, "job %d", id)
		fees = fees.Add(job.FeePaid.Amount)
	}
	aliceAfter, err := cli.Balance(net.AccountAddress("alice"), "usovra")
	require.NoError(t, err)
	require.Equal(t, fees.String(), aliceBefore.Sub(aliceAfter).String(), "alice paid the settled fees of %d jobs, no more", len(jobs))
	metrics := scrape(t, "http://"+g.Addr()+"/metrics")
	require.Contains(t, metrics, fmt.Sprintf(`sovra_gateway_fees_paid_total{denom="usovra"} %s`, feesOf(t, ctx, node, jobs[:len(jobs)-1])))
	require.Contains(t, metrics, `sovra_gateway_requests_total{endpoint="chat",outcome="ok"} 23`)
	require.Contains(t, metrics, `sovra_gateway_requests_total{endpoint="chat",outcome="bad_request"} 4`)

	// A finished job, read back later: its output, the fee it paid and its audit status.
	var later struct {
		Status string `json:"status"`
		Output struct {
			Text string `json:"text"`
		} `json:"output"`
		Sovra struct {
			Fee   string `json:"fee"`
			Audit string `json:"audit"`
		} `json:"sovra"`
	}
	status, body := getJSON(t, fmt.Sprintf("http://%s/v1/sovra/jobs/%d", g.Addr(), jobs[1]), &later)
	require.Equal(t, http.StatusOK, status, body)
	settled, out := env.committed(t, ctx, jobs[1])
	require.Equal(t, "settled", later.Status)
	require.Equal(t, jsonText(out.Text), later.Output.Text)
	require.Equal(t, settled.FeePaid.String(), later.Sovra.Fee)
	require.Contains(t, []string{"not_audited", "passed"}, later.Sovra.Audit)
	status, body = getJSON(t, fmt.Sprintf("http://%s/v1/sovra/jobs/%d", g.Addr(), 999999), nil)
	require.Equal(t, http.StatusNotFound, status, body)
	status, body = getJSON(t, fmt.Sprintf("http://%s/v1/sovra/jobs/x", g.Addr()), nil)
	require.Equal(t, http.StatusBadRequest, status, body)

	// A worker that streams one token different from what it commits is caught. provider2
	// becomes too dear for the gateway's bid, so the job goes to provider1.
	stop1()
	tampered, stopTampered := startWorker(1, true, worker.Options{StreamTamperForTests: func(_ tasktypes.Job, index int, id uint32, piece []byte) (uint32, []byte) {
		if index == 2 {
			return id + 1, piece
		}
		return id, piece
	}})
	_, err = cli.Tx("provider", "update", "--endpoint", "http://"+tampered.StreamAddr(), "--from", "provider1")
	require.NoError(t, err)
	_, err = cli.Tx("provider", "update", "--price-per-token", "1000000usovra", "--from", "provider2")
	require.NoError(t, err)
	time.Sleep(3 * time.Second) // the gateway's view of the market is 2 s old at most
	res = runClient(t, modules, base, []step{{Name: "tampered", Call: "chat", Stream: true, Params: chat("Lie to me.", nil)}})
	o := res[0]
	require.False(t, o.OK, "the mismatch ends the stream with an error")
	require.Contains(t, o.Error.Message, "streamed job")
	require.Contains(t, o.Error.Message, "differently from what it committed")
	require.Contains(t, scrape(t, "http://"+g.Addr()+"/metrics"), "sovra_gateway_stream_mismatches_total 1")

	// Nobody serves: a job with a short deadline ends in a 504 that names it.
	stop2()
	_, err = cli.Tx("provider", "update", "--price-per-token", "10usovra", "--from", "provider2")
	require.NoError(t, err)
	stopTampered()
	hasty := startGateway(t, env, func(c *config.Config) { c.DeadlineBlocks = 3 })
	res = runClient(t, modules, "http://"+hasty.Addr()+"/v1", []step{{Name: "late", Call: "completion", Params: map[string]any{"model": "demo-tiny", "prompt": "Too late", "max_tokens": 8}}})
	require.False(t, res[0].OK)
	require.Equal(t, 504, res[0].Error.Status, res[0].Error.Message)
	require.Equal(t, "job_expired", *res[0].Error.Code)
	require.Regexp(t, `job \d+`, res[0].Error.Message)

	// The chain is gone: 503.
	require.NoError(t, net.StopNode(0))
	time.Sleep(3 * time.Second)
	res = runClient(t, modules, base, []step{{Name: "down", Call: "completion", Params: map[string]any{"model": "demo-tiny", "prompt": "Anyone?", "max_tokens": 8}}})
	require.False(t, res[0].OK)
	require.Equal(t, 503, res[0].Error.Status, res[0].Error.Message)
	resp, err := http.Get("http://" + g.Addr() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

// waitEnded waits until the job is final (settled, slashed, failed, expired, cancelled).
func waitEnded(t *testing.T, ctx context.Context, node *chain.Client, id uint64) tasktypes.Job {
	t.Helper()
	for {
		job, err := node.Job(ctx, id)
		require.NoError(t, err)
		switch job.Status {
		case tasktypes.JOB_STATUS_SETTLED, tasktypes.JOB_STATUS_SLASHED, tasktypes.JOB_STATUS_FAILED,
			tasktypes.JOB_STATUS_EXPIRED, tasktypes.JOB_STATUS_CANCELLED:
			return job
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %d still %s", id, job.Status)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func feesOf(t *testing.T, ctx context.Context, node *chain.Client, ids []uint64) string {
	t.Helper()
	sum := sdkmath.ZeroInt()
	for _, id := range ids {
		job, err := node.Job(ctx, id)
		require.NoError(t, err)
		sum = sum.Add(job.FeePaid.Amount)
	}
	return sum.String()
}

// getJSON GETs url and decodes a 200 answer into v (when not nil).
func getJSON(t *testing.T, url string, v any) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode == http.StatusOK && v != nil {
		require.NoError(t, json.Unmarshal(raw, v), string(raw))
	}
	return resp.StatusCode, string(raw)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&b)
	require.NoError(t, err)
	return b.String()
}

// jsonText is the text of output bytes as a JSON string carries it: each byte that is not
// part of a valid UTF-8 character becomes U+FFFD.
func jsonText(b []byte) string {
	raw, _ := json.Marshal(string(b))
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
