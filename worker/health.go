package worker

import (
	"context"
	"errors"
	"time"

	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/health"
)

// Steps of the worker's loop, each a health-checkable (dYdX's daemons): the loop reports
// every success and failure as it happens; Health reads the last of each, and the API serves
// it on /healthz (200 when every step is healthy, 503 with the reason otherwise).
const (
	// StepFollow: the node answered (a status poll, or a new block on the websocket). Live:
	// unhealthy after a failed status poll until the next answer, or when the node has not
	// answered for health.MaxSilence.
	StepFollow = "follow"
	// StepTick: one poll's reads of the assigned jobs and open audits, and the store's
	// bookkeeping; unhealthy from a failed tick until the next complete one.
	StepTick = "tick"
	// StepSend: a transaction reached the chain and was judged: included, or refused (a
	// refusal, such as an audit message sent as its phase ended, is counted in
	// tx_failures_total, not here). Unhealthy when the last send could not be broadcast,
	// exhausted its sequence retries or was not included in time.
	StepSend = "send"
	// StepInference: the backend generated (or re-scored) an output. Unhealthy when the last
	// attempt failed in the backend (a bad request is the job's fault, not the backend's).
	StepInference = "inference"
)

// loopHealth holds the health-checkable of each step.
type loopHealth struct {
	follow, tick, send, inference *health.Checkable
}

// newLoopHealth returns the steps' health-checkables on the clock now (time.Now when nil).
func newLoopHealth(now func() time.Time) loopHealth {
	return loopHealth{
		follow:    health.NewCheckable(StepFollow, health.MaxSilence, now),
		tick:      health.NewCheckable(StepTick, 0, now),
		send:      health.NewCheckable(StepSend, 0, now),
		inference: health.NewCheckable(StepInference, 0, now),
	}
}

// Health reports the last success and failure of each step of the loop, and whether the
// worker is healthy.
func (w *Worker) Health() health.Report {
	h := w.health
	return health.Collect(h.follow, h.tick, h.send, h.inference)
}

// HealthCheck returns nil while every step of the loop is healthy, else the first unhealthy
// step's reason (dYdX's HealthCheckable.HealthCheck).
func (w *Worker) HealthCheck() error { return w.Health().Err() }

// reportTick records a tick's outcome; a tick cut short because the worker stops is neither.
func (w *Worker) reportTick(ctx context.Context, err error) {
	report(ctx, w.health.tick, err)
}

// reportSend records a Send's outcome: a transaction the chain judged is a success even when
// it refused it (chain.ErrTxFailed, at CheckTx or included with an error: the way to the
// chain works); a send cut short because the worker stops is neither.
func (w *Worker) reportSend(ctx context.Context, err error) {
	if errors.Is(err, chain.ErrTxFailed) {
		err = nil
	}
	report(ctx, w.health.send, err)
}

// reportInference records a generation's or re-scoring's outcome.
func (w *Worker) reportInference(ctx context.Context, err error) {
	report(ctx, w.health.inference, err)
}

func report(ctx context.Context, c *health.Checkable, err error) {
	switch {
	case err == nil:
		c.ReportSuccess()
	case ctx.Err() == nil:
		c.ReportFailure(err)
	}
}
