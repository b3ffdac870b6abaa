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
// provider1..3 keys) on free loopback ports, edited by edit when set.
func startNode(t *testing.T, edit func(*localnet.Config)) *localnet.Network {
	t.Helper()
	binary, root := sovradBinary(t)
	cfg, err := localnet.LoadConfig(filepath.Join(root, "config.yml"))
	require.NoError(t, err)
	if edit != nil {
		edit(cfg)
	}
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
	net := startNode(t, nil)
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

// TestLoadgenJobsAgainstNode runs whole jobs: three providers registered by their worker
// keys, results committed by the scripted workers, every job settled or drawn for audit.
// The genesis audits as little as x/verify's params allow (audit_rate 0.001 with
// collateral_multiplier 1000, audit_rate × multiplier ≥ 1) and gives an audited provider
// 10,000 blocks to open, as make bench does: an audit needs real verifiers.
func TestLoadgenJobsAgainstNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sovrad process")
	}
	net := startNode(t, func(cfg *localnet.Config) {
		verify := cfg.AppState()["verify"].(map[string]any)["params"].(map[string]any)
		verify["audit_rate"] = "0.001000000000000000"
		verify["collateral_multiplier"] = "1000"
		verify["open_phase_blocks"] = "10000"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := loadgen.Run(ctx, loadgen.Options{
		RPC:         net.RPC(0),
		GRPC:        net.GRPC(0),
		ChainID:     net.ChainID(),
		Kind:        loadgen.KindJob,
		Count:       300,
		Concurrency: 4,
		KeyringDir:  net.ClientHome(),
		FunderKey:   "alice",
		Workers:     []string{"provider1", "provider2", "provider3"},
		Log:         testWriter{t},
	})
	require.NoError(t, err)
	t.Log(res.Summary())
	require.Equal(t, 300, res.Committed, "every submission committed: %v", res.Failures)
	j := res.Jobs
	require.NotNil(t, j)
	require.Equal(t, 300, j.Jobs)
	require.Equal(t, 300, j.Settled+j.Audited, "every job settled or drawn for audit: %+v", j)
	require.Zero(t, j.Unfinished)
	require.Empty(t, j.OtherEnds)
	require.Zero(t, j.CommitFailed, "%v", j.CommitFailures)
	require.Equal(t, 300, j.Results, "each result committed once")
	require.Equal(t, 3, j.Workers)
	require.Equal(t, 64, j.MaxResultsPerCommit)
	require.GreaterOrEqual(t, j.CommitTxs, 300/64)
	require.Positive(t, j.PerSecond)
	require.GreaterOrEqual(t, j.SettlingPerSecond, j.PerSecond)
	require.Greater(t, j.SettleHeight, res.LastHeight, "settled after the last submission")
	// Submitted at h, assigned at h+1, committed at h+2 at the earliest, and decided at
	// least two blocks after the commit (the decision height is fixed the block after it).
	require.GreaterOrEqual(t, j.LatencyBlocksP50, int64(4))
	require.Equal(t, int64(1), j.AssignBlocksP50)
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
