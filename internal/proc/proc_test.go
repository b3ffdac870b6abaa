package proc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// logged waits until the file at path contains s.
func logged(t *testing.T, path, s string) {
	t.Helper()
	require.Eventually(t, func() bool {
		raw, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(raw), s)
	}, 10*time.Second, 10*time.Millisecond, "%s never logged %q", path, s)
}

func TestStartLogGroupPIDFileAndStop(t *testing.T) {
	dir := t.TempDir()
	log, pidFile := filepath.Join(dir, "x.log"), filepath.Join(dir, "x.pid")
	require.NoError(t, os.WriteFile(log, []byte("before\n"), 0o644))
	p, err := Start("sh", []string{"-c", "echo out; echo err >&2; pwd; echo HOME=$HOME; exec sleep 30"}, Options{
		Dir: dir, Env: Env("HOME=/nowhere"), Log: log, LogHeader: "==== header ====\n", Group: true, PIDFile: pidFile,
	})
	require.NoError(t, err)
	logged(t, log, "HOME=/nowhere")

	raw, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%d\n", p.Pid()), string(raw))
	pgid, err := syscall.Getpgid(p.Pid())
	require.NoError(t, err)
	require.Equal(t, p.Pid(), pgid, "the child leads its own process group")
	require.True(t, Alive(p.Pid()))
	require.True(t, HasArg(p.Pid(), "30"), "exec sleep 30 keeps its arguments")
	require.False(t, HasArg(p.Pid(), "31"))
	require.False(t, p.Exited())

	text, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, "before\n==== header ====\nout\nerr\n"+dir+"\nHOME=/nowhere\n", string(text), "appended: header, stdout, stderr")

	start := time.Now()
	require.NoError(t, p.Stop(10*time.Second))
	require.Less(t, time.Since(start), 5*time.Second, "SIGTERM was enough")
	require.True(t, p.Exited())
	require.ErrorContains(t, p.Wait(), "signal: terminated")
	require.False(t, Alive(p.Pid()))
	require.NoError(t, p.Stop(time.Second), "stopping an exited process does nothing")
}

// A group that ignores SIGTERM is killed after the grace period, the shell and its
// children alike.
func TestStopEscalatesToSIGKILLForTheGroup(t *testing.T) {
	log := filepath.Join(t.TempDir(), "x.log")
	p, err := Start("sh", []string{"-c", `trap "" TERM; sleep 30 & echo child $!; wait; echo survived`},
		Options{Log: log, Group: true})
	require.NoError(t, err)
	logged(t, log, "child ")
	raw, err := os.ReadFile(log)
	require.NoError(t, err)
	var child int
	_, err = fmt.Sscanf(string(raw), "child %d", &child)
	require.NoError(t, err)
	require.True(t, Alive(child))

	start := time.Now()
	require.NoError(t, p.Stop(300*time.Millisecond))
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "SIGTERM was ignored")
	require.ErrorContains(t, p.Wait(), "signal: killed")
	require.Eventually(t, func() bool { return !Alive(child) }, 5*time.Second, 10*time.Millisecond,
		"the group's other members are killed too")
	raw, err = os.ReadFile(log)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "survived")
}

func TestOutputWriterAndKill(t *testing.T) {
	var out bytes.Buffer
	p, err := Start("sh", []string{"-c", "echo one; echo two >&2; exec sleep 30"}, Options{Output: &out})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return Alive(p.Pid()) && HasArg(p.Pid(), "30") }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, p.Kill())
	require.True(t, p.Exited())
	require.ErrorContains(t, p.Wait(), "signal: killed")
	require.Equal(t, "one\ntwo\n", out.String(), "complete once Wait returns")
	require.NoError(t, p.Kill(), "killing an exited process does nothing")
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(filepath.Join(dir, "missing"), nil, Options{})
	require.Error(t, err)
	_, err = Start("sleep", []string{"30"}, Options{Log: filepath.Join(dir, "no", "dir", "x.log")})
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = Start("sleep", []string{"30"}, Options{PIDFile: filepath.Join(dir, "no", "dir", "x.pid")})
	require.ErrorIs(t, err, os.ErrNotExist, "a pid file that cannot be written fails the start")
}
