package worker

// Unit tests of the run loop (Run: reconcile, follow blocks, poll) and of the worker's
// health, on the fakes of fakes_unit_test.go.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/health"
	"github.com/sovra-network/sovra/worker/store"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// eventually waits up to 5 s for cond, checking every 2 ms.
func (r *unitRig) eventually(cond func() bool, what string) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("after 5s: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// committed reports whether the worker's record of job id is committed.
func (r *unitRig) committed(id uint64) bool {
	rec, err := r.w.store.Get(id)
	return err == nil && rec.Status == store.StatusCommitted
}

// run starts Run until the test ends; Run must then return nil.
func (r *unitRig) run() {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := r.w
	go func() { done <- w.Run(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(r.t, err)
		case <-time.After(5 * time.Second):
			r.t.Error("Run did not return after its context ended")
		}
	})
}

// While the websocket delivers blocks, a block ticks the loop when it concerns the provider
// (a job assigned, an audit naming it), while an audit it is party to is open, and every
// safetyTickBlocks blocks; other blocks do not. When the subscription drops the worker
// falls back to polling.
func TestUnitRunFollowsBlocks(t *testing.T) {
	r := newUnitRig(t, withConfig(func(c *config.Config) { c.PollInterval = time.Hour }))
	blocks := make(chan chain.Block)
	r.chain.blocks = blocks
	r.run()
	r.eventually(func() bool { return r.chain.callCount("AuditsOf") == 1 }, "the first tick at start")

	r.assign(1, "by block", 4)
	blocks <- chain.Block{Height: 11, Assigned: map[uint64]string{1: r.provider}}
	r.eventually(func() bool { return r.committed(1) }, "job 1 committed after the block that assigned it")
	require.Equal(t, FollowWebsocket, r.w.following())

	blocks <- chain.Block{Height: 12, Assigned: map[uint64]string{99: r.verifiers[0].operator}}
	r.assign(2, "by the next block", 4)
	blocks <- chain.Block{Height: 13, Assigned: map[uint64]string{2: r.provider}}
	r.eventually(func() bool { return r.committed(2) }, "job 2 committed")
	require.Equal(t, 3, r.chain.callCount("Status"), "ticks at start and at blocks 11 and 13, not 12")

	blocks <- chain.Block{Height: 13 + safetyTickBlocks}
	r.eventually(func() bool { return r.chain.callCount("Status") == 4 }, "a safety tick")

	// An audit naming the provider: a tick at its block, then at every block while it is open.
	r.verifierCase(7, nil)
	blocks <- chain.Block{Height: 24, AuditParties: map[string]bool{r.provider: true}}
	r.eventually(func() bool {
		rec, err := r.w.verifications.Get(7)
		return err == nil && rec.Status == store.StatusCommitted
	}, "the verification committed")
	blocks <- chain.Block{Height: 25}
	r.eventually(func() bool { return r.chain.callCount("Status") == 6 }, "a tick while the audit is open")
	r.chain.putAudit(verifytypes.Audit{JobId: 7, Status: verifytypes.AUDIT_STATUS_PASSED})
	blocks <- chain.Block{Height: 26}
	r.eventually(func() bool { return r.chain.callCount("Status") == 7 }, "the tick that sees the audit ended")

	close(blocks)
	r.eventually(func() bool { return r.w.following() == FollowPolling }, "polling after the websocket dropped")
	r.eventually(func() bool { return r.logged("websocket lost") }, "the drop logged")
	require.NoError(t, r.w.HealthCheck())
}

// Without a websocket the loop polls every poll_interval; a failed reconciliation at start
// is retried, and the result an earlier run left unsent is committed with its salt.
func TestUnitRunPollsAndRetriesReconcile(t *testing.T) {
	r := newUnitRig(t)
	r.assign(1, "before the restart", 4)
	r.sender.then(sendUnreachable)
	r.tick()
	salt := r.record(1).Salt

	r.w = r.start(hooks{})
	r.chain.fail("Job", errors.New("grpc: unavailable"))
	r.run()
	r.eventually(func() bool { return r.committed(1) }, "job 1 committed after the restart")
	require.True(t, r.logged("reconcile with chain: grpc: unavailable; retrying"))
	require.Equal(t, salt, r.record(1).Salt)
	require.Equal(t, FollowPolling, r.w.following())

	r.assign(2, "polled", 4)
	r.eventually(func() bool { return r.committed(2) }, "job 2 committed by a poll")
	require.Len(t, r.backend.generated(), 2)
}

// Each step of the loop reports its successes and failures; the worker is healthy when
// the last report of every step is a success (and the node answered lately).
func TestUnitHealth(t *testing.T) {
	r := newUnitRig(t)
	require.NoError(t, r.w.HealthCheck())
	rep := r.w.Health()
	require.Equal(t, health.StatusOK, rep.Status)
	var names []string
	for _, s := range rep.Steps {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{StepFollow, StepTick, StepSend, StepInference}, names)
	require.NotNil(t, rep.Steps[0].LastSuccess, "the node answered at start")
	require.NotNil(t, rep.Steps[2].LastSuccess, "the audit key was sent at start")
	require.Nil(t, rep.Steps[3].LastSuccess, "no inference yet, and healthy while idle")

	// The node does not answer a poll.
	r.chain.fail("Status", errors.New("connection refused"))
	require.ErrorContains(t, r.w.Tick(r.ctx), "connection refused")
	err := r.w.HealthCheck()
	require.ErrorContains(t, err, "follow failed")
	require.ErrorContains(t, err, "connection refused")
	rep = r.w.Health()
	require.Equal(t, health.StatusUnhealthy, rep.Status)
	require.False(t, rep.Steps[0].Healthy)
	require.False(t, rep.Steps[1].Healthy)
	require.Equal(t, "connection refused", rep.Steps[0].LastError)
	r.tick()
	require.NoError(t, r.w.HealthCheck())

	// The audits query fails: logged, not returned, but the tick is unhealthy.
	r.chain.fail("AuditsOf", errors.New("grpc: unavailable"))
	r.tick()
	require.ErrorContains(t, r.w.HealthCheck(), "tick failed")
	require.ErrorContains(t, r.w.HealthCheck(), "audits: grpc: unavailable")
	r.tick()
	require.NoError(t, r.w.HealthCheck())

	// A send that cannot reach the chain is a failure; one the chain refused is not.
	r.assign(1, "health", 3)
	r.sender.then(sendUnreachable)
	r.tick()
	require.ErrorContains(t, r.w.HealthCheck(), "send failed")
	r.tick()
	require.NoError(t, r.w.HealthCheck())
	r.assign(2, "refused", 3)
	r.sender.then(sendIncludedFailed)
	r.tick()
	require.NoError(t, r.w.HealthCheck())

	// The backend fails, then recovers.
	r.assign(3, "backend", 3)
	r.backend.failGenerate(errors.New("llama-server: connection refused"))
	r.tick()
	require.ErrorContains(t, r.w.HealthCheck(), "inference failed")
	r.tick()
	require.NoError(t, r.w.HealthCheck())
	require.True(t, r.committed(3))
}
