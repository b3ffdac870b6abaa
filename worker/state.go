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
	lastSeen  time.Time // last answer from the node
	following string
	started   time.Time
}

func (w *Worker) sawChain(height int64) {
	w.live.mu.Lock()
	defer w.live.mu.Unlock()
	if height > w.live.height {
		w.live.height = height
	}
	w.live.reachable, w.live.lastSeen = true, time.Now()
	w.metrics.ChainHeight.Set(float64(w.live.height))
	w.metrics.ChainReachable.Set(1)
}

func (w *Worker) lostChain() {
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

// Healthy returns nil while the node has answered within maxSilence.
func (w *Worker) Healthy(maxSilence time.Duration) error {
	w.live.mu.Lock()
	defer w.live.mu.Unlock()
	if w.live.lastSeen.IsZero() || time.Since(w.live.lastSeen) > maxSilence {
		return errChainSilent{since: w.live.lastSeen}
	}
	return nil
}

type errChainSilent struct{ since time.Time }

func (e errChainSilent) Error() string {
	if e.since.IsZero() {
		return "the node has not answered yet"
	}
	return "no answer from the node since " + e.since.UTC().Format(time.RFC3339)
}
