package localnet

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// addFakeJoined records a joined node in a fake network, as AddNode does after its
// setup steps.
func addFakeJoined(t *testing.T, net *Network, name string) int {
	t.Helper()
	home := filepath.Join(net.Home(), name)
	require.NoError(t, os.MkdirAll(home, 0o755))
	net.mu.Lock()
	defer net.mu.Unlock()
	net.st.Nodes = append(net.st.Nodes, NodeInfo{Name: name, Home: home, Ports: PortsFor(31000, 9)})
	require.NoError(t, net.saveLocked())
	return len(net.st.Nodes) - 1
}

// Joined nodes are managed like the validators: Start and Stop include them, another
// process attached to the network sees and stops them, and the state file keeps them.
func TestJoinedNodesStartAndStopWithTheNetwork(t *testing.T) {
	net := fakeNetwork(t, 1)
	j := addFakeJoined(t, net, "node1")
	require.Equal(t, 1, net.NumJoined())
	require.Equal(t, "http://127.0.0.1:31090", net.JoinedRPC(j))

	require.NoError(t, net.Start())
	require.True(t, net.Running(0))
	require.True(t, net.JoinedRunning(j))
	pid := net.Joined(j).PID
	require.Positive(t, pid)
	require.FileExists(t, filepath.Join(net.Joined(j).Home, "sovrad.pid"))
	require.Eventually(t, func() bool {
		raw, err := os.ReadFile(net.JoinedLog(j))
		return err == nil && len(raw) > 0 && net.JoinedLogTail(j, 100) != ""
	}, 5*time.Second, 20*time.Millisecond)

	other, err := Attach(net.Home())
	require.NoError(t, err)
	require.Equal(t, 1, other.NumJoined())
	require.True(t, other.JoinedRunning(j))
	require.Equal(t, pid, other.Joined(j).PID)

	require.NoError(t, other.Stop())
	require.False(t, other.JoinedRunning(j))
	require.Eventually(t, func() bool { return !net.JoinedRunning(j) }, 5*time.Second, 50*time.Millisecond)
	require.Zero(t, other.Joined(j).PID)
	require.NoFileExists(t, filepath.Join(net.Joined(j).Home, "sovrad.pid"))

	require.NoError(t, net.StartJoined(j))
	require.True(t, net.JoinedRunning(j))
	require.NoError(t, net.StopJoined(j))
	require.False(t, net.JoinedRunning(j))
	require.ErrorContains(t, net.StopJoined(5), "no joined node 5")

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st := net.JoinedStatus(ctx)
	require.Len(t, st, 1)
	require.Equal(t, "node1", st[0].Name)
	require.False(t, st[0].Running)
}

func TestAddNodeRefusals(t *testing.T) {
	net := fakeNetwork(t, 1)
	ctx := context.Background()
	_, err := net.AddNode(ctx, AddNodeOptions{})
	require.ErrorContains(t, err, "no validator")
	require.ErrorContains(t, err, "is running")

	require.NoError(t, net.StartNode(0))
	for _, c := range []struct {
		opts AddNodeOptions
		want string
	}{
		{AddNodeOptions{Name: "v0"}, `the name "v0" is taken`},
		{AddNodeOptions{Name: "validator0"}, `the name "validator0" is taken`},
		{AddNodeOptions{Name: "alice"}, `the name "alice" is taken`},
		{AddNodeOptions{Name: "client"}, `the name "client" is taken`},
		{AddNodeOptions{Name: "../x"}, "letters, digits"},
		{AddNodeOptions{Name: "n1", Key: "alice"}, `the key name "alice" is taken`},
	} {
		_, err := net.AddNode(ctx, c.opts)
		require.ErrorContains(t, err, c.want, "%+v", c.opts)
	}
	require.Zero(t, net.NumJoined(), "nothing recorded")
	_, err = os.Stat(filepath.Join(net.Home(), "n1"))
	require.ErrorIs(t, err, os.ErrNotExist, "no home left behind")
}
