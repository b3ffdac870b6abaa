// Package proc starts, watches and stops child processes: the localnet's sovrad nodes,
// the demo's and the tests' sovra-worker processes, the tests' llama-server.
//
// Start runs a binary with its output in a log file (or a writer), optionally in its
// own process group, with a parent-death signal and a pid file; the returned Process is
// reaped by a goroutine, so Done, Exited and Wait may be used from anywhere. Stop ends a
// process (SIGTERM, then SIGKILL after a grace period), whether this program started it
// or only knows its pid; Alive and HasArg look a pid up in /proc. WaitReady polls a
// readiness check while watching for an early exit, quoting the log's tail on failure.
package proc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// KillWait is how long Stop waits for a process to exit after SIGKILL.
const KillWait = 5 * time.Second

// pollInterval is how often a process this program did not start is looked up.
const pollInterval = 100 * time.Millisecond

// Options of Start.
type Options struct {
	Dir string   // working directory; "" is this process's
	Env []string // environment; nil is this process's (Env builds a modified one)
	// Log, when set, receives the child's stdout and stderr: the file is created (0644)
	// or appended to. The child keeps its own descriptor.
	Log string
	// LogHeader is written to Log before the child starts.
	LogHeader string
	// Output receives stdout and stderr when Log is empty (nil: discarded).
	Output io.Writer
	// Group starts the child as the leader of its own process group: a terminal's
	// Ctrl-C does not reach it, and Stop signals the whole group.
	Group bool
	// DeathSignal, when not 0, is sent to the child when this process (the thread that
	// started it) dies: a child that must not outlive a test.
	DeathSignal syscall.Signal
	// PIDFile, when set, is written with the pid and a newline once the child runs; if
	// it cannot be written, the child is killed and Start fails.
	PIDFile string
	// Name names the process in WaitReady's errors (default: the binary's base name).
	Name string
}

// Process is a child started by Start.
type Process struct {
	Cmd     *exec.Cmd
	Process *os.Process // Cmd.Process

	name, log string
	group     bool
	started   time.Time
	done      chan struct{} // closed when the process has exited and been reaped
	err       error         // Cmd.Wait's result, valid after done
}

// Start starts bin with args as Options say. The returned process is reaped in the
// background (see Done and Wait).
func Start(bin string, args []string, o Options) (*Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = o.Dir, o.Env
	if o.Log != "" {
		logFile, err := os.OpenFile(o.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer logFile.Close() // the child keeps its own descriptor
		if o.LogHeader != "" {
			_, _ = io.WriteString(logFile, o.LogHeader)
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
	} else if o.Output != nil {
		cmd.Stdout, cmd.Stderr = o.Output, o.Output
	}
	if o.Group || o.DeathSignal != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: o.Group, Pdeathsig: o.DeathSignal}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	name := o.Name
	if name == "" {
		name = filepath.Base(bin)
	}
	p := &Process{
		Cmd: cmd, Process: cmd.Process, name: name, log: o.Log, group: o.Group,
		started: time.Now(), done: make(chan struct{}),
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if o.PIDFile != "" {
		if err := os.WriteFile(o.PIDFile, []byte(strconv.Itoa(p.Pid())+"\n"), 0o644); err != nil {
			_ = p.Kill()
			return nil, err
		}
	}
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.Process.Pid }

// Done is closed when the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit and returns what exec.Cmd.Wait returned. It may
// be called any number of times, from any goroutine.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// signal sends sig to the process, or to its group when it leads one.
func (p *Process) signal(sig syscall.Signal) error {
	if p.group {
		return syscall.Kill(-p.Pid(), sig)
	}
	return p.Process.Signal(sig)
}

// Stop ends the process: SIGTERM (to its group when it leads one), up to grace for it
// to exit, then SIGKILL and up to KillWait more. Stopping an exited process does
// nothing.
func (p *Process) Stop(grace time.Duration) error {
	if p.Exited() {
		return nil
	}
	return stop(p.Pid(), p.signal, p.done, grace)
}

// Kill sends SIGKILL (to the group when the process leads one) and waits for the exit.
func (p *Process) Kill() error {
	if !p.Exited() {
		_ = p.signal(syscall.SIGKILL)
	}
	<-p.done
	return nil
}

// Stop ends process pid, which this program may not have started: SIGTERM to it (to
// its process group when group is set), up to grace for it to exit, then SIGKILL and
// up to KillWait more. exited, when not nil, is closed when the process has exited (a
// child being reaped); else Alive is polled. The error says the process is still alive.
func Stop(pid int, group bool, exited <-chan struct{}, grace time.Duration) error {
	target := pid
	if group {
		target = -pid
	}
	return stop(pid, func(sig syscall.Signal) error { return syscall.Kill(target, sig) }, exited, grace)
}

func stop(pid int, signal func(syscall.Signal) error, exited <-chan struct{}, grace time.Duration) error {
	_ = signal(syscall.SIGTERM)
	if WaitExit(pid, exited, grace) {
		return nil
	}
	_ = signal(syscall.SIGKILL)
	if WaitExit(pid, exited, KillWait) {
		return nil
	}
	return fmt.Errorf("pid %d does not exit after SIGKILL", pid)
}

// WaitExit waits up to timeout for process pid to exit: for exited to be closed when it
// is not nil, else until Alive(pid) is false. It reports whether the process exited.
func WaitExit(pid int, exited <-chan struct{}, timeout time.Duration) bool {
	if exited != nil {
		select {
		case <-exited:
			return true
		case <-time.After(timeout):
			return false
		}
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !Alive(pid) {
			return true
		}
		time.Sleep(pollInterval)
	}
	return !Alive(pid)
}

// Alive reports whether pid exists and is not a zombie (an orphan's zombie may linger
// where PID 1 does not reap).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
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

// HasArg reports whether pid is alive (see Alive) and one of its command-line arguments
// is arg: a recorded pid is still the program it was, not another that reused it.
func HasArg(pid int, arg string) bool {
	if !Alive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	return slices.Contains(strings.Split(string(cmdline), "\x00"), arg)
}

// Env is this process's environment with each KEY=value of set in place of KEY's
// current value.
func Env(set ...string) []string {
	env := make([]string, 0, len(os.Environ())+len(set))
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, key+"=") }) {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

// ErrExited and ErrNotReady are what WaitReady's errors wrap.
var (
	ErrExited   = errors.New("exited before it was ready")
	ErrNotReady = errors.New("not ready")
)

// ReadyTailLines is how many of the log's last lines WaitReady's errors quote.
const ReadyTailLines = 20

// WaitReady calls ready every interval until it reports true. It fails when the process
// exits first (checked before each call: a process that has exited is never ready), or
// at deadline; the error names the process and quotes the end of its log.
func (p *Process) WaitReady(ready func() bool, deadline time.Time, interval time.Duration) error {
	for {
		select {
		case <-p.done:
			status := "exit status 0"
			if p.err != nil {
				status = p.err.Error()
			}
			return fmt.Errorf("%s %w (%s)%s", p.name, ErrExited, status, p.logTail())
		default:
		}
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %w after %s%s", p.name, ErrNotReady, time.Since(p.started).Round(time.Second), p.logTail())
		}
		time.Sleep(interval)
	}
}

// logTail is "; the end of LOG:\n" and its last lines, or "" without a log file.
func (p *Process) logTail() string {
	if p.log == "" {
		return ""
	}
	raw, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("; no log: %v", err)
	}
	return fmt.Sprintf("; the end of %s:\n%s", p.log, Tail(string(raw), ReadyTailLines))
}

// Tail is the last n lines of text (trailing newlines dropped), each indented by two
// spaces.
func Tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// TailBytes is the last n bytes of text, after "..." when it is longer.
func TailBytes(text string, n int) string {
	if len(text) <= n {
		return text
	}
	return "..." + text[len(text)-n:]
}
