package proc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWaitReady(t *testing.T) {
	log := filepath.Join(t.TempDir(), "x.log")
	ready := func() bool {
		raw, _ := os.ReadFile(log)
		return bytes.Contains(raw, []byte("ready"))
	}
	p, err := Start("sh", []string{"-c", "echo starting; sleep 0.2; echo ready; exec sleep 30"}, Options{Log: log, Name: "srv"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Kill() })
	require.NoError(t, p.WaitReady(ready, time.Now().Add(10*time.Second), 20*time.Millisecond))

	// It exits before it is ready: the exit status and the end of its log.
	log = filepath.Join(t.TempDir(), "y.log")
	p, err = Start("sh", []string{"-c", "for i in $(seq 30); do echo line$i; done; echo ready-ish; exit 3"}, Options{Log: log, Name: "srv"})
	require.NoError(t, err)
	err = p.WaitReady(func() bool { return false }, time.Now().Add(10*time.Second), 20*time.Millisecond)
	require.ErrorIs(t, err, ErrExited)
	require.ErrorContains(t, err, "srv exited before it was ready (exit status 3); the end of "+log+":\n  line12\n")
	require.True(t, strings.HasSuffix(err.Error(), "\n  line30\n  ready-ish"), "%v", err)
	require.NotContains(t, err.Error(), "line11\n")

	// An exited process is never ready, whatever the check says.
	err = p.WaitReady(func() bool { return true }, time.Now().Add(10*time.Second), 20*time.Millisecond)
	require.ErrorIs(t, err, ErrExited)

	// It is not ready by the deadline.
	p, err = Start("sh", []string{"-c", "echo waiting; exec sleep 30"}, Options{Log: log, Name: "slow"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Kill() })
	err = p.WaitReady(func() bool { return false }, time.Now().Add(300*time.Millisecond), 20*time.Millisecond)
	require.ErrorIs(t, err, ErrNotReady)
	require.ErrorContains(t, err, "slow not ready after 0s; the end of "+log)
	require.ErrorContains(t, err, "\n  waiting")
	require.False(t, p.Exited(), "WaitReady does not stop it")

	// Without a log file, the error has no tail.
	p, err = Start("sh", []string{"-c", "exit 0"}, Options{})
	require.NoError(t, err)
	require.EqualError(t, p.WaitReady(func() bool { return false }, time.Now().Add(10*time.Second), 10*time.Millisecond),
		"sh exited before it was ready (exit status 0)")
}

func TestEnv(t *testing.T) {
	t.Setenv("PROC_TEST_A", "old")
	t.Setenv("PROC_TEST_B", "kept")
	env := Env("PROC_TEST_A=new", "PROC_TEST_C=added")
	count := map[string]int{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		count[k]++
	}
	require.Equal(t, 1, count["PROC_TEST_A"])
	require.Contains(t, env, "PROC_TEST_A=new")
	require.Contains(t, env, "PROC_TEST_B=kept")
	require.Contains(t, env, "PROC_TEST_C=added")
	require.Equal(t, len(os.Environ())+1, len(env))
	require.Equal(t, os.Environ(), Env())
}

func TestTail(t *testing.T) {
	require.Equal(t, "  a\n  b", Tail("a\nb\n\n", 5))
	require.Equal(t, "  c\n  d", Tail("a\nb\nc\nd\n", 2))
	require.Equal(t, "  ", Tail("", 3))
	require.Equal(t, "abc", TailBytes("abc", 3))
	require.Equal(t, "...cd", TailBytes("abcd", 2))
}
