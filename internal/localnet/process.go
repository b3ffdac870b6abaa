package localnet

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// StopTimeout is how long a node gets to exit after SIGTERM before SIGKILL.
const StopTimeout = 15 * time.Second

// process is a node started by this Network value.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // exit error, valid after done
}

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
	logFile, err := os.OpenFile(n.NodeLog(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own descriptor
	fmt.Fprintf(logFile, "\n==== localnet: sovrad start at %s ====\n", time.Now().Format(time.RFC3339))

	cmd := exec.Command(n.st.Binary, "start", "--home", v.Home, "--log_no_color")
	cmd.Dir = v.Home
	cmd.Env = childEnv(n.home)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: Ctrl-C on a terminal does not reach it, and Stop can
	// signal the whole group. Attached to a test, it also dies with the test process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !n.detached {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("localnet: start validator %d: %w", i, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	n.procs[i] = p
	n.st.Validators[i].PID = cmd.Process.Pid
	if err := os.WriteFile(n.pidFile(i), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
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
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		if !waitExit(pid, p, StopTimeout) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			if !waitExit(pid, p, 5*time.Second) {
				return fmt.Errorf("localnet: validator %d (pid %d) does not exit", i, pid)
			}
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

// runningLocked checks our own child, or else that the recorded pid is still a sovrad
// for this validator's home (a stale pid may have been reused by another program).
func (n *Network) runningLocked(i int) bool {
	if p := n.procs[i]; p != nil {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	pid := n.st.Validators[i].PID
	return pid > 0 && isNodeProcess(pid, n.st.Validators[i].Home)
}

// isNodeProcess reports whether pid is a live (not zombie) process whose command line
// names home.
func isNodeProcess(pid int, home string) bool {
	if !processAlive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	for _, arg := range strings.Split(string(cmdline), "\x00") {
		if arg == home {
			return true
		}
	}
	return false
}

func waitExit(pid int, p *process, timeout time.Duration) bool {
	if p != nil {
		select {
		case <-p.done:
			return true
		case <-time.After(timeout):
			return false
		}
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return !processAlive(pid)
}

// processAlive reports whether pid exists and is not a zombie (an orphan's zombie may
// linger where PID 1 does not reap).
func processAlive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state is the field after "pid (comm) "; Z and X are dead.
	s := string(stat)
	if i := strings.LastIndex(s, ") "); i >= 0 {
		st := strings.SplitN(s[i+2:], " ", 2)[0]
		return st != "Z" && st != "X"
	}
	return true
}
