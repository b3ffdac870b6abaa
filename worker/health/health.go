// Package health is the worker's health-checkable, after dYdX's daemons
// (protocol/daemons/types/health_checkable.go): each step of the worker's loop reports its
// successes and failures as they happen, and whoever supervises the worker (its /healthz,
// an operator's probe) reads the last of each. It holds no logic of the loop, so the API
// server reads it without importing the worker.
package health

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// MaxSilence bounds how long a live step (one that must succeed all the time, such as
// following the chain) may go without a success before it is unhealthy.
const MaxSilence = 30 * time.Second

// Report statuses.
const (
	StatusOK        = "ok"
	StatusUnhealthy = "unhealthy"
)

// Checkable records the last success and the last failure of one step. It is safe for
// concurrent use: the loop reports, the API reads.
//
// A step is unhealthy when its most recent report is a failure, and, for a live step
// (maxSilence > 0), also when it has never succeeded or not for maxSilence. A step that
// only runs when there is work (a send, an inference) is healthy while idle.
type Checkable struct {
	name       string
	maxSilence time.Duration
	now        func() time.Time

	mu          sync.Mutex
	lastSuccess time.Time
	lastFailure time.Time
	lastErr     error
	// failing: the most recent report is a failure (timestamps can tie on a coarse clock).
	failing bool
}

// NewCheckable returns the checkable of the step name; maxSilence 0 makes it an on-demand
// step. now is the clock (time.Now when nil; tests pass their own).
func NewCheckable(name string, maxSilence time.Duration, now func() time.Time) *Checkable {
	if now == nil {
		now = time.Now
	}
	return &Checkable{name: name, maxSilence: maxSilence, now: now}
}

// Name is the step's name.
func (c *Checkable) Name() string { return c.name }

// ReportSuccess records a success now.
func (c *Checkable) ReportSuccess() {
	t := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastSuccess, c.failing = t, false
}

// ReportFailure records a failure now (a nil err is recorded as "unknown error").
func (c *Checkable) ReportFailure(err error) {
	if err == nil {
		err = errors.New("unknown error")
	}
	t := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastFailure, c.lastErr, c.failing = t, err, true
}

// HealthCheck returns nil while the step is healthy, else why it is not.
func (c *Checkable) HealthCheck() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.check()
}

func (c *Checkable) check() error {
	if c.failing {
		if c.lastSuccess.IsZero() {
			return fmt.Errorf("%s failed at %s (%w) and has not succeeded yet", c.name, stamp(c.lastFailure), c.lastErr)
		}
		return fmt.Errorf("%s failed at %s (%w); last success at %s", c.name, stamp(c.lastFailure), c.lastErr, stamp(c.lastSuccess))
	}
	if c.maxSilence <= 0 {
		return nil
	}
	if c.lastSuccess.IsZero() {
		return fmt.Errorf("%s has not succeeded yet", c.name)
	}
	if since := c.now().Sub(c.lastSuccess); since > c.maxSilence {
		return fmt.Errorf("%s: no success since %s (%s ago, more than %s)", c.name, stamp(c.lastSuccess), since.Round(time.Second), c.maxSilence)
	}
	return nil
}

// Step is one step's state as served by /healthz.
type Step struct {
	Name        string     `json:"name"`
	Healthy     bool       `json:"healthy"`
	Reason      string     `json:"reason,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastFailure *time.Time `json:"last_failure,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
}

// Step returns the step's state.
func (c *Checkable) Step() Step {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Step{Name: c.name, Healthy: true}
	if err := c.check(); err != nil {
		s.Healthy, s.Reason = false, err.Error()
	}
	if !c.lastSuccess.IsZero() {
		t := c.lastSuccess.UTC()
		s.LastSuccess = &t
	}
	if !c.lastFailure.IsZero() {
		t := c.lastFailure.UTC()
		s.LastFailure, s.LastError = &t, c.lastErr.Error()
	}
	return s
}

// Report is the health of every step: StatusOK when all are healthy, else StatusUnhealthy
// with the first unhealthy step's reason.
type Report struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Steps  []Step `json:"steps"`
}

// Collect reports the steps, in order.
func Collect(steps ...*Checkable) Report {
	r := Report{Status: StatusOK, Steps: make([]Step, 0, len(steps))}
	for _, c := range steps {
		s := c.Step()
		if !s.Healthy && r.Status == StatusOK {
			r.Status, r.Reason = StatusUnhealthy, s.Reason
		}
		r.Steps = append(r.Steps, s)
	}
	return r
}

// Err is nil when the report is healthy, else its reason.
func (r Report) Err() error {
	if r.Status == StatusOK {
		return nil
	}
	return errors.New(r.Reason)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
