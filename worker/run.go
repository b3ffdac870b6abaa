package worker

import (
	"context"
	"time"

	"github.com/sovra-network/sovra/worker/chain"
)

// Following the chain: a CometBFT websocket subscription to new blocks drives the worker;
// when it cannot connect or drops, the worker polls every poll_interval and keeps trying
// to reconnect with backoff. Ticks are idempotent (a job is only ever run and committed
// from its persisted record), so a block seen twice or missed costs nothing.
const (
	// wsIdle: a subscription silent for this long is treated as lost.
	wsIdle = 30 * time.Second
	// wsRetryFloor and wsRetryCeiling bound the backoff between websocket reconnection attempts.
	wsRetryFloor   = 500 * time.Millisecond
	wsRetryCeiling = 15 * time.Second
	// safetyTickBlocks: while following by websocket, the store is still reconciled with
	// the chain at least this often (in blocks), even without an assignment event.
	safetyTickBlocks = 10
)

// Run reconciles the store with the chain, then serves jobs until ctx ends. Chain errors
// are logged and retried; Run returns nil when ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	for {
		err := w.reconcile(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		w.lostChain(err)
		w.logf("reconcile with chain: %v; retrying", err)
		if !sleep(ctx, w.cfg.PollInterval) {
			return nil
		}
	}
	blocks := make(chan chain.Block, 1)
	go w.follow(ctx, blocks)
	w.tick(ctx)
	poll := time.NewTicker(w.cfg.PollInterval)
	defer poll.Stop()
	var lastTick int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case b := <-blocks:
			// A block matters when it assigns us a job or names us in an audit, while an
			// audit we are party to is open, when results wait for their commit or jobs
			// for another inference attempt, and every few blocks regardless.
			if b.Concerns(w.cfg.Provider) || w.auditsOpen || len(w.open) > 0 || len(w.failures) > 0 || b.Height-lastTick >= safetyTickBlocks {
				lastTick = b.Height
				w.tick(ctx)
			}
		case <-poll.C:
			if w.following() == FollowPolling {
				w.tick(ctx)
			}
		}
	}
}

func (w *Worker) tick(ctx context.Context) {
	if err := w.Tick(ctx); err != nil && ctx.Err() == nil {
		w.logf("tick: %v", err)
	}
}

// follow keeps a websocket subscription open, forwarding each new block's height and
// assignments; only the newest block waits in blocks when the loop is busy.
func (w *Worker) follow(ctx context.Context, blocks chan chain.Block) {
	delay := wsRetryFloor
	for ctx.Err() == nil {
		connected := false
		err := w.client.Follow(ctx, wsIdle, func(b chain.Block) {
			if !connected {
				connected, delay = true, wsRetryFloor
				w.setFollowing(FollowWebsocket)
				w.logf("following blocks over the websocket from height %d", b.Height)
			}
			w.sawChain(b.Height)
			select {
			case <-blocks: // replaced by the newer block
			default:
			}
			blocks <- b
		})
		if ctx.Err() != nil {
			return
		}
		if connected || w.following() == FollowWebsocket {
			w.logf("websocket lost (%v); polling every %s until it is back", err, w.cfg.PollInterval)
		}
		w.setFollowing(FollowPolling)
		if !sleep(ctx, delay) {
			return
		}
		delay = min(2*delay, wsRetryCeiling)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
