package simulation_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sovra-network/sovra/testutil/simulation"
)

// The length of a run comes from the environment, so that `make sim` runs long ones and
// `go test ./...` (CI) short ones:
//
//	SIM_SEED    the seed (default 1)
//	SIM_BLOCKS  blocks per run (default 100; TestAppSimulationDeterminism: 50 twice)
//	SIM_OPS     mean messages per block (default 40)
const (
	defaultSeed              = 1
	defaultBlocks            = 100
	defaultDeterminismBlocks = 50
)

func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func config(t *testing.T, blocks int64) simulation.Config {
	t.Helper()
	return simulation.Config{
		Seed:        envInt(t, "SIM_SEED", defaultSeed),
		Blocks:      int(envInt(t, "SIM_BLOCKS", blocks)),
		OpsPerBlock: int(envInt(t, "SIM_OPS", 0)),
		Logf:        t.Logf,
	}
}

// run runs cfg and fails the test with the seed that reproduces a failure.
func run(t *testing.T, cfg simulation.Config) simulation.Result {
	t.Helper()
	t.Logf("simulation: seed %d, %d blocks", cfg.Seed, cfg.Blocks)
	res, err := simulation.Run(t, cfg)
	if err != nil {
		t.Logf("messages:\n%s", res.Summary)
		t.Fatalf("%v\nreproduce with: SIM_SEED=%d SIM_BLOCKS=%d make sim", err, cfg.Seed, cfg.Blocks)
	}
	return res
}

func report(t *testing.T, res simulation.Result) {
	t.Helper()
	secs := res.Elapsed.Seconds()
	t.Logf("seed %d: %d blocks in %s (%.1f blocks/s), %d messages delivered, %d factories skipped, %d proposals refused",
		res.Seed, res.Height, res.Elapsed.Round(time.Millisecond), float64(res.Height)/secs, res.Delivered, res.Skipped, res.Refused)
	t.Logf("chain:\n%s", res.Chain)
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(res.Verdicts)) {
		fmt.Fprintf(&b, "\n  %5d %s", res.Verdicts[k], k)
	}
	t.Logf("audit verdicts:%s", b.String())
	if testing.Verbose() {
		t.Logf("modules simulated: %s; genesis only: %s", strings.Join(res.Simulated, ", "), strings.Join(res.GenesisOnly, ", "))
		b.Reset()
		for _, k := range slices.Sorted(maps.Keys(res.ByType)) {
			fmt.Fprintf(&b, "\n  %6d %s", res.ByType[k], k)
		}
		t.Logf("delivered:%s", b.String())
		t.Logf("skipped and per module:\n%s", res.Summary)
	}
}

// TestAppSimulation runs the app through SIM_BLOCKS random blocks with every module's
// message factories and checks the invariants after every block (simulation.Run).
func TestAppSimulation(t *testing.T) {
	res := run(t, config(t, defaultBlocks))
	report(t, res)
	if res.Delivered == 0 {
		t.Fatal("no message was delivered")
	}
}

// TestAppSimulationDeterminism runs the same seed twice on fresh apps, each checking the
// invariants after every block: every height must have the same app hash. `make sim`
// runs it.
func TestAppSimulationDeterminism(t *testing.T) {
	cfg := config(t, defaultDeterminismBlocks)
	first := run(t, cfg)
	report(t, first)
	cfg.Logf = nil
	second := run(t, cfg)
	if first.Height != second.Height {
		t.Fatalf("seed %d: the first run reached height %d, the second %d", cfg.Seed, first.Height, second.Height)
	}
	for i := range first.AppHashes {
		if !bytes.Equal(first.AppHashes[i], second.AppHashes[i]) {
			t.Fatalf("seed %d: app hash of height %d differs: %X then %X\nreproduce with: SIM_SEED=%d SIM_BLOCKS=%d make sim",
				cfg.Seed, i+1, first.AppHashes[i], second.AppHashes[i], cfg.Seed, cfg.Blocks)
		}
	}
	t.Logf("seed %d: %d heights, the same app hash at each (last %X)", cfg.Seed, first.Height, first.AppHashes[len(first.AppHashes)-1])
}

// TestMain runs the garbage collector less often: a run allocates a lot of short-lived
// state, and collections at the default rate cost about a fifth of its time.
func TestMain(m *testing.M) {
	debug.SetGCPercent(400)
	os.Exit(m.Run())
}
