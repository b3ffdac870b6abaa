package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
)

// jobView is the part of `q task job` the tests read.
type jobView struct {
	Job struct {
		ID             json.Number `json:"id"`
		Status         string      `json:"status"`
		Provider       string      `json:"provider"`
		DeadlineHeight json.Number `json:"deadline_height"`
		FeePaid        sdk.Coin    `json:"fee_paid"`
		Refunded       sdk.Coin    `json:"refunded"`
	} `json:"job"`
}

type pendingView struct {
	Total sdk.Coins `json:"total"`
}

func getJob(t *testing.T, cli *e2e.CLI, id string) jobView {
	t.Helper()
	var j jobView
	require.NoError(t, cli.QueryJSON(&j, "task", "job", id))
	return j
}

// waitStatus polls the job until it reaches status.
func waitStatus(t *testing.T, cli *e2e.CLI, id, status string, timeout time.Duration) jobView {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j := getJob(t, cli, id)
		if j.Job.Status == status {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s after %s, want %s", id, j.Job.Status, timeout, status)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func pending(t *testing.T, cli *e2e.CLI, addr string) sdkmath.Int {
	t.Helper()
	var p pendingView
	require.NoError(t, cli.QueryJSON(&p, "rewards", "pending", addr))
	return p.Total.AmountOf("usovra")
}

// TestJobLifecycleOneValidator and TestJobLifecycleFourValidators drive the whole job
// lifecycle through the CLI against real sovrad processes.
func TestJobLifecycleOneValidator(t *testing.T)   { testJobLifecycle(t, 1) }
func TestJobLifecycleFourValidators(t *testing.T) { testJobLifecycle(t, 4) }

func testJobLifecycle(t *testing.T, validators int) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	// The escrow's life, not audits (TestAuditByHandThroughTheCLI): audits are rare here.
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: validators, Mutate: func(c *localnet.Config) {
		state := c.AppState()
		verify, _ := state["verify"].(map[string]any)
		params, _ := verify["params"].(map[string]any)
		params["audit_rate"], params["collateral_multiplier"] = "0.001", "1000"
	}})
	cli := e2e.NewCLI(t, net)
	alice, prov, worker := net.AccountAddress("alice"), net.AccountAddress("provider1"), net.AccountAddress("worker1")

	_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
		"--price-per-token", "10usovra", "--worker", worker, "--profile", "cpu-x64-f32-greedy-v1",
		"--max-jobs", "4", "--from", "provider1")
	require.NoError(t, err)
	// A job is only assigned when an audit of its result could convict (two verifiers per
	// audit on the localnet: two other operators): provider2 and provider3, too dear for
	// these jobs, with their workers' audit keys published.
	for _, n := range []string{"2", "3"} {
		_, err = cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", "1000000usovra", "--worker", net.AccountAddress("worker"+n), "--profile", "cuda-sm89-f16-greedy-v1",
			"--max-jobs", "4", "--from", "provider"+n)
		require.NoError(t, err)
		_, err = cli.Tx("provider", "set-audit-key", "--from", "worker"+n)
		require.NoError(t, err)
	}

	// Job 1: submitted, assigned, committed by the worker key, settled and paid.
	aliceBefore, err := cli.Balance(alice, "usovra")
	require.NoError(t, err)
	pendingBefore := pending(t, cli, prov)
	res, err := cli.Tx("task", "submit", "demo-tiny", "Once upon a time", "--max-tokens", "16",
		"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
	require.NoError(t, err)
	jobID, err := res.JobID()
	require.NoError(t, err, "submit tx has an EventJobSubmitted")
	id := strconv.FormatUint(jobID, 10)

	j := waitStatus(t, cli, id, "JOB_STATUS_ASSIGNED", 30*time.Second)
	require.Equal(t, prov, j.Job.Provider)

	result := filepath.Join(t.TempDir(), "result.json")
	text := " there was a tiny model."
	require.NoError(t, os.WriteFile(result, []byte(`{"prompt_tokens":[1,9038,2501,263,931],`+
		`"output_tokens":[727,471,263,21577,1904,29889,13,2,5,6,7,8],"stop_token":2,"text":"`+text+`",`+
		`"trace":{"chosen":[-1,-2,-3,-4,-5,-6,-7,-8,-9,-10,-11,-12,-13],"top":[-1,-2,-3,-4,-5,-6,-7,-8,-9,-10,-11,-12,-13]}}`), 0o600))
	_, err = cli.Tx("task", "commit-result", id, "--output-file", result, "--from", "worker1", "--gas", "300000")
	require.NoError(t, err)

	j = waitStatus(t, cli, id, "JOB_STATUS_SETTLED", 30*time.Second)
	fee := sdkmath.NewInt(10 * (5 + 12))
	require.Equal(t, fee.String(), j.Job.FeePaid.Amount.String(), "fee = price x (prompt + output tokens)")
	require.Equal(t, sdkmath.NewInt(100_000).Sub(fee).String(), j.Job.Refunded.Amount.String())

	aliceAfter, err := cli.Balance(alice, "usovra")
	require.NoError(t, err)
	require.Equal(t, aliceBefore.Sub(fee).String(), aliceAfter.String(), "alice paid exactly the fee (gas is free on the localnet)")

	var params struct {
		Params rewardstypes.Params `json:"params"`
	}
	require.NoError(t, cli.QueryJSON(&params, "rewards", "params"))
	share := rewardstypes.SplitFee(sdk.NewCoins(sdk.NewCoin("usovra", fee)), params.Params).Provider.AmountOf("usovra")
	require.True(t, share.IsPositive())
	require.Equal(t, pendingBefore.Add(share).String(), pending(t, cli, prov).String(), "pending rose by exactly the provider share")

	out, err := cli.Run("q", "task", "output", id, "--from", "alice", "--keyring-backend", "test")
	require.NoError(t, err)
	require.Contains(t, out, text, "the submitter decrypts the sealed output")
	_, err = cli.Run("q", "task", "output", id, "--from", "bob", "--keyring-backend", "test")
	require.Error(t, err, "nobody else can decrypt it")

	provBefore, err := cli.Balance(prov, "usovra")
	require.NoError(t, err)
	owed := pending(t, cli, prov)
	_, err = cli.Tx("rewards", "claim", "--from", "provider1")
	require.NoError(t, err)
	provAfter, err := cli.Balance(prov, "usovra")
	require.NoError(t, err)
	require.Equal(t, provBefore.Add(owed).String(), provAfter.String(), "the claim paid out the pending rewards")
	require.True(t, pending(t, cli, prov).IsZero())

	// Job 2: assigned, never committed, expires and is refunded in full.
	aliceBefore = aliceAfter
	res, err = cli.Tx("task", "submit", "demo-tiny", "Tell me a story", "--max-tokens", "8",
		"--max-fee", "50000usovra", "--deadline", "3", "--from", "alice", "--gas", "300000")
	require.NoError(t, err)
	jobID2, err := res.JobID()
	require.NoError(t, err)
	id2 := strconv.FormatUint(jobID2, 10)
	mid, err := cli.Balance(alice, "usovra")
	require.NoError(t, err)
	require.Equal(t, aliceBefore.SubRaw(50_000).String(), mid.String(), "the fee is escrowed")
	waitStatus(t, cli, id2, "JOB_STATUS_EXPIRED", 40*time.Second)
	aliceEnd, err := cli.Balance(alice, "usovra")
	require.NoError(t, err)
	require.Equal(t, aliceBefore.String(), aliceEnd.String(), "an expired job is refunded in full")

	var provider struct {
		Provider struct {
			JobsDone   json.Number `json:"jobs_done"`
			JobsMissed json.Number `json:"jobs_missed"`
		} `json:"provider"`
	}
	require.NoError(t, cli.QueryJSON(&provider, "provider", "show", prov))
	require.Equal(t, "1", provider.Provider.JobsDone.String())
	require.Equal(t, "1", provider.Provider.JobsMissed.String())

	var settled struct {
		Jobs []struct {
			ID json.Number `json:"id"`
		} `json:"jobs"`
	}
	require.NoError(t, cli.QueryJSON(&settled, "task", "jobs", "--status", "settled"))
	require.Len(t, settled.Jobs, 1)
	require.Equal(t, id, settled.Jobs[0].ID.String())
}
