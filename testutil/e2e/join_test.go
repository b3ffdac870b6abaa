package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
)

// joinStake is node 3's self-delegation: as much as the two genesis validators together
// (100,000,000 each), so that it proposes about half the blocks once bonded.
const joinStake = "200000000usovra"

// snapshotInterval is config.yml's app.toml [state-sync] snapshot-interval.
const snapshotInterval = 20

// joinPhase is a stretch of heights whose block times are reported.
type joinPhase struct {
	name     string
	from, to int64
}

func joinPhaseOf(name string, from, to int64) joinPhase {
	return joinPhase{name: name, from: from, to: to}
}

// TestJoinByBlockSyncAndStateSync: the joining flow of a testnet operator, with real
// processes. A 2-validator localnet (snapshots every 20 blocks, config.yml); node 3
// joins by block sync (`localnet.AddNode`: sovrad init, the network's genesis, the
// validators as persistent peers) and catches up from genesis; its operator key is
// created in its home and funded from a localnet account; `tx staking create-validator`
// (the JSON file with `comet show-validator`'s key) is sent through node 3 and it
// becomes bonded; it proposes weak blocks within its grace period; then, with the node
// still running, `vrf init` and `tx beacon register-vrf-key`: its next blocks carry VRF
// beacons (`q beacon at H`: proposer node 3, weak=false). Node 4 joins by state sync
// (trust height and hash from a running validator), restores a snapshot (its first
// stored block is above 1), follows new blocks with the app hash of the chain, and
// answers Sovra queries as a validator does at the same height, the beacon history from
// before the snapshot included. Block times are logged for every phase.
func TestJoinByBlockSyncAndStateSync(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four sovrad processes")
	}
	testStart := time.Now()
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 2})
	t.Cleanup(func() { logJoinedTails(t, net) }) // runs before the network is stopped
	cli := e2e.NewCLI(t, net)
	denom := net.BondDenom()
	var phases []joinPhase
	phaseStart := height(t, cli)

	// Node 3 joins by block sync, replaying the blocks made so far.
	e2e.WaitForHeight(t, net, 25, 2*time.Minute)
	n3 := addNode(t, net, localnet.AddNodeOptions{Name: "node3"})
	node3 := net.Joined(n3)
	sync3 := waitCaughtUp(t, net, n3)
	require.Equal(t, int64(1), sync3.EarliestHeight, "node 3 replayed the chain from genesis (block sync)")
	require.GreaterOrEqual(t, sync3.Height, int64(25))
	t.Logf("node 3 caught up by block sync at height %d, %s after the test started", sync3.Height, time.Since(testStart).Round(time.Second))
	phases = append(phases, joinPhaseOf("2 validators, node 3 starts and block-syncs", phaseStart, height(t, cli)))
	phaseStart = height(t, cli)

	// Its operator: a key in node 3's home, funded from a localnet account.
	c3 := nodeCLI(t, net, node3)
	out, err := c3.Run("keys", "add", "operator3", "--output", "json")
	require.NoError(t, err)
	var key struct {
		Address string `json:"address"`
	}
	require.NoError(t, json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &key), out)
	_, err = cli.Tx("bank", "send", "bob", key.Address, "210000000"+denom)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		bal, err := c3.Balance(key.Address, denom)
		return err == nil && bal.Int64() == 210_000_000
	}, time.Minute, 300*time.Millisecond, "node 3 sees its operator funded")

	// create-validator through node 3, from the JSON file with node 3's consensus key.
	pub, err := c3.Run("comet", "show-validator")
	require.NoError(t, err)
	valFile := filepath.Join(node3.Home, "config", "validator.json")
	writeJSON(t, valFile, map[string]any{
		"pubkey": json.RawMessage(strings.TrimSpace(pub)), "amount": joinStake, "moniker": node3.Name,
		"commission-rate": "0.1", "commission-max-rate": "0.2", "commission-max-change-rate": "0.01",
		"min-self-delegation": "1",
	})
	res, err := c3.Tx("staking", "create-validator", valFile, "--from", "operator3")
	require.NoError(t, err)
	valoper := valoperOf(t, key.Address)
	t.Logf("node 3's create-validator (%s) in block %d", valoper, res.Height)
	require.Eventually(t, func() bool {
		var v struct {
			Validator struct {
				Status string `json:"status"`
			} `json:"validator"`
		}
		return c3.QueryJSON(&v, "staking", "validator", valoper) == nil && v.Validator.Status == "BOND_STATUS_BONDED"
	}, time.Minute, 500*time.Millisecond, "node 3's validator is bonded")
	var val validatorResponse
	require.NoError(t, c3.QueryJSON(&val, "beacon", "validator", valoper))
	bondedAt, err := val.FirstBondedHeight.Int64()
	require.NoError(t, err)
	require.False(t, val.HasKey)
	st := nodeVRFStatus(t, c3, node3.Home)
	require.Equal(t, "no_key_file", st.State)
	t.Logf("node 3 bonded at height %d without a VRF key; grace: %s", bondedAt, st.Grace)

	// Within its grace period node 3 proposes weak blocks, accepted.
	weakAt := waitProposal(t, cli, valoper, bondedAt+1, 40)
	require.True(t, beaconAt(t, cli, weakAt).Beacon.Weak, "node 3's block %d before its key", weakAt)
	t.Logf("node 3 proposed height %d with a weak beacon (within its grace period)", weakAt)

	// The VRF key, created and registered while node 3 runs.
	_, err = c3.Run("vrf", "init")
	require.NoError(t, err)
	res, err = c3.Tx("beacon", "register-vrf-key", "--from", "operator3")
	require.NoError(t, err)
	registeredAt := int64(res.Height)
	require.Equal(t, "ready", nodeVRFStatus(t, c3, node3.Home).State)
	t.Logf("node 3 registered its VRF key at height %d, without a restart", registeredAt)
	phases = append(phases, joinPhaseOf("node 3 funded, create-validator, bonded, weak proposals, VRF key registered", phaseStart, registeredAt))

	// Its next blocks carry VRF beacons; every block after the registration is strong.
	var strong []int64
	last := registeredAt
	for h := registeredAt + 1; h <= registeredAt+40 && len(strong) < 3; h++ {
		b := beaconAt(t, cli, h)
		require.False(t, b.Beacon.Weak, "height %d after node 3 registered its key (proposer %s)", h, b.Beacon.Proposer)
		if b.Beacon.Proposer == valoper {
			strong = append(strong, h)
		}
		last = h
	}
	require.NotEmpty(t, strong, "node 3 proposed within 40 blocks of registering its key")
	t.Logf("node 3 proposed heights %v with VRF beacons (q beacon at H: weak=false)", strong)
	phases = append(phases, joinPhaseOf("3 validators, node 3 with its VRF key", registeredAt, last))

	// Node 4 joins by state sync from the validators' snapshots, once one holds node 3's
	// validator and VRF key (snapshots every 20 blocks: config.yml).
	snapshotAt := (registeredAt/snapshotInterval + 1) * snapshotInterval
	e2e.WaitForHeight(t, net, snapshotAt+2, 2*time.Minute)
	phaseStart = height(t, cli)
	n4 := addNode(t, net, localnet.AddNodeOptions{Name: "node4", StateSync: true})
	node4 := net.Joined(n4)
	sync4 := waitCaughtUp(t, net, n4)
	require.Greater(t, sync4.EarliestHeight, snapshotAt, "node 4 restored a snapshot (of height %d or later) instead of replaying from genesis", snapshotAt)
	logText, err := os.ReadFile(net.JoinedLog(n4))
	require.NoError(t, err)
	require.Contains(t, string(logText), "Snapshot restored")
	t.Logf("node 4 caught up by state sync at height %d; first stored block %d (the snapshot's height + 1)", sync4.Height, sync4.EarliestHeight)

	// It follows new blocks, with the chain's app hash...
	c4 := nodeCLI(t, net, node4)
	target := sync4.Height + 5
	require.Eventually(t, func() bool {
		s, err := localnet.NodeSyncInfo(context.Background(), net.JoinedRPC(n4))
		return err == nil && s.Height >= target
	}, 2*time.Minute, 300*time.Millisecond, "node 4 follows new blocks")
	appHeight, appHash := abciInfo(t, net.JoinedRPC(n4))
	e2e.WaitForHeight(t, net, appHeight+1, time.Minute)
	require.Equal(t, blockAppHash(t, net.RPC(0), appHeight+1), appHash,
		"node 4's app hash after height %d is the one in the chain's block %d", appHeight, appHeight+1)
	// ...and answers Sovra's queries as a validator does at the same height, the beacon
	// history from before its snapshot included.
	at := strconv.FormatInt(appHeight, 10)
	for _, q := range [][]string{
		{"beacon", "latest", "--height", at},
		{"beacon", "at", "3", "--height", at},
		{"beacon", "at", strconv.FormatInt(sync4.EarliestHeight, 10), "--height", at},
		{"beacon", "stats", "--height", at},
		{"beacon", "validator", valoper, "--height", at},
		{"task", "params", "--height", at},
		{"provider", "params", "--height", at},
		{"staking", "validator", valoper, "--height", at},
		{"bank", "balances", key.Address, "--height", at},
	} {
		var onNode4, onValidator any
		require.NoError(t, c4.QueryJSON(&onNode4, q...))
		require.NoError(t, cli.QueryJSON(&onValidator, q...))
		require.Equal(t, onValidator, onNode4, "q %s", strings.Join(q, " "))
	}
	var val4 validatorResponse
	require.NoError(t, c4.QueryJSON(&val4, "beacon", "validator", valoper))
	require.True(t, val4.HasKey, "node 4 knows node 3's VRF key (restored from the snapshot)")
	t.Logf("node 4 at height %d: app hash %s as in block %d; beacon, task, provider, staking and bank queries answer as validator 0's",
		appHeight, appHash, appHeight+1)
	phases = append(phases, joinPhaseOf("node 4 state-syncs and follows", phaseStart, appHeight+1))

	// Block times of every phase, and a loose check that none stalled.
	timeoutCommit := time.Second // config.yml
	for _, p := range phases {
		s := intervals(t, net, p.from, p.to)
		t.Logf("block times, %s (heights %d..%d, %d blocks): min %s, median %s, max %s; %d heights decided after round 0",
			p.name, p.from, p.to, len(s.gaps), s.min.Round(time.Millisecond), s.median.Round(time.Millisecond),
			s.max.Round(time.Millisecond), s.late)
		require.Less(t, s.median, 4*timeoutCommit, "block time stays normal: %s", p.name)
		require.Less(t, s.max, 30*timeoutCommit, "no stall: %s", p.name)
	}
	t.Logf("joining flow done in %s", time.Since(testStart).Round(time.Second))
}

func addNode(t *testing.T, net *localnet.Network, opts localnet.AddNodeOptions) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts.Log = testWriter{t}
	i, err := net.AddNode(ctx, opts)
	require.NoError(t, err)
	return i
}

func waitCaughtUp(t *testing.T, net *localnet.Network, i int) localnet.SyncInfo {
	t.Helper()
	top, err := net.Height(context.Background(), 0)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := net.WaitJoinedCaughtUp(ctx, i, top)
	require.NoError(t, err)
	return s
}

// nodeCLI runs commands in a joined node's home, against that node.
func nodeCLI(t *testing.T, net *localnet.Network, node localnet.NodeInfo) *e2e.CLI {
	return &e2e.CLI{
		Binary: net.Binary(), Home: node.Home, ChainID: net.ChainID(), Logf: t.Logf,
		Node: fmt.Sprintf("http://127.0.0.1:%d", node.Ports.RPC),
	}
}

// waitProposal waits for the first height from `from` on (at most `within` heights)
// whose beacon's proposer is valoper, and returns it.
func waitProposal(t *testing.T, cli *e2e.CLI, valoper string, from, within int64) int64 {
	t.Helper()
	for h := from; h < from+within; h++ {
		if beaconAt(t, cli, h).Beacon.Proposer == valoper {
			return h
		}
	}
	t.Fatalf("%s proposed none of heights %d..%d", valoper, from, from+within-1)
	return 0
}

// beaconAt waits (up to a minute) for height h's beacon and returns it.
func beaconAt(t *testing.T, cli *e2e.CLI, h int64) beaconResponse {
	t.Helper()
	quiet := *cli
	quiet.Logf = nil // one line a height is enough
	deadline := time.Now().Add(time.Minute)
	for {
		var b beaconResponse
		err := quiet.QueryJSON(&b, "beacon", "at", strconv.FormatInt(h, 10))
		if err == nil {
			return b
		}
		require.True(t, time.Now().Before(deadline), "no beacon at height %d after a minute: %v", h, err)
		time.Sleep(300 * time.Millisecond)
	}
}

func height(t *testing.T, cli *e2e.CLI) int64 {
	t.Helper()
	quiet := *cli
	quiet.Logf = nil
	h, err := quiet.Height()
	require.NoError(t, err)
	return h
}

// valoperOf is the operator address of an account (same bytes, valoper prefix).
func valoperOf(t *testing.T, addr string) string {
	t.Helper()
	prefix, raw, err := bech32.DecodeAndConvert(addr)
	require.NoError(t, err)
	op, err := bech32.ConvertAndEncode(prefix+"valoper", raw)
	require.NoError(t, err)
	return op
}

// abciInfo is a node's own last committed height and app hash (hex, as in headers).
func abciInfo(t *testing.T, rpc string) (int64, string) {
	t.Helper()
	code, body := e2e.Get(t, rpc+"/abci_info")
	require.Equal(t, 200, code, body)
	var res struct {
		Result struct {
			Response struct {
				Height  string `json:"last_block_height"`
				AppHash string `json:"last_block_app_hash"`
			} `json:"response"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &res), body)
	h, err := strconv.ParseInt(res.Result.Response.Height, 10, 64)
	require.NoError(t, err, body)
	raw, err := base64.StdEncoding.DecodeString(res.Result.Response.AppHash)
	require.NoError(t, err, body)
	return h, strings.ToUpper(hex.EncodeToString(raw))
}

// blockAppHash is the app_hash in block h's header, from a node's RPC.
func blockAppHash(t *testing.T, rpc string, h int64) string {
	t.Helper()
	code, body := e2e.Get(t, fmt.Sprintf("%s/block?height=%d", rpc, h))
	require.Equal(t, 200, code, body)
	var res struct {
		Result struct {
			Block struct {
				Header struct {
					AppHash string `json:"app_hash"`
				} `json:"header"`
			} `json:"block"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &res), body)
	return res.Result.Block.Header.AppHash
}

// blockGaps are the intervals between consecutive blocks of a phase.
type blockGaps struct {
	gaps             []time.Duration
	min, median, max time.Duration
	late             int // heights decided after round 0
}

func intervals(t *testing.T, net *localnet.Network, from, to int64) blockGaps {
	t.Helper()
	var s blockGaps
	prev := getBlock(t, net, from)
	for h := from + 1; h <= to; h++ {
		b := getBlock(t, net, h)
		s.gaps = append(s.gaps, b.Time.Sub(prev.Time))
		if b.CommitRound > 0 {
			s.late++
		}
		prev = b
	}
	require.NotEmpty(t, s.gaps, "phase %d..%d has blocks", from, to)
	sorted := slices.Clone(s.gaps)
	slices.Sort(sorted)
	s.min, s.median, s.max = sorted[0], sorted[len(sorted)/2], sorted[len(sorted)-1]
	return s
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o644))
}

// logJoinedTails quotes the joined nodes' logs when the test failed.
func logJoinedTails(t *testing.T, net *localnet.Network) {
	if !t.Failed() {
		return
	}
	for i := 0; i < net.NumJoined(); i++ {
		t.Logf("---- joined node %d (%s) log tail (%s) ----\n%s", i, net.Joined(i).Name, net.JoinedLog(i), net.JoinedLogTail(i, 4000))
	}
}

// testWriter sends AddNode's step lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
