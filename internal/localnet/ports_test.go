package localnet

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPortsFor(t *testing.T) {
	require.Equal(t, Ports{RPC: 30000, P2P: 30001, GRPC: 30002, API: 30003, ABCI: 30004}, PortsFor(30000, 0))
	require.Equal(t, Ports{RPC: 30030, P2P: 30031, GRPC: 30032, API: 30033, ABCI: 30034}, PortsFor(30000, 3))
}

func TestFreeBasePortIsFreeAndNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 20; i++ {
		base, err := FreeBasePort(4)
		require.NoError(t, err)
		require.False(t, seen[base], "base %d handed out twice", base)
		seen[base] = true
		require.True(t, portsFree(base, 4))
	}
}

func TestPortsFreeSeesListeners(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	require.False(t, portFree(port))
	require.False(t, portsFree(port-offsetGRPC, 1), "a busy grpc port makes the block unusable")
}
