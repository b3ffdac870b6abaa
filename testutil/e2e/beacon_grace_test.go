package e2e_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
)

// vrfGraceBlocks is the genesis vrf_grace_blocks of TestBeaconGraceAndHotReload.
const vrfGraceBlocks = 6

// dropVRFKey removes validator i's VRF key from every node's genesis and deletes its
// key file, so the validator starts bonded without a key and its node without a file.
func dropVRFKey(t *testing.T, net *localnet.Network, i int) {
	t.Helper()
	op := net.Validator(i).Operator
	path := filepath.Join(net.Validator(0).Home, "config", "genesis.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var gen map[string]any
	require.NoError(t, json.Unmarshal(raw, &gen))
	beacon := gen["app_state"].(map[string]any)["beacon"].(map[string]any)
	keys, _ := beacon["vrf_keys"].([]any)
	proofs, _ := beacon["vrf_key_proofs"].([]any)
	var keptKeys, keptProofs []any
	for j, k := range keys {
		if k.(map[string]any)["validator"] == op {
			continue
		}
		keptKeys, keptProofs = append(keptKeys, k), append(keptProofs, proofs[j])
	}
	require.Len(t, keptKeys, len(keys)-1, "validator %d's key was in genesis", i)
	beacon["vrf_keys"], beacon["vrf_key_proofs"] = keptKeys, keptProofs
	out, err := json.MarshalIndent(gen, "", "  ")
	require.NoError(t, err)
	for j := 0; j < net.NumValidators(); j++ {
		require.NoError(t, os.WriteFile(filepath.Join(net.Validator(j).Home, "config", "genesis.json"), out, 0o600))
	}
	require.NoError(t, os.Remove(filepath.Join(net.Validator(i).Home, "config", "vrf_key.json")))
}

// blockInfo is what the test reads of a block from CometBFT's RPC.
type blockInfo struct {
	Time        time.Time
	CommitRound int // the round in which the previous height was decided
}

func getBlock(t *testing.T, net *localnet.Network, h int64) blockInfo {
	t.Helper()
	code, body := e2e.Get(t, fmt.Sprintf("%s/block?height=%d", net.RPC(0), h))
	require.Equal(t, 200, code, body)
	var res struct {
		Result struct {
			Block struct {
				Header struct {
					Time time.Time `json:"time"`
				} `json:"header"`
				LastCommit struct {
					Round int `json:"round"`
				} `json:"last_commit"`
			} `json:"block"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &res), body)
	return blockInfo{Time: res.Result.Block.Header.Time, CommitRound: res.Result.Block.LastCommit.Round}
}

// blockTimes reports the mean interval between the blocks from..to and how many of the
// heights from..to-1 were decided after round 0.
func blockTimes(t *testing.T, net *localnet.Network, from, to int64) (time.Duration, int) {
	t.Helper()
	first, last := getBlock(t, net, from), getBlock(t, net, to)
	late := 0
	for h := from + 1; h <= to; h++ {
		if getBlock(t, net, h).CommitRound > 0 {
			late++
		}
	}
	return last.Time.Sub(first.Time) / time.Duration(to-from), late
}

type validatorResponse struct {
	Validator         string      `json:"validator"`
	HasKey            bool        `json:"has_key"`
	FirstBondedHeight json.Number `json:"first_bonded_height"`
	GraceEndHeight    json.Number `json:"grace_end_height"`
}

type vrfStatus struct {
	State string `json:"state"`
	Ready bool   `json:"ready"`
	Grace string `json:"grace"`
}

func nodeVRFStatus(t *testing.T, cli *e2e.CLI, home string) vrfStatus {
	t.Helper()
	out, err := cli.Run("vrf", "status", "--home", home, "--output", "json")
	require.NoError(t, err)
	var st vrfStatus
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	return st
}

// metricValue returns the value of the Prometheus series whose line starts with
// series (name and labels), from a node's API server.
func metricValue(t *testing.T, net *localnet.Network, i int, series string) (float64, bool) {
	t.Helper()
	code, body := e2e.Get(t, net.API(i)+"/metrics?format=prometheus")
	require.Equal(t, 200, code, body)
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, series)), 64)
			require.NoError(t, err, line)
			return v, true
		}
	}
	return 0, false
}

// TestBeaconGraceAndHotReload: two validators; validator 1 is bonded at genesis without
// a VRF key (nor a key file) and vrf_grace_blocks is 6. Within the grace period its
// blocks are weak; after it every one of its proposals is rejected, its rounds pass to
// validator 0, and the chain keeps producing blocks, each with validator 0's VRF beacon.
// Then, while its node keeps running, validator 1 creates its key file (`vrf init`) and
// registers it (`tx beacon register-vrf-key`): its next blocks carry VRF beacons, without
// a restart. `vrf status` and the node's Prometheus metrics say where it stands at each
// step. Block times are measured and logged for each phase.
func TestBeaconGraceAndHotReload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two sovrad processes")
	}
	net := e2e.StartNetwork(t, e2e.NetworkOptions{
		Validators: 2,
		Mutate: func(cfg *localnet.Config) {
			cfg.AppState()["beacon"] = map[string]any{"params": map[string]any{
				"history_window": "10000", "require_vrf": true, "vrf_grace_blocks": strconv.Itoa(vrfGraceBlocks),
			}}
			v := &cfg.Validators[0]
			v.App = localnet.DeepMerge(v.App, map[string]any{
				"telemetry": map[string]any{"enabled": true, "prometheus-retention-time": 120},
			})
		},
		BeforeStart: func(net *localnet.Network) { dropVRFKey(t, net, 1) },
	})
	cli := e2e.NewCLI(t, net)
	v0, v1 := net.Validator(0), net.Validator(1)

	var val validatorResponse
	require.NoError(t, cli.QueryJSON(&val, "beacon", "validator", v1.Operator))
	require.False(t, val.HasKey)
	graceEnd, err := val.GraceEndHeight.Int64()
	require.NoError(t, err)
	bondedAt, _ := val.FirstBondedHeight.Int64()
	require.Equal(t, bondedAt+vrfGraceBlocks, graceEnd)
	t.Logf("validator 1 (%s) bonded at genesis height %d without a VRF key; grace ends at height %d", v1.Operator, bondedAt, graceEnd)
	st := nodeVRFStatus(t, cli, v1.Home)
	require.Equal(t, "no_key_file", st.State, "vrf status of the keyless node")

	// Within the grace period validator 1's weak blocks are accepted.
	e2e.WaitForHeight(t, net, graceEnd+1, 2*time.Minute)
	weakByV1 := 0
	for h := int64(1); h <= graceEnd; h++ {
		b := queryBeacon(t, cli, "at", strconv.FormatInt(h, 10))
		if b.Beacon.Proposer == v1.Operator {
			require.True(t, b.Beacon.Weak, "height %d: validator 1 has no key", h)
			weakByV1++
		} else {
			require.False(t, b.Beacon.Weak, "height %d: validator 0 has a key", h)
		}
	}
	require.Positive(t, weakByV1, "validator 1 proposed within its grace period")
	graceInterval, graceLate := blockTimes(t, net, 2, graceEnd)
	t.Logf("grace period (heights 2..%d): %d weak blocks by validator 1, mean block interval %s, %d heights decided after round 0",
		graceEnd, weakByV1, graceInterval.Round(time.Millisecond), graceLate)

	// After it: only validator 0's VRF blocks; validator 1's rounds are rejected.
	afterFrom, afterTo := graceEnd+1, graceEnd+12
	e2e.WaitForHeight(t, net, afterTo+1, 2*time.Minute)
	for h := afterFrom; h <= afterTo; h++ {
		b := queryBeacon(t, cli, "at", strconv.FormatInt(h, 10))
		require.Equal(t, v0.Operator, b.Beacon.Proposer, "height %d after the grace period", h)
		require.False(t, b.Beacon.Weak, "height %d after the grace period", h)
	}
	afterInterval, afterLate := blockTimes(t, net, afterFrom, afterTo)
	t.Logf("after the grace period (heights %d..%d): all by validator 0, VRF; mean block interval %s, %d heights decided after round 0 (validator 1's turns rejected)",
		afterFrom, afterTo, afterInterval.Round(time.Millisecond), afterLate)
	require.Positive(t, afterLate, "validator 1 had turns, and they were rejected")
	require.Less(t, afterInterval, 4*time.Second, "block time stays normal after the grace period")

	st = nodeVRFStatus(t, cli, v1.Home)
	require.Equal(t, "no_key_file", st.State)
	require.Contains(t, st.Grace, "REJECTED")
	ready, ok := metricValue(t, net, 1, "sovra_beacon_vrf_ready")
	require.True(t, ok, "sovra_beacon_vrf_ready is served")
	require.Zero(t, ready)
	noKey, ok := metricValue(t, net, 1, `sovra_beacon_vrf_state{state="no_key_file"}`)
	require.True(t, ok)
	require.Equal(t, 1.0, noKey)
	weak, ok := metricValue(t, net, 1, `sovra_beacon_weak_proposals{reason="no_key_file"}`)
	require.True(t, ok, "weak proposal counter is served")
	require.GreaterOrEqual(t, weak, float64(weakByV1))
	if r, ok := metricValue(t, net, 0, "sovra_beacon_vrf_ready"); !ok || r != 1 {
		t.Fatalf("validator 0 (keyed) sovra_beacon_vrf_ready = %v (served %v), want 1", r, ok)
	}

	// Hot reload: the key file is created while the node runs...
	_, err = cli.Run("vrf", "init", "--home", v1.Home)
	require.NoError(t, err)
	e2e.WaitForBlocks(t, net, 2, time.Minute)
	require.Equal(t, "not_registered", nodeVRFStatus(t, cli, v1.Home).State)
	if v, ok := metricValue(t, net, 1, `sovra_beacon_vrf_state{state="not_registered"}`); !ok || v != 1 {
		t.Fatalf("after vrf init: vrf_state{not_registered} = %v (served %v)", v, ok)
	}
	// ...and registered.
	res, err := cli.Tx("beacon", "register-vrf-key", "--from", v1.Name,
		"--vrf-key-file", filepath.Join(v1.Home, "config", "vrf_key.json"))
	require.NoError(t, err)
	registeredAt := int64(res.Height)
	t.Logf("validator 1 registered its key at height %d, its node still running since genesis", registeredAt)
	require.Equal(t, "ready", nodeVRFStatus(t, cli, v1.Home).State)

	// Its next proposals carry VRF proofs.
	end := registeredAt + 12
	e2e.WaitForHeight(t, net, end+1, 2*time.Minute)
	strongByV1 := 0
	for h := registeredAt + 1; h <= end; h++ {
		b := queryBeacon(t, cli, "at", strconv.FormatInt(h, 10))
		require.False(t, b.Beacon.Weak, "height %d after registration", h)
		if b.Beacon.Proposer == v1.Operator {
			strongByV1++
		}
	}
	require.Positive(t, strongByV1, "validator 1 proposed VRF beacons after registering, without a restart")
	regInterval, regLate := blockTimes(t, net, registeredAt+1, end)
	t.Logf("after registration (heights %d..%d): %d VRF blocks by validator 1; mean block interval %s, %d heights decided after round 0",
		registeredAt+1, end, strongByV1, regInterval.Round(time.Millisecond), regLate)
	if r, ok := metricValue(t, net, 1, "sovra_beacon_vrf_ready"); !ok || r != 1 {
		t.Fatalf("after registration: sovra_beacon_vrf_ready = %v (served %v), want 1", r, ok)
	}
	require.Less(t, regInterval, 3*time.Second, "block time normal once both validators have keys")
}
