package localnet

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeNetwork writes a state file for n validators whose binary is a shell script that
// runs until signalled (its command line keeps --home, as sovrad's does).
func fakeNetwork(t *testing.T, n int) *Network {
	t.Helper()
	home := t.TempDir()
	bin := filepath.Join(home, "fake-sovrad")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho \"fake $*\"\ntrap 'echo bye; exit 0' TERM\nwhile :; do sleep 0.05; done\n"), 0o755))
	st := state{ChainID: "fake-1", Binary: bin, BondDenom: "usovra", BasePort: 31000, ClientHome: filepath.Join(home, "client")}
	for i := 0; i < n; i++ {
		vh := filepath.Join(home, "validator"+strconv.Itoa(i))
		require.NoError(t, os.MkdirAll(vh, 0o755))
		st.Validators = append(st.Validators, ValidatorInfo{Name: "v" + strconv.Itoa(i), Home: vh, NodeID: "id" + strconv.Itoa(i), Ports: PortsFor(31000, i)})
	}
	st.Accounts = []AccountInfo{{Name: "alice", Address: "sovra1alice"}}
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(home, StateFile), raw, 0o600))
	net, err := Attach(home)
	require.NoError(t, err)
	net.SetDetached(false)
	t.Cleanup(func() { _ = net.Stop() })
	return net
}

func TestAttachAccessors(t *testing.T) {
	net := fakeNetwork(t, 2)
	require.Equal(t, "fake-1", net.ChainID())
	require.Equal(t, 2, net.NumValidators())
	require.Equal(t, "http://127.0.0.1:31010", net.RPC(1))
	require.Equal(t, "127.0.0.1:31012", net.GRPC(1))
	require.Equal(t, "http://127.0.0.1:31013", net.API(1))
	require.Equal(t, "id1@127.0.0.1:31011", net.P2P(1))
	require.Equal(t, "sovra1alice", net.AccountAddress("alice"))
	require.Equal(t, "", net.AccountAddress("nobody"))
	require.Equal(t, []string{"alice", "v0", "v1"}, net.KeyNames())

	_, err := Attach(t.TempDir())
	require.ErrorIs(t, err, ErrNoNetwork)
}

func TestStartStopNodes(t *testing.T) {
	net := fakeNetwork(t, 2)
	require.NoError(t, net.Start())
	require.True(t, net.Running(0))
	require.True(t, net.Running(1))
	pid0 := net.Validator(0).PID
	raw, err := os.ReadFile(net.pidFile(0))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(pid0), strings.TrimSpace(string(raw)))
	require.Equal(t, pid0, syscallGetpgid(t, pid0), "each node leads its own process group")

	// Another process's view: Attach sees the nodes running and can stop one.
	other, err := Attach(net.Home())
	require.NoError(t, err)
	require.True(t, other.Running(1))
	require.NoError(t, other.StopNode(1))
	require.False(t, other.Running(1))
	require.Eventually(t, func() bool { return !net.Running(1) }, 5*time.Second, 50*time.Millisecond)
	require.Equal(t, 0, other.Validator(1).PID)

	require.NoError(t, net.StopNode(0))
	require.False(t, net.Running(0))
	require.NoFileExists(t, net.pidFile(0))
	require.NoError(t, net.StopNode(0), "stopping a stopped node is fine")

	require.NoError(t, net.StartNode(0))
	require.NotEqual(t, pid0, net.Validator(0).PID)
	started := "fake start --home " + net.Validator(0).Home
	// Wait until the restarted node has written its first line (and installed its TERM
	// trap) before stopping it; on a loaded machine that takes a moment.
	require.Eventually(t, func() bool {
		logText, err := os.ReadFile(net.NodeLog(0))
		return err == nil && strings.Count(string(logText), started) == 2
	}, 5*time.Second, 20*time.Millisecond, "the log is appended across restarts")
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, net.Stop())
	logText, err := os.ReadFile(net.NodeLog(0))
	require.NoError(t, err)
	require.Contains(t, string(logText), "bye", "SIGTERM first")

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.ErrorContains(t, net.WaitForHeight(ctx, 1), "no validator is running")
	for _, s := range net.Status(ctx) {
		require.False(t, s.Running)
		require.Error(t, s.Err)
	}
}

func TestWaitForHeightReportsDeadNode(t *testing.T) {
	net := fakeNetwork(t, 1)
	require.NoError(t, net.StartNode(0))
	require.Eventually(t, func() bool { return strings.Contains(net.LogTail(0, 1000), "fake start") },
		5*time.Second, 20*time.Millisecond)
	require.NoError(t, syscall.Kill(net.Validator(0).PID, syscall.SIGKILL))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := net.WaitForHeight(ctx, 1)
	require.ErrorContains(t, err, "validator 0 exited")
	require.ErrorContains(t, err, "fake start")
}

func TestStalePIDIsNotOurs(t *testing.T) {
	net := fakeNetwork(t, 1)
	net.st.Validators[0].PID = os.Getpid() // alive, but not a node of this home
	require.False(t, net.Running(0))
	require.NoError(t, net.StopNode(0), "never signals a process that is not the node")
}

func syscallGetpgid(t *testing.T, pid int) int {
	pgid, err := syscall.Getpgid(pid)
	require.NoError(t, err)
	return pgid
}
