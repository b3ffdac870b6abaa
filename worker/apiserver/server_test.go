package apiserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/sovra-network/sovra/testutil/e2e"
	workerv1 "github.com/sovra-network/sovra/worker/api/workerv1"
	"github.com/sovra-network/sovra/worker/apiserver"
	"github.com/sovra-network/sovra/worker/health"
	"github.com/sovra-network/sovra/worker/store"
)

type fakeSource struct {
	st      *store.Store
	healthy error
}

func (f *fakeSource) Status() (*workerv1.StatusResponse, error) {
	return &workerv1.StatusResponse{ChainId: "sovra-test", Height: 12, Following: "websocket", ChainReachable: true}, nil
}
func (f *fakeSource) Store() *store.Store { return f.st }
func (f *fakeSource) Health() health.Report {
	if f.healthy != nil {
		return health.Report{Status: health.StatusUnhealthy, Reason: f.healthy.Error()}
	}
	return health.Report{Status: health.StatusOK}
}

func start(t *testing.T) (*fakeSource, *apiserver.Server) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	require.NoError(t, err)
	for _, r := range []store.Record{
		{JobID: 1, ModelID: "m", Status: store.StatusCommitted, Salt: "aa", OutputHash: "01", PromptTokens: []uint32{1, 2}, OutputTokens: []uint32{3}, Text: "hi"},
		{JobID: 2, ModelID: "m", Status: store.StatusFailed, Error: "model not served"},
		{JobID: 3, ModelID: "m", Status: store.StatusCommitted, Salt: "bb"},
	} {
		require.NoError(t, st.Save(r))
	}
	src := &fakeSource{st: st}
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "sovra_worker_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(4)
	srv, err := apiserver.Start(src, reg, "127.0.0.1:0", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return src, srv
}

func TestREST(t *testing.T) {
	src, srv := start(t)
	base := "http://" + srv.HTTPAddr

	code, body := e2e.Get(t, base+"/v1/status")
	require.Equal(t, http.StatusOK, code, body)
	var st map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Equal(t, "sovra-test", st["chain_id"])
	require.Equal(t, "12", st["height"])
	require.Equal(t, "0", st["jobs_failed"], "zero values are present")

	code, body = e2e.Get(t, base+"/v1/jobs")
	require.Equal(t, http.StatusOK, code, body)
	var jobs struct {
		Jobs []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"jobs"`
		Total string `json:"total"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &jobs))
	require.Equal(t, "3", jobs.Total)
	require.Equal(t, "3", jobs.Jobs[0].ID, "newest first")
	require.NotContains(t, body, "salt")

	code, body = e2e.Get(t, base+"/v1/jobs?status=committed&limit=1")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &jobs))
	require.Equal(t, "2", jobs.Total)
	require.Len(t, jobs.Jobs, 1)

	code, body = e2e.Get(t, base+"/v1/jobs/1")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"text":"hi"`)
	require.Contains(t, body, `"prompt_tokens":2`)
	require.NotContains(t, body, "aa")

	for url, want := range map[string]int{
		"/v1/jobs/9":               http.StatusNotFound,
		"/v1/jobs/0":               http.StatusBadRequest,
		"/v1/jobs/abc":             http.StatusBadRequest,
		"/v1/jobs?status=nonsense": http.StatusBadRequest,
		"/v1/jobs?limit=5000":      http.StatusBadRequest,
		"/v1/jobs?limit=-1":        http.StatusBadRequest,
		"/v1/nothing":              http.StatusNotFound,
	} {
		code, body := e2e.Get(t, base+url)
		require.Equal(t, want, code, "%s: %s", url, body)
	}

	code, body = e2e.Get(t, base+"/healthz")
	require.Equal(t, http.StatusOK, code, body)
	src.healthy = errors.New("no answer from the node since 12:00")
	code, body = e2e.Get(t, base+"/healthz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "no answer from the node")

	code, body = e2e.Get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "sovra_worker_test_total 4")
}

func TestGRPC(t *testing.T) {
	_, srv := start(t)
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	c := workerv1.NewWorkerServiceClient(conn)
	ctx := context.Background()
	st, err := c.Status(ctx, &workerv1.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, int64(12), st.Height)
	job, err := c.Job(ctx, &workerv1.JobRequest{Id: 1})
	require.NoError(t, err)
	require.Equal(t, uint32(1), job.Job.OutputTokens)
	_, err = c.Job(ctx, &workerv1.JobRequest{Id: 9})
	require.Equal(t, codes.NotFound, status.Code(err))
}

func TestStartRefusesBusyPort(t *testing.T) {
	_, srv := start(t)
	_, err := apiserver.Start(&fakeSource{}, prometheus.NewRegistry(), "", srv.HTTPAddr)
	require.ErrorContains(t, err, "worker HTTP API on "+srv.HTTPAddr)
}
