package health_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker/health"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time           { return c.t }
func (c *clock) advance(d time.Duration)  { c.t = c.t.Add(d) }
func newClock() *clock                    { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }
func checkErr(c *health.Checkable) string { return errString(c.HealthCheck()) }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A live step is unhealthy until its first success, after a failure until the next
// success, and when it has not succeeded for maxSilence.
func TestUnitLiveStep(t *testing.T) {
	clk := newClock()
	c := health.NewCheckable("follow", 30*time.Second, clk.now)
	require.Contains(t, checkErr(c), "follow has not succeeded yet")

	c.ReportFailure(errors.New("connection refused"))
	require.Contains(t, checkErr(c), "follow failed at 2025-01-02T03:04:05Z (connection refused) and has not succeeded yet")

	clk.advance(time.Second)
	c.ReportSuccess()
	require.NoError(t, c.HealthCheck())

	clk.advance(30 * time.Second)
	require.NoError(t, c.HealthCheck(), "exactly maxSilence is still fine")
	clk.advance(time.Second)
	require.Contains(t, checkErr(c), "follow: no success since 2025-01-02T03:04:06Z (31s ago, more than 30s)")

	c.ReportSuccess()
	c.ReportFailure(errors.New("timeout"))
	require.Contains(t, checkErr(c), "follow failed at 2025-01-02T03:04:37Z (timeout); last success at 2025-01-02T03:04:37Z",
		"the last report wins even at the same instant")
}

// An on-demand step (a send, an inference) is healthy while idle and after a success.
func TestUnitOnDemandStep(t *testing.T) {
	clk := newClock()
	c := health.NewCheckable("send", 0, clk.now)
	require.NoError(t, c.HealthCheck())
	c.ReportFailure(nil)
	require.Contains(t, checkErr(c), "send failed at 2025-01-02T03:04:05Z (unknown error)")
	clk.advance(time.Hour)
	c.ReportSuccess()
	clk.advance(24 * time.Hour)
	require.NoError(t, c.HealthCheck(), "no success needed while idle")
}

// The report lists every step with its last success and failure; its status is the first
// unhealthy step's reason, and it is what /healthz serves as JSON.
func TestUnitReport(t *testing.T) {
	clk := newClock()
	follow := health.NewCheckable("follow", time.Minute, clk.now)
	send := health.NewCheckable("send", 0, clk.now)
	inference := health.NewCheckable("inference", 0, clk.now)
	follow.ReportSuccess()
	send.ReportFailure(errors.New("broadcast: connection refused"))
	inference.ReportFailure(errors.New("backend down"))

	r := health.Collect(follow, send, inference)
	require.Equal(t, health.StatusUnhealthy, r.Status)
	require.Contains(t, r.Reason, "send failed")
	require.EqualError(t, r.Err(), r.Reason)
	require.Len(t, r.Steps, 3)
	require.True(t, r.Steps[0].Healthy)
	require.False(t, r.Steps[1].Healthy)
	require.Equal(t, "broadcast: connection refused", r.Steps[1].LastError)
	require.Nil(t, r.Steps[1].LastSuccess)

	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, "unhealthy", back["status"])
	steps := back["steps"].([]any)
	require.Equal(t, "2025-01-02T03:04:05Z", steps[0].(map[string]any)["last_success"])
	require.Equal(t, "backend down", steps[2].(map[string]any)["last_error"])

	send.ReportSuccess()
	inference.ReportSuccess()
	r = health.Collect(follow, send, inference)
	require.Equal(t, health.StatusOK, r.Status)
	require.NoError(t, r.Err())
	require.Empty(t, r.Reason)
}
