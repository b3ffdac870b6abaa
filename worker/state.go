package worker

import (
	"sync"
	"time"

	workerv1 "github.com/sovra-network/sovra/worker/api/workerv1"
	"github.com/sovra-network/sovra/worker/store"
)

// Ways the worker learns of new blocks.
const (
	FollowWebsocket = "websocket"
	FollowPolling   = "polling"
)

// liveState is what the run loop knows of the chain, read by the API while it runs.
type liveState struct {
	mu        sync.Mutex
	height    int64
	reachable bool
	following string
	started   time.Time
}

// sawChain records an answer from the node (a status or a new block): the follow step's
// success.
func (w *Worker) sawChain(height int64) {
	w.health.follow.ReportSuccess()
	w.live.mu.Lock()
	defer w.live.mu.Unlock()
	if height > w.live.height {
		w.live.height = height
	}
	w.live.reachable = true
	w.metrics.ChainHeight.Set(float64(w.live.height))
	w.metrics.ChainReachable.Set(1)
}

// lostChain records that the node did not answer: the follow step's failure.
func (w *Worker) lostChain(err error) {
	w.health.follow.ReportFailure(err)
	w.live.mu.Lock()
	defer w.live.mu.Unlock()
	w.live.reachable = false
	w.metrics.ChainReachable.Set(0)
}

func (w *Worker) setFollowing(mode string) {
	w.live.mu.Lock()
	defer w.live.mu.Unlock()
	if w.live.following == mode {
		return
	}
	w.live.following = mode
	for _, m := range []string{FollowWebsocket, FollowPolling} {
		v := 0.0
		if m == mode {
			v = 1
		}
		w.metrics.Following.WithLabelValues(m).Set(v)
	}
}

func (w *Worker) following() string {
	w.live.mu.Lock()
	defer w.live.mu.Unlock()
	return w.live.following
}

// Metrics returns the worker's Prometheus series.
func (w *Worker) Metrics() *Metrics { return w.metrics }

// Store returns the worker's job records.
func (w *Worker) Store() *store.Store { return w.store }

// Status is the snapshot served by the worker's API.
func (w *Worker) Status() (*workerv1.StatusResponse, error) {
	recs, err := w.store.List()
	if err != nil {
		return nil, err
	}
	w.live.mu.Lock()
	s := &workerv1.StatusResponse{
		ChainId: w.cfg.ChainID, Provider: w.cfg.Provider, Worker: w.signer.Address(),
		Models: w.cfg.ModelIDs(), Backend: w.cfg.Backend, Height: w.live.height,
		Following: w.live.following, ChainReachable: w.live.reachable,
		UptimeSeconds: int64(time.Since(w.live.started).Seconds()),
	}
	w.live.mu.Unlock()
	for _, r := range recs {
		switch r.Status {
		case store.StatusBuilt:
			s.JobsBuilt++
		case store.StatusCommitted:
			s.JobsCommitted++
		case store.StatusFailed:
			s.JobsFailed++
		}
	}
	s.TxFailures = uint64(counterValue(w.metrics.TxFailures))
	return s, nil
}
