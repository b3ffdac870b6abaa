package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/inference"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// TestTwoWorkerProcesses: issue 3's acceptance with the shipped binary. A localnet, two
// providers, each served by a real `sovra-worker start` process on the generated model
// (and two verifying processes, too dear for the jobs).
// Jobs submitted with the CLI are committed and settled by both; `sovrad q task output`
// equals what the same llama.cpp library generates directly for the prompt; and each
// worker's re-scoring of another's results agrees with them: the localnet audits half the
// results, each worker opens the claimed output of its audited jobs to its verifier (drawn
// among the three other providers), which re-scores it, and a passed audit is the
// chain's record that the verifier's revealed hash equals the provider's and its trace is
// within the chain's tolerances of the provider's.
func TestTwoWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad and sovra-worker processes")
	}
	libDir := llamaLibDir(t)
	bin := buildWorker(t)
	net, cli, modelPath := verifyingNetwork(t)
	// provider1 and provider2 serve the jobs; provider3 and provider4, too dear for them,
	// run worker processes that only verify: a job is assigned only when three other
	// operators could verify it.
	provs := map[string]bool{} // the serving ones
	for i := 1; i <= 4; i++ {
		prov, key, price := net.AccountAddress(fmt.Sprintf("provider%d", i)), fmt.Sprintf("worker%d", i), "10usovra"
		if i <= 2 {
			provs[prov] = true
		} else {
			price = "1000000usovra"
		}
		_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", price, "--worker", net.AccountAddress(key), "--profile", "cpu-x64-f32-greedy-v1",
			"--max-jobs", "8", "--from", fmt.Sprintf("provider%d", i))
		require.NoError(t, err)
		cfg := workerHomeWithKey(t, key, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir,
			map[string]string{"demo-tiny": modelPath})
		startWorker(t, bin, cfg.Home, freeAddr(t))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	client, err := chain.Dial(net.ChainID(), net.GRPC(0), net.RPC(0))
	require.NoError(t, err)
	defer client.Close()
	// Jobs are assigned once three other operators could verify them: wait for every
	// worker's audit key (published at its start).
	for i := 1; i <= 4; i++ {
		prov := net.AccountAddress(fmt.Sprintf("provider%d", i))
		deadline := time.Now().Add(2 * time.Minute)
		for {
			p, err := client.Provider(ctx, prov)
			require.NoError(t, err)
			if len(p.AuditKey) > 0 {
				break
			}
			require.True(t, time.Now().Before(deadline), "the worker of %s published no audit key", prov)
			time.Sleep(200 * time.Millisecond)
		}
	}
	direct, err := inference.NewLlama(inference.LlamaConfig{LibDir: libDir, ModelPath: modelPath, Threads: 1})
	require.NoError(t, err)
	defer direct.Close()

	// The demo model's own tolerances (config.yml registers them with the model).
	tol := modelTolerances(t, ctx, client, verifytypes.DefaultParams())

	// Jobs until each serving provider has settled one and one audit has passed (each job
	// is audited with config.yml's audit_rate, 0.25: P(none in 40) = 0.75^40 ≈ 1e-5, by
	// verifiers_per_audit of the three other providers).
	settledBy := map[string]int{}
	passed := 0
	for n := 0; len(settledBy) < 2 || passed == 0; n++ {
		require.Less(t, n, 40, "40 jobs: settled by %v, %d audits passed", settledBy, passed)
		prompt := fmt.Sprintf("Story number %d begins", n)
		res, err := cli.Tx("task", "submit", "demo-tiny", prompt, "--max-tokens", "12",
			"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
		require.NoError(t, err)
		id, err := res.JobID()
		require.NoError(t, err)
		job := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)
		require.True(t, provs[job.Provider])
		settledBy[job.Provider]++

		want, err := direct.Generate(ctx, inference.Request{Prompt: prompt, MaxTokens: 12, Seed: job.Sampling.Seed})
		require.NoError(t, err)
		out, err := cli.Run("q", "task", "output", strconv.FormatUint(id, 10), "--from", "alice", "--keyring-backend", "test")
		require.NoError(t, err)
		require.Equal(t, want.Text+"\n", out, "job %d: decrypted output = direct generation", id)

		if a, err := client.Audit(ctx, id); err == nil {
			require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status, "audit of job %d", id)
			require.Equal(t, uint32(1), a.Round, "job %d: passed in round 1", id)
			require.NotEmpty(t, a.Verifiers)
			seen := map[string]bool{job.Provider: true}
			for _, v := range a.Verifiers {
				require.False(t, seen[v.Operator], "job %d: verifier %s is the provider or drawn twice", id, v.Operator)
				seen[v.Operator] = true
				require.True(t, bytes.Equal(a.ProviderHash, v.OutputHash),
					"job %d: the verifier's hash of the claimed output equals the provider's", id)
				require.NotEmpty(t, v.Opening, "job %d: the provider opened the claimed output to its verifier", id)
				require.True(t, verifytypes.Close(a.ProviderTrace, v.Trace, tol, false), "job %d: traces within tolerance", id)
			}
			passed++
		}
	}
	t.Logf("settled per provider %v; %d audits passed with equal hashes and close traces from provider and verifiers", settledBy, passed)
}
