package worker_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/worker"
	workerv1 "github.com/sovra-network/sovra/worker/api/workerv1"
	"github.com/sovra-network/sovra/worker/apiserver"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// runningWorker is an in-process worker and the way to stop it.
type runningWorker struct {
	w    *worker.Worker
	cfg  *config.Config
	stop func()
}

// TestWorkersFollowTheChainThroughOutages: two providers, each with a real worker on the
// demo model (and two more that only verify), polling disabled in practice (poll_interval 10 min) so that only the
// websocket can drive them. The first worker is started while the node is down and
// waits for it; jobs are committed and settled by both; the other worker, re-scoring a
// job's claimed output, gets the same output hash and a trace within the chain's
// tolerances, which with the first worker's trace and salt open the on-chain commitment; the node is stopped and restarted mid-run, the workers fall back and
// reconnect, and a job submitted after the restart is committed exactly once.
func TestWorkersFollowTheChainThroughOutages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	libDir := llamaLibDir(t)
	net, cli, modelPath := verifyingNetwork(t)
	// provider1 and provider2 serve the jobs; provider3 and provider4, too dear for them,
	// run workers that only verify: a job is assigned only when three other operators
	// could verify it.
	provs := []string{
		net.AccountAddress("provider1"), net.AccountAddress("provider2"),
		net.AccountAddress("provider3"), net.AccountAddress("provider4"),
	}
	for i := range provs {
		price := "10usovra"
		if i >= 2 {
			price = "1000000usovra"
		}
		_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", price, "--worker", net.AccountAddress(fmt.Sprintf("worker%d", i+1)),
			"--profile", "cpu-x64-f32-greedy-v1", "--max-jobs", "4", "--from", fmt.Sprintf("provider%d", i+1))
		require.NoError(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	client, err := chain.Dial(net.ChainID(), net.GRPC(0), net.RPC(0))
	require.NoError(t, err)
	defer client.Close()

	newCfg := func(i int) *config.Config {
		cfg := workerHomeWithKey(t, fmt.Sprintf("worker%d", i+1), net.ChainID(), net.GRPC(0), net.RPC(0), provs[i],
			net.ClientHome(), libDir, map[string]string{"demo-tiny": modelPath})
		cfg.PollInterval = 10 * time.Minute
		return cfg
	}
	run := func(w *worker.Worker, cfg *config.Config) runningWorker {
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(runCtx) }()
		rw := runningWorker{w: w, cfg: cfg, stop: func() { stop(); require.NoError(t, <-done); require.NoError(t, w.Close()) }}
		t.Cleanup(stop)
		return rw
	}
	start := func(cfg *config.Config) runningWorker {
		w, err := worker.New(ctx, cfg, worker.Options{Logf: t.Logf})
		require.NoError(t, err)
		return run(w, cfg)
	}

	// The chain is unreachable when the first worker starts: it waits, then serves.
	require.NoError(t, net.StopNode(0))
	cfg1 := newCfg(0)
	type opened struct {
		w   *worker.Worker
		err error
	}
	started := make(chan opened, 1)
	go func() {
		w, err := worker.New(ctx, cfg1, worker.Options{Logf: t.Logf})
		started <- opened{w, err}
	}()
	select {
	case <-started:
		t.Fatal("the worker started without a chain")
	case <-time.After(3 * time.Second):
	}
	require.NoError(t, net.StartNode(0))
	var all [4]runningWorker
	select {
	case o := <-started:
		require.NoError(t, o.err)
		all[0] = run(o.w, cfg1)
	case <-time.After(2 * time.Minute):
		t.Fatal("the worker did not start once the chain was back")
	}
	for i := 1; i < len(all); i++ {
		all[i] = start(newCfg(i))
	}
	workers := all[:2] // the serving ones
	for _, rw := range all {
		waitFollowing(t, rw.w, worker.FollowWebsocket, 30*time.Second)
	}

	// The worker's gRPC API answers for the first worker.
	api, err := apiserver.Start(workers[0].w, workers[0].w.Metrics().Registry, "127.0.0.1:0", "")
	require.NoError(t, err)
	defer api.Close()
	conn, err := grpc.NewClient(api.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	apiClient := workerv1.NewWorkerServiceClient(conn)

	// Jobs until each serving provider has settled at least one (the draw is random).
	byProvider := map[string][]tasktypes.Job{}
	for n := 0; len(byProvider) < 2; n++ {
		require.Less(t, n, 20, "20 jobs and still not one per provider") // p = 2 × 0.5^20 at equal stake
		id := submitJob(t, cli, fmt.Sprintf("Job number %d was", n))
		j := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 60*time.Second)
		byProvider[j.Provider] = append(byProvider[j.Provider], j)
	}

	// Each job re-scored by the other worker gives the same output hash and a trace within
	// the chain's tolerances (the demo model's own: config.yml registers them with it), and
	// the committed hash, trace and salt open the commitment.
	tol := modelTolerances(t, ctx, client, verifytypes.DefaultParams())
	for i, rw := range workers {
		other := workers[1-i]
		st, err := store.Open(rw.cfg.DataDir)
		require.NoError(t, err)
		for _, j := range byProvider[provs[i]] {
			rec, err := st.Get(j.Id)
			require.NoError(t, err)
			claimed := tasktypes.Claimed{OutputTokens: rec.OutputTokens, StopToken: rec.StopToken}
			prompt, trace, err := other.w.Rescore(ctx, j, claimed, nil)
			require.NoError(t, err)
			claimed.PromptTokens = prompt
			hash, err := other.w.OutputHash(j, claimed)
			require.NoError(t, err)
			require.Equal(t, rec.OutputHash, hex.EncodeToString(hash[:]), "job %d: output hash of the other worker", j.Id)
			require.True(t, verifytypes.Close(*rec.Trace, trace, tol, false), "job %d: traces", j.Id)
			salt, err := hex.DecodeString(rec.Salt)
			require.NoError(t, err)
			require.Equal(t, j.Commitment, tasktypes.Commitment(hash, rec.Trace.Hash(), salt))
		}
	}
	status, err := apiClient.Status(ctx, &workerv1.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, worker.FollowWebsocket, status.Following)
	require.True(t, status.ChainReachable)
	require.Equal(t, uint64(len(byProvider[provs[0]])), status.JobsCommitted)
	jobs, err := apiClient.Jobs(ctx, &workerv1.JobsRequest{Status: "committed"})
	require.NoError(t, err)
	require.Len(t, jobs.Jobs, len(byProvider[provs[0]]))
	_, err = apiClient.Jobs(ctx, &workerv1.JobsRequest{Status: "nonsense"})
	require.ErrorContains(t, err, "must be built, committed or failed")

	// The node goes away: the workers notice and fall back to polling, then follow the
	// websocket again once it is back.
	require.NoError(t, net.StopNode(0))
	for _, rw := range all {
		waitFollowing(t, rw.w, worker.FollowPolling, 30*time.Second)
	}
	require.NoError(t, net.StartNode(0))
	for _, rw := range all {
		waitFollowing(t, rw.w, worker.FollowWebsocket, 60*time.Second)
	}
	id := submitJob(t, cli, "After the restart")
	j := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 60*time.Second)
	t.Logf("job %d after the restart settled, provider %s", id, j.Provider)

	// Nothing was ever committed twice: no transaction failed, and each worker key signed at
	// most its consent to the provider's registration (a co-signature counts in the worker's
	// sequence), its audit key (MsgSetAuditKey, at its first start), one transaction per job
	// it served and one per audit message (the localnet audits a share of the results; the
	// workers open their own to their verifiers, verify each other and reveal their own).
	for i, rw := range all {
		st, err := rw.w.Status()
		require.NoError(t, err)
		require.Zero(t, st.TxFailures, "worker %d", i+1)
		families, err := rw.w.Metrics().Registry.Gather()
		require.NoError(t, err)
		auditMsgs := uint64(metricValue(t, families, "sovra_worker_audit_messages_total", "open") +
			metricValue(t, families, "sovra_worker_audit_messages_total", "commit") +
			metricValue(t, families, "sovra_worker_audit_messages_total", "reveal"))
		_, seq, err := client.Account(ctx, rw.w.Address())
		require.NoError(t, err)
		require.LessOrEqual(t, seq, 2+st.JobsCommitted+auditMsgs, "worker %d signed more than its consent, its audit key, its committed jobs and its audit messages", i+1)
		if i < len(workers) {
			require.Positive(t, st.JobsCommitted)
		} else {
			require.Zero(t, st.JobsCommitted, "a verifying worker served a job")
		}
	}
	// Every audit of the run ended with a pass: both workers are honest.
	for _, jobs := range byProvider {
		for _, j := range jobs {
			a, err := client.Audit(ctx, j.Id)
			if err != nil {
				continue // not audited
			}
			require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status, "audit of job %d", j.Id)
		}
	}
	for _, rw := range all {
		rw.stop()
	}
}

// submitJob submits a 12-token job from alice and returns its id.
func submitJob(t *testing.T, cli *e2e.CLI, prompt string) uint64 {
	t.Helper()
	res, err := cli.Tx("task", "submit", "demo-tiny", prompt, "--max-tokens", "12",
		"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
	require.NoError(t, err)
	id, err := res.JobID()
	require.NoError(t, err)
	return id
}

// waitFollowing waits until the worker follows the chain the given way.
func waitFollowing(t *testing.T, w *worker.Worker, mode string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := w.Status()
		require.NoError(t, err)
		if st.Following == mode {
			return
		}
		require.True(t, time.Now().Before(deadline), "worker still follows by %s, want %s", st.Following, mode)
		time.Sleep(100 * time.Millisecond)
	}
}
