package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sovra-network/sovra/internal/localnet"
)

// KeepEnv, when set to 1, keeps a test network's home (logs, data) after the test and
// logs where it is.
const KeepEnv = "SOVRA_E2E_KEEP"

// NetworkOptions configure StartNetwork.
type NetworkOptions struct {
	// Validators is the number of validators (default 1).
	Validators int
	// ConfigPath is the config.yml to build from (default: the repository's).
	ConfigPath string
	// Mutate, when set, edits the parsed config before the network is built, e.g. to
	// shorten a module's windows in genesis.app_state.
	Mutate func(*localnet.Config)
	// WaitHeight is the height every node must reach before StartNetwork returns
	// (default 2; -1 returns as soon as the processes are started).
	WaitHeight int64
	// Timeout bounds building and starting (default 3 minutes).
	Timeout time.Duration
	// BeforeStart, when set, runs after the network is initialized and before its
	// nodes start, e.g. to edit the homes or the genesis files.
	BeforeStart func(*localnet.Network)
}

// StartNetwork builds and starts a network in a temporary home and stops it when the
// test ends (its node logs are quoted when the test failed). Nodes are killed even if
// the test process dies.
func StartNetwork(t testing.TB, opts NetworkOptions) *localnet.Network {
	t.Helper()
	binary := SovradBinary(t)
	if opts.ConfigPath == "" {
		root, err := RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		opts.ConfigPath = filepath.Join(root, "config.yml")
	}
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Minute
	}
	if opts.WaitHeight == 0 {
		opts.WaitHeight = 2
	}
	cfg, err := localnet.LoadConfig(opts.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Mutate != nil {
		opts.Mutate(cfg)
	}

	home := filepath.Join(t.TempDir(), "net")
	if os.Getenv(KeepEnv) == "1" {
		dir, err := os.MkdirTemp("", "sovra-e2e-net-")
		if err != nil {
			t.Fatal(err)
		}
		home = dir
		t.Logf("localnet home kept in %s", home)
	}

	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	start := time.Now()
	net, err := localnet.Init(ctx, localnet.InitOptions{
		Binary: binary, Home: home, Validators: opts.Validators, Config: cfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("localnet: %d validator(s) initialized in %s (home %s)", net.NumValidators(), time.Since(start).Round(time.Millisecond), home)
	t.Cleanup(func() { StopNetwork(t, net) })
	if opts.BeforeStart != nil {
		opts.BeforeStart(net)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	if opts.WaitHeight > 0 {
		if err := net.WaitForHeight(ctx, opts.WaitHeight); err != nil {
			t.Fatal(err)
		}
		t.Logf("localnet: height %d reached %s after start", opts.WaitHeight, time.Since(start).Round(time.Millisecond))
	}
	return net
}

// StopNetwork stops every node, quoting each node's log tail when the test failed.
func StopNetwork(t testing.TB, net *localnet.Network) {
	t.Helper()
	if t.Failed() {
		for i := 0; i < net.NumValidators(); i++ {
			t.Logf("---- validator %d log tail (%s) ----\n%s", i, net.NodeLog(i), net.LogTail(i, 4000))
		}
	}
	if err := net.Stop(); err != nil {
		t.Errorf("stop localnet: %v", err)
	}
}

// WaitForHeight waits until every running node reaches h, failing the test after
// timeout.
func WaitForHeight(t testing.TB, net *localnet.Network, h int64, timeout time.Duration) {
	t.Helper()
	within(t, timeout, func(ctx context.Context) error { return net.WaitForHeight(ctx, h) })
}

// WaitForBlocks waits until every running node is n blocks past the current top height,
// failing the test after timeout.
func WaitForBlocks(t testing.TB, net *localnet.Network, n int64, timeout time.Duration) {
	t.Helper()
	within(t, timeout, func(ctx context.Context) error { return net.WaitForBlocks(ctx, n) })
}

// within runs wait with a deadline of timeout and fails the test on its error.
func within(t testing.TB, timeout time.Duration, wait func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := wait(ctx); err != nil {
		t.Fatal(err)
	}
}
