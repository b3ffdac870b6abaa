package worker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/testutil/llamaenv"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

func TestMain(m *testing.M) { e2e.Main(m) }

// llamaLibDir is where the llama.cpp libraries are (testutil/llamaenv: skips when they
// are missing, unless SOVRA_REQUIRE_LLAMA is set).
func llamaLibDir(t testing.TB) string { return llamaenv.LibDir(t) }

// workerHome writes a worker home serving models, with the network's worker1 key
// imported into its own keyring.
func workerHome(t testing.TB, chainID, grpcAddr, rpcAddr, provider, clientHome, libDir string, models map[string]string) *config.Config {
	t.Helper()
	return workerHomeWithKey(t, "worker1", chainID, grpcAddr, rpcAddr, provider, clientHome, libDir, models)
}

// workerHomeWithKey is workerHome with the network's key keyName as the worker key.
func workerHomeWithKey(t testing.TB, keyName, chainID, grpcAddr, rpcAddr, provider, clientHome, libDir string, models map[string]string) *config.Config {
	t.Helper()
	home := t.TempDir()
	src, err := chain.OpenKeyring("test", clientHome)
	require.NoError(t, err)
	armor, err := src.ExportPrivKeyArmor(keyName, "pass1234")
	require.NoError(t, err)
	dst, err := chain.OpenKeyring("test", filepath.Join(home, "keyring"))
	require.NoError(t, err)
	require.NoError(t, dst.ImportPrivKey(keyName, armor, "pass1234"))
	_, err = config.InitValues{
		ChainID: chainID, GRPC: grpcAddr, RPC: rpcAddr, Provider: provider,
		KeyName: keyName, Models: models, LibDir: libDir, Threads: 2,
	}.WriteFile(home)
	require.NoError(t, err)
	cfg, err := config.Load(home, nil)
	require.NoError(t, err)
	return cfg
}

// providerNetwork starts a 1-validator network, writes the demo model and registers
// provider1 for it with worker1 as its worker, plus provider2..4 as standby verifiers
// (standbyVerifier): a job is assigned only when three other operators could verify its
// result. These tests follow one worker's jobs, not audits (audit_e2e_test.go): audits are
// rare here (escrowOnly).
func providerNetwork(t *testing.T) (net *localnet.Network, cli *e2e.CLI, prov, workerAddr, modelPath string) {
	t.Helper()
	net = e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 1, Mutate: func(c *localnet.Config) {
		escrowOnly(c)
		addAccounts(c, 4)
	}})
	cli = e2e.NewCLI(t, net)
	prov, workerAddr = net.AccountAddress("provider1"), net.AccountAddress("worker1")
	modelPath = filepath.Join(t.TempDir(), "demo-tiny.gguf")
	_, err := gguf.WriteFile(modelPath, gguf.DefaultConfig())
	require.NoError(t, err)
	_, err = cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
		"--price-per-token", "10usovra", "--worker", workerAddr, "--profile", "cpu-x64-f32-greedy-v1",
		"--max-jobs", "4", "--from", "provider1")
	require.NoError(t, err)
	for i := 2; i <= 4; i++ {
		standbyVerifier(t, net, cli, fmt.Sprintf("provider%d", i), fmt.Sprintf("worker%d", i))
	}
	return net, cli, prov, workerAddr, modelPath
}

// addAccounts adds provider<i> and worker<i> accounts up to n that config.yml lacks.
// referenceLlama is the llama backend in process on one thread: what a worker's output
// is compared with. It is closed when the test ends.
func referenceLlama(t *testing.T, libDir, modelPath string) *inference.Llama {
	t.Helper()
	direct, err := inference.NewLlama(inference.LlamaConfig{LibDir: libDir, ModelPath: modelPath, Threads: 1})
	require.NoError(t, err)
	t.Cleanup(func() { direct.Close() })
	return direct
}

// verifyingNetwork is a one-validator network with four funded provider accounts and the
// demo model written to a temporary file: two providers to serve jobs and two dearer
// ones that only verify (a job is assigned only when three other operators could verify it).
func verifyingNetwork(t *testing.T) (net *localnet.Network, cli *e2e.CLI, modelPath string) {
	t.Helper()
	net = e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 1, Mutate: func(c *localnet.Config) { addAccounts(c, 4) }})
	cli = e2e.NewCLI(t, net)
	modelPath = filepath.Join(t.TempDir(), "demo-tiny.gguf")
	_, err := gguf.WriteFile(modelPath, gguf.DefaultConfig())
	require.NoError(t, err)
	return net, cli, modelPath
}

func addAccounts(c *localnet.Config, n int) {
	have := map[string]bool{}
	for _, a := range c.Accounts {
		have[a.Name] = true
	}
	for i := 1; i <= n; i++ {
		if p := fmt.Sprintf("provider%d", i); !have[p] {
			c.Accounts = append(c.Accounts, localnet.Account{Name: p, Coins: []string{"100000000000usovra"}})
		}
		if w := fmt.Sprintf("worker%d", i); !have[w] {
			c.Accounts = append(c.Accounts, localnet.Account{Name: w, Coins: []string{"10000000usovra"}})
		}
	}
}

// escrowOnly makes audits rare (audit_rate 0.001, collateral_multiplier 1000 so that
// audit_rate × collateral_multiplier stays 1), as testutil/e2e's lifecycle test does: for
// tests of a job's life with one serving worker, where an audit would need a running
// verifier.
func escrowOnly(c *localnet.Config) {
	params := subMap(subMap(c.AppState(), "verify"), "params")
	params["audit_rate"], params["collateral_multiplier"] = "0.001", "1000"
}

// standbyVerifier registers provider name, too dear for any job of the tests
// (1000000usovra per token), with its worker key's audit key published: a job is only
// assigned when another operator could audit its result, and this one could, without
// ever serving a job. No worker runs for it.
func standbyVerifier(t *testing.T, net *localnet.Network, cli *e2e.CLI, name, workerKey string) {
	t.Helper()
	_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
		"--price-per-token", "1000000usovra", "--worker", net.AccountAddress(workerKey), "--profile", "cpu-x64-f32-greedy-v1",
		"--max-jobs", "4", "--from", name)
	require.NoError(t, err)
	_, err = cli.Tx("provider", "set-audit-key", "--from", workerKey)
	require.NoError(t, err)
}

// TestWorkerCommitsRealInference: a localnet, provider1 registered with worker1 (and three
// standby verifiers), the worker running llama.cpp on the demo model; a job submitted with the CLI is committed by the
// worker and settled, its decrypted output equals a direct Generate, and a restarted
// worker never commits it again.
func TestWorkerCommitsRealInference(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	libDir := llamaLibDir(t)
	start := time.Now()
	net, cli, prov, workerAddr, modelPath := providerNetwork(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// A model file that is not the registered one stops the worker at start.
	bad := filepath.Join(t.TempDir(), "bad.gguf")
	require.NoError(t, os.WriteFile(bad, []byte("not the model"), 0o600))
	badCfg := workerHome(t, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir, map[string]string{"demo-tiny": bad})
	_, err := worker.New(ctx, badCfg, worker.Options{Logf: t.Logf})
	require.ErrorIs(t, err, worker.ErrModelMismatch)

	cfg := workerHome(t, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir, map[string]string{"demo-tiny": modelPath})
	cfg.PollInterval = 200 * time.Millisecond
	w, err := worker.New(ctx, cfg, worker.Options{Logf: t.Logf})
	require.NoError(t, err)
	require.Equal(t, workerAddr, w.Address())
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()

	const prompt = "Once upon a time"
	submitted := time.Now()
	res, err := cli.Tx("task", "submit", "demo-tiny", prompt, "--max-tokens", "16",
		"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
	require.NoError(t, err)
	id, err := res.JobID()
	require.NoError(t, err)
	idStr := strconv.FormatUint(id, 10)

	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	require.NoError(t, err)
	defer client.Close()
	job := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)
	t.Logf("job %d settled %s after submit (test at %s)", id, time.Since(submitted).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	require.Equal(t, prov, job.Provider)

	// Another transaction from the worker key moves its sequence behind the worker's
	// back; then three jobs from different submitters land in one block. The worker
	// re-queries the sequence and commits them (in one transaction when they were
	// assigned at the same height).
	_, err = cli.Tx("bank", "send", "worker1", net.AccountAddress("bob"), "1usovra", "--from", "worker1")
	require.NoError(t, err)
	// Broadcast in parallel: each CLI run takes about a block.
	froms := []string{"alice", "bob", "provider2"}
	hashes := make([]string, len(froms))
	errs := make([]error, len(froms))
	var wg sync.WaitGroup
	for i, from := range froms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := cli.BroadcastTx("task", "submit", "demo-tiny", "Tell me about "+from, "--max-tokens", "8",
				"--max-fee", "100000usovra", "--from", from, "--gas", "300000")
			if err == nil {
				hashes[i] = res.TxHash
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var ids []uint64
	for _, h := range hashes {
		res, err := cli.WaitForTx(h)
		require.NoError(t, err)
		jid, err := res.JobID()
		require.NoError(t, err)
		ids = append(ids, jid)
	}
	assignHeights := map[int64]bool{}
	txs := map[string]bool{}
	st, err := store.Open(cfg.DataDir)
	require.NoError(t, err)
	for _, jid := range ids {
		j := waitJob(t, ctx, client, jid, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)
		assignHeights[j.AssignHeight] = true
		rec, err := st.Get(jid)
		require.NoError(t, err)
		require.Equal(t, store.StatusCommitted, rec.Status)
		txs[rec.TxHash] = true
	}
	t.Logf("3 jobs assigned at %d height(s), committed in %d tx(s); %d sequence mismatch(es)", len(assignHeights), len(txs), w.SequenceMismatches())
	require.GreaterOrEqual(t, w.SequenceMismatches(), 1, "the stale sequence was detected")
	if len(assignHeights) == 1 {
		require.Len(t, txs, 1, "jobs assigned together are committed in one transaction")
	}

	stopRun()
	require.NoError(t, <-done)
	require.NoError(t, w.Close())

	// The decrypted output is exactly what the library generates for that prompt.
	direct, err := inference.NewLlama(inference.LlamaConfig{LibDir: libDir, ModelPath: modelPath, Threads: 1})
	require.NoError(t, err)
	want, err := direct.Generate(ctx, inference.Request{
		Prompt: prompt, MaxTokens: 16, Seed: job.Sampling.Seed,
		TemperatureMilli: job.Sampling.TemperatureMilli, TopK: job.Sampling.TopK, TopPMilli: job.Sampling.TopPMilli,
	})
	require.NoError(t, err)
	require.NoError(t, direct.Close())
	require.NotEmpty(t, want.OutputTokens)
	out, err := cli.Run("q", "task", "output", idStr, "--from", "alice", "--keyring-backend", "test")
	require.NoError(t, err)
	require.Equal(t, want.Text+"\n", out, "the decrypted text is byte-exact")
	var sealed tasktypes.SealedPayload
	require.NoError(t, cli.QueryJSON(&sealed, "task", "output", idStr, "--from", "alice", "--keyring-backend", "test"))
	require.Equal(t, want.OutputTokens, sealed.OutputTokens)
	require.Equal(t, want.PromptTokens, sealed.PromptTokens)
	require.Equal(t, uint64(len(want.OutputTokens)), job.OutputTokens)
	require.Equal(t, uint64(len(want.PromptTokens)), job.PromptTokens)

	rec, err := st.Get(id)
	require.NoError(t, err)
	require.Equal(t, store.StatusCommitted, rec.Status)
	require.Equal(t, want.OutputTokens, rec.OutputTokens)
	require.Len(t, rec.Salt, 64)

	// A restarted worker reconciles and polls without sending anything: the worker
	// account's sequence does not move.
	_, seqBefore, err := client.Account(ctx, workerAddr)
	require.NoError(t, err)
	w2, err := worker.New(ctx, cfg, worker.Options{Logf: t.Logf})
	require.NoError(t, err)
	runCtx2, stopRun2 := context.WithTimeout(ctx, 3*time.Second)
	defer stopRun2()
	require.NoError(t, w2.Run(runCtx2))
	require.NoError(t, w2.Close())
	_, seqAfter, err := client.Account(ctx, workerAddr)
	require.NoError(t, err)
	require.Equal(t, seqBefore, seqAfter, "a restarted worker sent a transaction")
}

func waitJob(t *testing.T, ctx context.Context, c *chain.Client, id uint64, want tasktypes.JobStatus, timeout time.Duration) tasktypes.Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		job, err := c.Job(ctx, id)
		if err == nil && job.Status == want {
			return job
		}
		if err == nil && (job.Status == tasktypes.JOB_STATUS_EXPIRED || job.Status == tasktypes.JOB_STATUS_FAILED) {
			t.Fatalf("job %d is %s, want %s (provider %q, assigned at %d, committed at %d)", id, job.Status, want, job.Provider, job.AssignHeight, job.CommitHeight)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d not %s after %s (last: %v %v)", id, want, timeout, job.Status, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// emptyOutputPrompt is a prompt whose greedy output on the demo model is empty: the first
// token the model predicts ends the generation (found by TestCrossVariantAuditsE2E's
// prompts; x64 kernels).
const emptyOutputPrompt = "were but by 1999 a and"

// TestWorkerCommitsEmptyOutput: a greedy job whose output is empty (the model's first
// token is its end-of-generation token) is a well-defined claimed output under
// Verification v2 (no output tokens, the stop token, a trace of one position) and must be
// committed and settled like any other. It fails while x/task's JobResult.Validate refuses
// a result with 0 output tokens ("output tokens must be at least 1"): the worker retries
// the commit until the job expires, and the honest provider is charged a miss.
func TestWorkerCommitsEmptyOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	libDir := llamaLibDir(t)
	net, cli, prov, _, modelPath := providerNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	direct := referenceLlama(t, libDir, modelPath)
	want, err := direct.Generate(ctx, inference.Request{Prompt: emptyOutputPrompt, MaxTokens: 16})
	require.NoError(t, err)
	require.Empty(t, want.OutputTokens, "the prompt's greedy output is empty")
	require.NotEqual(t, tasktypes.NoStopToken, want.StopToken)

	cfg := workerHome(t, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir, map[string]string{"demo-tiny": modelPath})
	cfg.PollInterval = 200 * time.Millisecond
	w, err := worker.New(ctx, cfg, worker.Options{Logf: t.Logf})
	require.NoError(t, err)
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	defer func() {
		stopRun()
		require.NoError(t, <-done)
		require.NoError(t, w.Close())
	}()

	res, err := cli.Tx("task", "submit", "demo-tiny", emptyOutputPrompt, "--max-tokens", "16",
		"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
	require.NoError(t, err)
	id, err := res.JobID()
	require.NoError(t, err)
	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	require.NoError(t, err)
	defer client.Close()
	job := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)
	require.Zero(t, job.OutputTokens)
	require.Equal(t, uint64(len(want.PromptTokens)), job.PromptTokens)
}
