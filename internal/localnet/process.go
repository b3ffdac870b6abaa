package localnet

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/sovra-network/sovra/internal/proc"
)

// StopTimeout is how long a node gets to exit after SIGTERM before SIGKILL.
const StopTimeout = 15 * time.Second

// process is a node started by this Network value.
type process = proc.Process

// Start starts every validator that is not running.
func (n *Network) Start() error {
	var errs []error
	for i := range n.st.Validators {
		if err := n.StartNode(i); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		_ = n.Stop()
		return err
	}
	return nil
}

// StartNode starts validator i (`sovrad start`) in its own process group, logging to
// NodeLog(i). It does nothing when the node is already running.
func (n *Network) StartNode(i int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i < 0 || i >= len(n.st.Validators) {
		return fmt.Errorf("localnet: no validator %d", i)
	}
	if n.runningLocked(i) {
		return nil
	}
	v := n.st.Validators[i]
	// Its own process group: Ctrl-C on a terminal does not reach it, and Stop can
	// signal the whole group. Attached to a test, it also dies with the test process.
	o := proc.Options{
		Dir: v.Home, Env: childEnv(n.home), Log: n.NodeLog(i), Group: true, PIDFile: n.pidFile(i),
		LogHeader: fmt.Sprintf("\n==== localnet: sovrad start at %s ====\n", time.Now().Format(time.RFC3339)),
	}
	if !n.detached {
		o.DeathSignal = syscall.SIGKILL
	}
	p, err := proc.Start(n.st.Binary, []string{"start", "--home", v.Home, "--log_no_color"}, o)
	if err != nil {
		return fmt.Errorf("localnet: start validator %d: %w", i, err)
	}
	n.procs[i] = p
	n.st.Validators[i].PID = p.Pid()
	return n.saveLocked()
}

// Stop stops every running validator and waits for them to exit.
func (n *Network) Stop() error {
	errs := make([]error, len(n.st.Validators))
	done := make(chan struct{})
	for i := range n.st.Validators {
		go func(i int) {
			errs[i] = n.StopNode(i)
			done <- struct{}{}
		}(i)
	}
	for range n.st.Validators {
		<-done
	}
	return errors.Join(errs...)
}

// StopNode stops validator i: SIGTERM to its process group, SIGKILL after StopTimeout,
// and waits until it has exited. Stopping a stopped node does nothing.
func (n *Network) StopNode(i int) error {
	n.mu.Lock()
	if i < 0 || i >= len(n.st.Validators) {
		n.mu.Unlock()
		return fmt.Errorf("localnet: no validator %d", i)
	}
	pid := n.st.Validators[i].PID
	running := n.runningLocked(i)
	p := n.procs[i]
	n.mu.Unlock()

	if running {
		var exited <-chan struct{} // nil: a node another process started, polled
		if p != nil {
			exited = p.Done()
		}
		// SIGTERM to its process group, SIGKILL after StopTimeout.
		if err := proc.Stop(pid, true, exited, StopTimeout); err != nil {
			return fmt.Errorf("localnet: validator %d (pid %d) does not exit", i, pid)
		}
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	if n.st.Validators[i].PID == pid { // not restarted meanwhile
		n.st.Validators[i].PID = 0
		delete(n.procs, i)
		_ = os.Remove(n.pidFile(i))
	}
	return n.saveLocked()
}

// Running reports whether validator i's process is alive.
func (n *Network) Running(i int) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.runningLocked(i)
}

// runningLocked checks our own child, or else that the recorded pid is still a live
// sovrad whose command line names this validator's home (a stale pid may have been
// reused by another program).
func (n *Network) runningLocked(i int) bool {
	if p := n.procs[i]; p != nil {
		return !p.Exited()
	}
	pid := n.st.Validators[i].PID
	return pid > 0 && proc.HasArg(pid, n.st.Validators[i].Home)
}
