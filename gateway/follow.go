package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// unreachableAfter is how long the node may fail to answer before open requests get a 503
// (their jobs are still followed for the budget).
const unreachableAfter = 30 * time.Second

// heights tells waiters when the chain moves: one reader of the node's height for all
// open jobs, so each job is queried once a block rather than once a poll.
type heights struct {
	read     func(context.Context) (int64, error)
	interval time.Duration

	mu      sync.Mutex
	h       int64
	failing time.Time // first failure of the current run of failures; zero when answering
	changed chan struct{}
	waiters int
	polling bool // a poll goroutine runs
}

func newHeights(read func(context.Context) (int64, error), interval time.Duration) *heights {
	return &heights{read: read, interval: interval, changed: make(chan struct{})}
}

// after waits until the height is above h and returns it. It fails when ctx ends or the
// node has not answered for unreachableAfter.
func (w *heights) after(ctx context.Context, h int64) (int64, error) {
	for {
		w.mu.Lock()
		if w.h > h {
			cur := w.h
			w.mu.Unlock()
			return cur, nil
		}
		if !w.failing.IsZero() && time.Since(w.failing) > unreachableAfter {
			w.mu.Unlock()
			return 0, unavailable("the node has not answered for %s", unreachableAfter)
		}
		ch := w.changed
		w.waiters++
		if !w.polling {
			w.polling = true
			go w.poll() //nolint:gosec // G118: the poller serves every waiter, not one request; it stops when none is left
		}
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		w.mu.Lock()
		w.waiters--
		w.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// poll reads the height while anyone waits. A failure wakes the waiters too, so they can
// give up once the node has been gone too long.
func (w *heights) poll() {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for range t.C {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		h, err := w.read(ctx)
		cancel()
		w.mu.Lock()
		wake := false
		switch {
		case err != nil:
			if w.failing.IsZero() {
				w.failing = time.Now()
			}
			wake = time.Since(w.failing) > unreachableAfter
		case h > w.h:
			w.h, w.failing, wake = h, time.Time{}, true
		default:
			w.failing = time.Time{}
		}
		if wake {
			close(w.changed)
			w.changed = make(chan struct{})
		}
		done := w.waiters == 0
		if done {
			w.polling = false
		}
		w.mu.Unlock()
		if done {
			return
		}
	}
}

// tracked is a submitted job on its way to its end, seen from the chain.
type tracked struct {
	sub      submitted
	assigned chan tasktypes.Job // the job once assigned (at most once)
	result   chan followed      // the job once its output is on chain, or why it never will be
}

type followed struct {
	job tasktypes.Job
	err *apiError
}

// track follows a job from its submission until it ends, for as long as the gateway runs
// (the request that asked for it may be gone): it reports the assignment and the
// commitment, then settles the job's budget reservation with the fee it paid.
func (g *Gateway) track(sub submitted) *tracked {
	t := &tracked{sub: sub, assigned: make(chan tasktypes.Job, 1), result: make(chan followed, 1)}
	g.metrics.openJobs.Inc()
	go func() {
		defer g.metrics.openJobs.Dec()
		job, err := g.followToEnd(sub, t)
		if err != nil {
			g.logf("job %d: %v", sub.JobID, err)
			return
		}
		fee := paid(job)
		if err := g.budget.settle(job.Id, fee.Amount); err != nil {
			g.logf("job %d: budget ledger: %v", job.Id, err)
		}
		if fee.IsPositive() {
			g.metrics.feesPaid.WithLabelValues(fee.Denom).Add(float64(fee.Amount.Int64()))
		}
	}()
	return t
}

func (g *Gateway) followToEnd(sub submitted, t *tracked) (tasktypes.Job, error) {
	ctx := g.ctx
	h := sub.Height - 1
	sentAssigned, sentResult := false, false
	report := func(f followed) {
		if !sentResult {
			sentResult = true
			t.result <- f
		}
	}
	for {
		var err error
		if h, err = g.heights.after(ctx, h); err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				report(followed{err: ae})
				// Keep following for the budget until the gateway stops.
				select {
				case <-ctx.Done():
				case <-time.After(unreachableAfter / 10):
				}
				continue
			}
			report(followed{err: unavailable("the gateway is stopping")})
			return tasktypes.Job{}, err
		}
		job, err := g.jobAt(ctx, sub.JobID, h)
		if err != nil {
			continue // read again next block
		}
		if !sentAssigned && job.Provider != "" {
			sentAssigned = true
			t.assigned <- job
		}
		switch job.Status {
		case tasktypes.JOB_STATUS_PENDING, tasktypes.JOB_STATUS_ASSIGNED:
		case tasktypes.JOB_STATUS_COMMITTED, tasktypes.JOB_STATUS_AUDITING:
			report(followed{job: job})
		case tasktypes.JOB_STATUS_SETTLED, tasktypes.JOB_STATUS_SLASHED, tasktypes.JOB_STATUS_FAILED:
			report(followed{job: job})
			return job, nil
		case tasktypes.JOB_STATUS_EXPIRED:
			report(followed{job: job, err: newError(504, "timeout", "job_expired", "",
				"job %d found no provider or was not served before its deadline (height %d); its escrow is refunded on chain", job.Id, job.DeadlineHeight)})
			return job, nil
		case tasktypes.JOB_STATUS_CANCELLED:
			report(followed{job: job, err: newError(409, "invalid_request_error", "job_cancelled", "", "job %d was cancelled; its escrow is refunded", job.Id)})
			return job, nil
		default:
			return job, fmt.Errorf("job %d has status %s", job.Id, job.Status)
		}
	}
}

// The node reports a new height (its block store's) a moment before its application has
// committed that block: a query in that moment reads the state of the block before, and
// would see the job's assignment or result a whole block late (a stream answered from the
// chain instead of the provider's tokens). So a job is read again until the state read is
// that of the height seen, for up to stateLagMax.
const (
	stateLagRetry = 10 * time.Millisecond
	stateLagMax   = time.Second
)

// jobAt reads a job from the node's state at height h or later (the SDK's gRPC server
// names the height of the state it read in the x-cosmos-block-height header).
func (g *Gateway) jobAt(ctx context.Context, id uint64, h int64) (tasktypes.Job, error) {
	q := tasktypes.NewQueryClient(g.chain.conn())
	return readAtLeast(ctx, h, func(ctx context.Context) (tasktypes.Job, int64, error) {
		var md metadata.MD
		res, err := q.Job(ctx, &tasktypes.QueryJobRequest{Id: id}, grpc.Header(&md))
		if err != nil {
			return tasktypes.Job{}, 0, fmt.Errorf("query job %d: %w", id, err)
		}
		var at int64
		if v := md.Get(grpctypes.GRPCBlockHeightHeader); len(v) == 1 {
			at, _ = strconv.ParseInt(v[0], 10, 64)
		}
		return res.Job, at, nil
	})
}

// readAtLeast calls read until it reads a state of height h or later, every
// stateLagRetry for up to stateLagMax, then returns the last read. A read that names no
// height (0) is taken as it is.
func readAtLeast[T any](ctx context.Context, h int64, read func(context.Context) (T, int64, error)) (T, error) {
	deadline := time.Now().Add(stateLagMax)
	for {
		v, at, err := read(ctx)
		if err != nil || at == 0 || at >= h || time.Now().After(deadline) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(stateLagRetry):
		}
	}
}

// paid is what an ended job cost its submitter: its fee when settled, nothing otherwise.
func paid(job tasktypes.Job) sdk.Coin {
	if job.Status != tasktypes.JOB_STATUS_SETTLED || job.FeePaid.Amount.IsNil() {
		return sdk.NewCoin(job.MaxFee.Denom, sdkmath.ZeroInt())
	}
	return job.FeePaid
}
