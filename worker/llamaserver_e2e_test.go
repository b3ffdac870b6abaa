package worker_test

import (
	"context"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/testutil/llamaserver"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	taskcli "github.com/sovra-network/sovra/x/task/client/cli"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// TestWorkerLlamaServerCommitsRealInference is TestWorkerCommitsRealInference with the
// worker on the llama-server backend: jobs submitted with the CLI are committed and settled,
// their decrypted text is the llama backend's for the prompt, and the committed output hash
// is the one the llama backend's tokens give (so workers on either backend agree), with a
// trace (re-scored in process beside llama-server) close to the llama backend's.
func TestWorkerLlamaServerCommitsRealInference(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad and llama-server processes")
	}
	llamaserver.Binary(t)
	libDir := llamaLibDir(t)
	net, cli, prov, _, modelPath := providerNetwork(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The reference: the llama backend in process. Its context is the server's -c.
	direct := referenceLlama(t, libDir, modelPath)
	srv := llamaserver.Start(t, llamaserver.Options{Model: modelPath, Context: direct.ContextSize(), Threads: 2})

	cfg := workerHome(t, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir, map[string]string{"demo-tiny": modelPath})
	cfg.Backend, cfg.LlamaServerURL = config.BackendLlamaServer, srv.URL
	cfg.APIGRPCAddress, cfg.APIHTTPAddress = "", ""
	cfg.PollInterval = 200 * time.Millisecond
	w, err := worker.New(ctx, cfg, worker.Options{Logf: t.Logf})
	require.NoError(t, err)
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()

	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	require.NoError(t, err)
	defer client.Close()

	type submitted struct {
		prompt    string
		maxTokens int
		id        uint64
	}
	jobs := []submitted{{prompt: "Once upon a time", maxTokens: 16}, {prompt: "Grüße, 世界! The model said", maxTokens: 24}}
	for i, j := range jobs {
		res, err := cli.Tx("task", "submit", "demo-tiny", j.prompt, "--max-tokens", strconv.Itoa(j.maxTokens),
			"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
		require.NoError(t, err)
		jobs[i].id, err = res.JobID()
		require.NoError(t, err)
	}
	settled := make([]tasktypes.Job, len(jobs))
	for i, j := range jobs {
		settled[i] = waitJob(t, ctx, client, j.id, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)
		require.Equal(t, prov, settled[i].Provider)
	}
	stopRun()
	require.NoError(t, <-done)
	require.NoError(t, w.Close())

	model, err := client.Model(ctx, "demo-tiny")
	require.NoError(t, err)
	tol := modelTolerances(t, ctx, client, verifytypes.DefaultParams()) // the model's own (config.yml)
	st, err := store.Open(cfg.DataDir)
	require.NoError(t, err)
	for i, j := range jobs {
		job := settled[i]
		want, err := direct.Generate(ctx, inference.Request{
			Prompt: j.prompt, MaxTokens: j.maxTokens, Seed: job.Sampling.Seed,
			TemperatureMilli: job.Sampling.TemperatureMilli, TopK: job.Sampling.TopK, TopPMilli: job.Sampling.TopPMilli,
		})
		require.NoError(t, err)
		require.NotEmpty(t, want.OutputTokens)
		idStr := strconv.FormatUint(j.id, 10)

		out, err := cli.Run("q", "task", "output", idStr, "--from", "alice", "--keyring-backend", "test")
		require.NoError(t, err)
		require.Equal(t, want.Text+"\n", out, "job %d: the decrypted text is the llama backend's, byte for byte", j.id)
		var sealed tasktypes.SealedPayload
		require.NoError(t, cli.QueryJSON(&sealed, "task", "output", idStr, "--from", "alice", "--keyring-backend", "test"))
		require.Equal(t, want.OutputTokens, sealed.OutputTokens)
		require.Equal(t, want.PromptTokens, sealed.PromptTokens)

		rec, err := st.Get(j.id)
		require.NoError(t, err)
		require.Equal(t, store.StatusCommitted, rec.Status)
		// The output hash of the llama backend's tokens, with this worker's salt, is the
		// committed one.
		require.NotNil(t, rec.Trace)
		require.Equal(t, want.StopToken, rec.StopToken, "job %d: stop token", j.id)
		// llama-server shows no logits: the worker traced the result by re-scoring it with
		// llama.cpp in process, within the chain's tolerances of the llama backend's trace
		// of its own generation (same x64 kernels).
		require.True(t, verifytypes.Close(want.Trace, *rec.Trace, tol, false),
			"job %d: the committed trace is close to the llama backend's", j.id)
		stop := want.StopToken
		_, hash, salt, err := taskcli.BuildResult(job, model, taskcli.ResultFile{
			PromptTokens: want.PromptTokens, OutputTokens: want.OutputTokens, Text: want.Text, Salt: rec.Salt,
			StopToken: &stop, Trace: *rec.Trace,
		})
		require.NoError(t, err)
		require.Equal(t, rec.OutputHash, hex.EncodeToString(hash[:]), "job %d: output hash", j.id)
		require.Equal(t, job.Commitment, tasktypes.Commitment(hash, rec.Trace.Hash(), salt), "job %d: commitment on chain", j.id)
		t.Logf("job %d: %d prompt + %d output tokens, output hash %s equal to the llama backend's: %q",
			j.id, len(want.PromptTokens), len(want.OutputTokens), rec.OutputHash[:16], want.Text)
	}
}
