package loadgen_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/loadgen"
	"github.com/sovra-network/sovra/internal/localnet"
)

// sovradBinary is $SOVRAD_BIN, or a sovrad built into the test's temp dir; the test is
// skipped when neither is available.
func sovradBinary(t *testing.T) (binary, repoRoot string) {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Skipf("cannot find the repository root (go env GOMOD: %v)", err)
	}
	repoRoot = filepath.Dir(gomod)
	if p := os.Getenv("SOVRAD_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		require.NoError(t, err)
		_, err = os.Stat(abs)
		require.NoError(t, err, "SOVRAD_BIN=%s", p)
		return abs, repoRoot
	}
	binary = filepath.Join(t.TempDir(), "sovrad")
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", binary, "./cmd/sovrad")
	cmd.Dir = repoRoot
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		t.Skipf("SOVRAD_BIN is unset and building ./cmd/sovrad failed (%v): set SOVRAD_BIN to a sovrad binary\n%s", err, buf.String())
	}
	return binary, repoRoot
}

// startNode starts a single-validator network from the repository's config.yml
// (timeout_commit 1s, minimum gas price 0, the demo-tiny model, funded alice and
// provider1 keys) on free loopback ports.
func startNode(t *testing.T) *localnet.Network {
	t.Helper()
	binary, root := sovradBinary(t)
	cfg, err := localnet.LoadConfig(filepath.Join(root, "config.yml"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	net, err := localnet.Init(ctx, localnet.InitOptions{
		Binary: binary, Home: filepath.Join(t.TempDir(), "net"), Validators: 1, Config: cfg,
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node log tail:\n%s", net.LogTail(0, 4000))
		}
		require.NoError(t, net.Stop())
	})
	require.NoError(t, net.Start())
	require.NoError(t, net.WaitForHeight(ctx, 2))
	return net
}

func TestLoadgenAgainstNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sovrad process")
	}
	net := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	for _, tc := range []struct {
		kind loadgen.Kind
		grpc string // "" queries through the RPC's abci_query
	}{
		{loadgen.KindSend, net.GRPC(0)},
		{loadgen.KindSubmitJob, ""},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			res, err := loadgen.Run(ctx, loadgen.Options{
				RPC:         net.RPC(0),
				GRPC:        tc.grpc,
				ChainID:     net.ChainID(),
				Kind:        tc.kind,
				Count:       200,
				Concurrency: 4,
				KeyringDir:  net.ClientHome(),
				FunderKey:   "alice",
				ProviderKey: "provider1",
				Log:         testWriter{t},
			})
			require.NoError(t, err)
			t.Log(res.Summary())
			require.Equal(t, 200, res.Requested)
			require.Equal(t, 200, res.Sent, "every tx accepted by CheckTx: %v", res.Failures)
			require.Equal(t, 200, res.Committed, "every tx committed with code 0: %v", res.Failures)
			require.Zero(t, res.Failed, "%v", res.Failures)
			require.Positive(t, res.TPS)
			require.Positive(t, res.GasLimit)
			require.Positive(t, res.FirstHeight)
			require.GreaterOrEqual(t, res.LastHeight, res.FirstHeight)
			require.Equal(t, int(res.LastHeight-res.FirstHeight+1), res.Blocks)
			require.True(t, res.LastBlockTime.After(res.StartTime))
			require.GreaterOrEqual(t, res.MeanBlockTxs*float64(res.Blocks), 200.0, "the window's blocks hold the load")
		})
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
