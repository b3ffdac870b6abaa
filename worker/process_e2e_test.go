package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/testutil/gguf"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/inference"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// TestTwoWorkerProcesses: issue 3's acceptance with the shipped binary. A localnet, two
// providers, each served by a real `sovra-worker start` process on the generated model.
// Jobs submitted with the CLI are committed and settled by both; `sovrad q task output`
// equals what the same llama.cpp library generates directly for the prompt; and the same
// job run by both workers gives the same output hash: the localnet audits half the
// results, so each worker re-runs jobs of the other, and a passed audit is the chain's
// record that the verifier's revealed hash equals the provider's.
func TestTwoWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad and sovra-worker processes")
	}
	libDir := llamaLibDir(t)
	bin := buildWorker(t)
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 1})
	cli := e2e.NewCLI(t, net)
	modelPath := filepath.Join(t.TempDir(), "demo-tiny.gguf")
	_, err := gguf.WriteFile(modelPath, gguf.DefaultConfig())
	require.NoError(t, err)
	provs := map[string]bool{}
	for i := 1; i <= 2; i++ {
		prov, key := net.AccountAddress(fmt.Sprintf("provider%d", i)), fmt.Sprintf("worker%d", i)
		provs[prov] = true
		_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", "10usovra", "--worker", net.AccountAddress(key), "--profile", "cpu-x64-f32-greedy-v1",
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
	direct, err := inference.NewLlama(inference.LlamaConfig{LibDir: libDir, ModelPath: modelPath, Threads: 1})
	require.NoError(t, err)
	defer direct.Close()

	// Jobs until each provider has settled one and one audit has passed (each job is
	// audited with probability 0.5, by the other provider: the only eligible verifier).
	settledBy := map[string]int{}
	passed := 0
	for n := 0; len(settledBy) < 2 || passed == 0; n++ {
		require.Less(t, n, 16, "16 jobs: settled by %v, %d audits passed", settledBy, passed)
		prompt := fmt.Sprintf("Story number %d begins", n)
		res, err := cli.Tx("task", "submit", "demo-tiny", prompt, "--max-tokens", "12",
			"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
		require.NoError(t, err)
		idStr, ok := res.Attr("job_submitted", "job_id")
		require.True(t, ok)
		id, err := strconv.ParseUint(idStr, 10, 64)
		require.NoError(t, err)
		job := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)
		require.True(t, provs[job.Provider])
		settledBy[job.Provider]++

		want, err := direct.Generate(ctx, inference.Request{Prompt: prompt, MaxTokens: 12, Seed: job.Sampling.Seed})
		require.NoError(t, err)
		out, err := cli.Run("q", "task", "output", idStr, "--from", "alice", "--keyring-backend", "test")
		require.NoError(t, err)
		require.Equal(t, want.Text+"\n", out, "job %d: decrypted output = direct generation", id)

		if a, err := client.Audit(ctx, id); err == nil {
			require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status, "audit of job %d", id)
			require.Len(t, a.Verifiers, 1)
			require.NotEqual(t, job.Provider, a.Verifiers[0].Operator)
			require.True(t, bytes.Equal(a.ProviderHash, a.Verifiers[0].OutputHash),
				"job %d: the verifier's re-run hash equals the provider's", id)
			passed++
		}
	}
	t.Logf("settled per provider %v; %d audits passed with equal hashes from both workers", settledBy, passed)
}
