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

// member names one node process of the network: validator i, or joined node i (added
// by AddNode).
type member struct {
	joined bool
	i      int
}

func (m member) String() string {
	if m.joined {
		return fmt.Sprintf("joined node %d", m.i)
	}
	return fmt.Sprintf("validator %d", m.i)
}

// checkLocked tells whether the member exists. Callers hold n.mu.
func (n *Network) checkLocked(m member) error {
	count := len(n.st.Validators)
	if m.joined {
		count = len(n.st.Nodes)
	}
	if m.i < 0 || m.i >= count {
		return fmt.Errorf("localnet: no %s", m)
	}
	return nil
}

// homeLocked, pidLocked and setPIDLocked read and write the member's record in the
// state; procsLocked is the map of the processes this value started for its kind.
func (n *Network) homeLocked(m member) string {
	if m.joined {
		return n.st.Nodes[m.i].Home
	}
	return n.st.Validators[m.i].Home
}

func (n *Network) pidLocked(m member) int {
	if m.joined {
		return n.st.Nodes[m.i].PID
	}
	return n.st.Validators[m.i].PID
}

func (n *Network) setPIDLocked(m member, pid int) {
	if m.joined {
		n.st.Nodes[m.i].PID = pid
	} else {
		n.st.Validators[m.i].PID = pid
	}
}

func (n *Network) procsLocked(m member) map[int]*process {
	if m.joined {
		if n.joinedProcs == nil {
			n.joinedProcs = map[int]*process{}
		}
		return n.joinedProcs
	}
	return n.procs
}

// Start starts every validator and joined node that is not running.
func (n *Network) Start() error {
	var errs []error
	for _, m := range n.members() {
		if err := n.startMember(m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		_ = n.Stop()
		return err
	}
	return nil
}

// members lists the validators, then the joined nodes.
func (n *Network) members() []member {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []member
	for i := range n.st.Validators {
		out = append(out, member{i: i})
	}
	for i := range n.st.Nodes {
		out = append(out, member{joined: true, i: i})
	}
	return out
}

// StartNode starts validator i (`sovrad start`) in its own process group, logging to
// NodeLog(i). It does nothing when the node is already running.
func (n *Network) StartNode(i int) error { return n.startMember(member{i: i}) }

func (n *Network) startMember(m member) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.checkLocked(m); err != nil {
		return err
	}
	if n.runningLocked(m) {
		return nil
	}
	home := n.homeLocked(m)
	// Its own process group: Ctrl-C on a terminal does not reach it, and Stop can
	// signal the whole group. Attached to a test, it also dies with the test process.
	o := proc.Options{
		Dir: home, Env: childEnv(n.home), Log: nodeLogIn(home), Group: true, PIDFile: pidFileIn(home),
		LogHeader: fmt.Sprintf("\n==== localnet: sovrad start at %s ====\n", time.Now().Format(time.RFC3339)),
	}
	if !n.detached {
		o.DeathSignal = syscall.SIGKILL
	}
	p, err := proc.Start(n.st.Binary, []string{"start", "--home", home, "--log_no_color"}, o)
	if err != nil {
		return fmt.Errorf("localnet: start %s: %w", m, err)
	}
	n.procsLocked(m)[m.i] = p
	n.setPIDLocked(m, p.Pid())
	return n.saveLocked()
}

// Stop stops every running validator and joined node and waits for them to exit.
func (n *Network) Stop() error {
	ms := n.members()
	errs := make([]error, len(ms))
	done := make(chan struct{})
	for k, m := range ms {
		go func() {
			errs[k] = n.stopMember(m)
			done <- struct{}{}
		}()
	}
	for range ms {
		<-done
	}
	return errors.Join(errs...)
}

// StopNode stops validator i: SIGTERM to its process group, SIGKILL after StopTimeout,
// and waits until it has exited. Stopping a stopped node does nothing.
func (n *Network) StopNode(i int) error { return n.stopMember(member{i: i}) }

func (n *Network) stopMember(m member) error {
	n.mu.Lock()
	if err := n.checkLocked(m); err != nil {
		n.mu.Unlock()
		return err
	}
	pid := n.pidLocked(m)
	running := n.runningLocked(m)
	p := n.procsLocked(m)[m.i]
	n.mu.Unlock()

	if running {
		var exited <-chan struct{} // nil: a node another process started, polled
		if p != nil {
			exited = p.Done()
		}
		// SIGTERM to its process group, SIGKILL after StopTimeout.
		if err := proc.Stop(pid, true, exited, StopTimeout); err != nil {
			return fmt.Errorf("localnet: %s (pid %d) does not exit", m, pid)
		}
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pidLocked(m) == pid { // not restarted meanwhile
		n.setPIDLocked(m, 0)
		delete(n.procsLocked(m), m.i)
		_ = os.Remove(pidFileIn(n.homeLocked(m)))
	}
	return n.saveLocked()
}

// Running reports whether validator i's process is alive.
func (n *Network) Running(i int) bool { return n.memberRunning(member{i: i}) }

func (n *Network) memberRunning(m member) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.checkLocked(m) == nil && n.runningLocked(m)
}

// runningLocked checks our own child, or else that the recorded pid is still a live
// sovrad whose command line names this node's home (a stale pid may have been reused
// by another program).
func (n *Network) runningLocked(m member) bool {
	if p := n.procsLocked(m)[m.i]; p != nil {
		return !p.Exited()
	}
	pid := n.pidLocked(m)
	return pid > 0 && proc.HasArg(pid, n.homeLocked(m))
}
