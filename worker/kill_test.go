package worker_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/internal/proc"
	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/store"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// workerProcess is a running sovra-worker binary.
type workerProcess struct {
	cmd *proc.Process // reaped in the background: cmd.Wait() waits for the exit
	log *bytes.Buffer
}

func buildWorker(t *testing.T) string {
	t.Helper()
	root, err := e2e.RepoRoot()
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "sovra-worker")
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "./cmd/sovra-worker")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/sovra-worker:\n%s", out)
	return bin
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ports, err := localnet.FreePorts(1)
	require.NoError(t, err)
	return "127.0.0.1:" + strconv.Itoa(ports[0])
}

// startWorker runs `sovra-worker start`; its REST API listens on apiHTTP (given through
// the environment, as an operator may) and its gRPC API on a free port. Its log is quoted
// when the test ends.
func startWorker(t *testing.T, bin, home, apiHTTP string) *workerProcess {
	t.Helper()
	return startWorkerProcess(t, bin, home, apiHTTP, true)
}

// startWorkerProcess is startWorker with more environment (SOVRA_WORKER_<KEY>=value
// overrides); the log is quoted at the end only when logAlways is set or the test failed.
func startWorkerProcess(t *testing.T, bin, home, apiHTTP string, logAlways bool, env ...string) *workerProcess {
	t.Helper()
	var log bytes.Buffer
	// The worker dies with the test process.
	cmd, err := proc.Start(bin, []string{"start", "--home", home, "--poll-interval", "100ms", "--api-grpc-address", "127.0.0.1:0"},
		proc.Options{
			Env:    proc.Env(append([]string{"SOVRA_WORKER_API_HTTP_ADDRESS=" + apiHTTP}, env...)...),
			Output: &log, DeathSignal: syscall.SIGKILL,
		})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cmd.Kill()
		if logAlways || t.Failed() {
			t.Logf("sovra-worker (pid %d) log:\n%s", cmd.Pid(), log.String())
		}
	})
	return &workerProcess{cmd: cmd, log: &log}
}

// TestWorkerKilledAfterPersist and TestWorkerKilledAfterBroadcast: the worker process is
// killed with SIGKILL as soon as a job's record is on disk (result built), or as soon as
// the record names its commit transaction (about to be or just broadcast); restarted, it
// settles the job with the persisted salt, in exactly one commit transaction.
func TestWorkerKilledAfterPersist(t *testing.T)   { testWorkerKilled(t, false) }
func TestWorkerKilledAfterBroadcast(t *testing.T) { testWorkerKilled(t, true) }

func testWorkerKilled(t *testing.T, afterBroadcast bool) {
	if testing.Short() {
		t.Skip("starts sovrad and sovra-worker processes")
	}
	libDir := llamaLibDir(t)
	bin := buildWorker(t)
	net, cli, prov, workerAddr, modelPath := providerNetwork(t)

	cfg := workerHome(t, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir, map[string]string{"demo-tiny": modelPath})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	require.NoError(t, err)
	defer client.Close()
	_, seq0, err := client.Account(ctx, workerAddr)
	require.NoError(t, err)

	apiHTTP := freeAddr(t)
	p := startWorker(t, bin, cfg.Home, apiHTTP)
	res, err := cli.Tx("task", "submit", "demo-tiny", "The worker crashed", "--max-tokens", "16",
		"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
	require.NoError(t, err)
	id, err := res.JobID()
	require.NoError(t, err)
	idStr := strconv.FormatUint(id, 10)

	recPath := filepath.Join(cfg.DataDir, "jobs", idStr+".json")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if raw, err := os.ReadFile(recPath); err == nil {
			var r store.Record
			if json.Unmarshal(raw, &r) == nil && (!afterBroadcast || r.TxHash != "") {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "record for job %d not ready after 60s", id)
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	_ = p.cmd.Wait()
	raw, err := os.ReadFile(recPath)
	require.NoError(t, err)
	var before store.Record
	require.NoError(t, json.Unmarshal(raw, &before))
	jobAtKill, err := client.Job(ctx, id)
	require.NoError(t, err)
	t.Logf("killed with the record %s (tx %q), job %s on chain", before.Status, before.TxHash, jobAtKill.Status)
	require.Len(t, before.Salt, 64, "the salt is on disk")

	startWorker(t, bin, cfg.Home, apiHTTP)
	job := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)

	// The chain's commitment opens with the salt persisted before the kill.
	hash, err := hex.DecodeString(before.OutputHash)
	require.NoError(t, err)
	salt, err := hex.DecodeString(before.Salt)
	require.NoError(t, err)
	require.NotNil(t, before.Trace, "the trace is on disk")
	require.Equal(t, tasktypes.Commitment([32]byte(hash), before.Trace.Hash(), salt), job.Commitment)

	_, seq1, err := client.Account(ctx, workerAddr)
	require.NoError(t, err)
	// The first start published the worker's audit key (MsgSetAuditKey); then exactly one
	// commit.
	require.Equal(t, seq0+2, seq1, "the audit key and exactly one commit transaction from the worker key")

	st, err := store.Open(cfg.DataDir)
	require.NoError(t, err)
	deadline = time.Now().Add(10 * time.Second)
	for {
		after, err := st.Get(id)
		require.NoError(t, err)
		require.Equal(t, before.Salt, after.Salt)
		if after.Status == store.StatusCommitted {
			break
		}
		require.True(t, time.Now().Before(deadline), "record still %s", after.Status)
		time.Sleep(100 * time.Millisecond)
	}
	// The restarted process serves the record over REST (without the salt), is healthy,
	// and counts the job in its metrics.
	var rest struct {
		Job struct {
			ID         string `json:"id"`
			Status     string `json:"status"`
			OutputHash string `json:"output_hash"`
			Salt       string `json:"salt"`
		} `json:"job"`
	}
	getJSON(t, "http://"+apiHTTP+"/v1/jobs/"+idStr, http.StatusOK, &rest)
	require.Equal(t, idStr, rest.Job.ID)
	require.Equal(t, "committed", rest.Job.Status)
	require.Equal(t, before.OutputHash, rest.Job.OutputHash)
	require.Empty(t, rest.Job.Salt, "the salt is never served")
	getJSON(t, "http://"+apiHTTP+"/healthz", http.StatusOK, nil)
	metrics := httpGet(t, "http://"+apiHTTP+"/metrics", http.StatusOK)
	require.Contains(t, metrics, `sovra_worker_jobs_total{outcome="committed"} 1`)

	cmd := exec.Command(bin, "status", "--home", cfg.Home)
	cmd.Env = append(os.Environ(), "SOVRA_WORKER_API_HTTP_ADDRESS="+apiHTTP)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "committed")
	require.Contains(t, string(out), "running worker: up")
	t.Logf("status:\n%s", out)
}

// httpGet returns the body of a GET that must answer with code.
func httpGet(t *testing.T, url string, code int) string {
	t.Helper()
	got, body := e2e.Get(t, url)
	require.Equal(t, code, got, "GET %s: %s", url, body)
	return body
}

// getJSON decodes the body of a GET that must answer with code into v (when not nil).
func getJSON(t *testing.T, url string, code int, v any) {
	t.Helper()
	body := httpGet(t, url, code)
	if v != nil {
		require.NoError(t, json.Unmarshal([]byte(body), v), "GET %s: %s", url, body)
	}
}
