package e2e

import (
	"testing"

	"github.com/sovra-network/sovra/internal/localnet"
)

// CLI runs sovrad commands against a network (see localnet.CLI).
type CLI = localnet.CLI

// NewCLI returns a CLI on the network's client home, talking to validator 0, that logs
// every command to the test log.
func NewCLI(t testing.TB, net *localnet.Network) *CLI {
	c := net.Client()
	c.Logf = t.Logf
	return c
}
