package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// brokenBackend fails every generation the way an unreachable llama-server does.
type brokenBackend struct{ calls int }

func (b *brokenBackend) Generate(context.Context, inference.Request) (inference.Result, error) {
	b.calls++
	return inference.Result{}, errors.New("POST http://127.0.0.1:1/completion: connection refused")
}

func (b *brokenBackend) Close() error { return nil }

// Rescore fails too; being a Rescorer, the backend needs no llama.cpp beside it (the test
// runs without the libraries).
func (b *brokenBackend) Rescore(context.Context, inference.RescoreRequest) (inference.RescoreResult, error) {
	return inference.RescoreResult{}, errors.New("connection refused")
}

// TestWorkerGivesUpOnBrokenBackend: a backend that always fails is tried
// max_inference_attempts times for a job, then the job is recorded as failed and counted
// as given up; nothing is committed and no transaction is sent.
func TestWorkerGivesUpOnBrokenBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	net, cli, prov, workerAddr, modelPath := providerNetwork(t)
	cfg := workerHome(t, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), t.TempDir(), map[string]string{"demo-tiny": modelPath})
	cfg.MaxInferenceAttempts = 3
	backend := &brokenBackend{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, err := worker.New(ctx, cfg, worker.Options{
		Logf:       t.Logf,
		NewBackend: func(*config.Config, string, string) (inference.Backend, error) { return backend, nil },
	})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()

	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	require.NoError(t, err)
	defer client.Close()
	_, seq0, err := client.Account(ctx, workerAddr)
	require.NoError(t, err)
	id := submitJob(t, cli, "Nobody will answer")

	st, err := store.Open(cfg.DataDir)
	require.NoError(t, err)
	deadline := time.Now().Add(60 * time.Second)
	var rec store.Record
	for {
		if rec, err = st.Get(id); err == nil {
			break
		}
		require.ErrorIs(t, err, store.ErrNotFound)
		require.True(t, time.Now().Before(deadline), "no record for job %d after 60s", id)
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	require.NoError(t, <-done)
	require.NoError(t, w.Close())

	require.Equal(t, store.StatusFailed, rec.Status)
	require.Contains(t, rec.Error, "inference failed 3 times")
	require.Empty(t, rec.Salt)
	require.Equal(t, 3, backend.calls)
	metrics, err := w.Metrics().Registry.Gather()
	require.NoError(t, err)
	require.Equal(t, 3.0, metricValue(t, metrics, "sovra_worker_inference_failures_total", ""))
	require.Equal(t, 1.0, metricValue(t, metrics, "sovra_worker_jobs_total", worker.OutcomeGivenUp))
	require.Equal(t, 0.0, metricValue(t, metrics, "sovra_worker_jobs_total", worker.OutcomeCommitted))

	job, err := client.Job(ctx, id)
	require.NoError(t, err)
	require.Equal(t, tasktypes.JOB_STATUS_ASSIGNED, job.Status, "nothing was committed")
	_, seq1, err := client.Account(ctx, workerAddr)
	require.NoError(t, err)
	require.Equal(t, seq0, seq1, "the worker sent no transaction")
}
