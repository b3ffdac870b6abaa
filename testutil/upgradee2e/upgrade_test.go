// Package upgradee2e_test upgrades a real network: sovrad processes started with the
// normal binary ($SOVRAD_BIN or a build of ./cmd/sovrad) are stopped by x/upgrade at a
// plan's height and restarted with the test upgrade's binary ($SOVRAD_TESTUPGRADE_BIN or
// a build with -tags sovra_testupgrade).
package upgradee2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/sovra-network/sovra/app/upgrades"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
)

func TestMain(m *testing.M) { e2e.Main(m) }

// TestUpgradeBinaryEnv names a prebuilt test-upgrade binary (make build-testupgrade).
const TestUpgradeBinaryEnv = "SOVRAD_TESTUPGRADE_BIN"

// testUpgradeBinary is $SOVRAD_TESTUPGRADE_BIN, or ./cmd/sovrad built with the tag
// sovra_testupgrade into the test's temporary directory.
func testUpgradeBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(TestUpgradeBinaryEnv); p != "" {
		abs, err := filepath.Abs(p)
		require.NoError(t, err)
		st, err := os.Stat(abs)
		require.NoError(t, err, "%s=%s", TestUpgradeBinaryEnv, p)
		require.False(t, st.IsDir(), "%s=%s is a directory", TestUpgradeBinaryEnv, p)
		return abs
	}
	root, err := e2e.RepoRoot()
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "sovrad-"+upgrades.TestUpgradeName)
	start := time.Now()
	cmd := exec.Command("go", "build", "-buildvcs=false", "-tags", upgrades.TestUpgradeBuildTag, "-o", out, "./cmd/sovrad")
	cmd.Dir = root
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Run(), "go build -tags %s ./cmd/sovrad:\n%s", upgrades.TestUpgradeBuildTag, log.String())
	t.Logf("built the %s binary in %s", upgrades.TestUpgradeName, time.Since(start).Round(time.Second))
	return out
}

// The localnet's params for this test: a vote of 10 s, audits likely (0.45, two
// verifiers each) so that an audit is done before the upgrade, and a community share for
// the test upgrade's migration to burn.
func mutate(c *localnet.Config) {
	state := c.AppState()
	state["gov"] = map[string]any{"params": map[string]any{"voting_period": "10s", "expedited_voting_period": "5s"}}
	state["verify"] = map[string]any{"params": map[string]any{
		"audit_rate": "0.45", "verifiers_per_audit": 2, "escalation_k": 3,
		"open_phase_blocks": "30", "commit_phase_blocks": "30", "reveal_phase_blocks": "30",
		"logprob_tolerance": 64, "mean_logprob_tolerance_milli": 16000, "margin_tolerance": 64, "interval_tolerance": 8388608,
		"provider_slash_fraction": "0.1", "verifier_slash_fraction": "0.02", "bounty_fraction": "0.5",
		"collateral_multiplier": "3",
	}}
	state["rewards"] = map[string]any{"params": map[string]any{
		"provider_share": "0.05", "verification_share": "0.9", "validator_share": "0",
		"community_share": "0.05", "burn_share": "0",
	}}
}

// TestSoftwareUpgradeEndToEnd: on two validators, with providers bonded, jobs settled,
// an audit passed and rewards unclaimed, a software-upgrade proposal for v2-test passes
// by governance; both nodes stop at the plan's height (UPGRADE "v2-test" NEEDED in their
// logs, upgrade-info.json written); restarted with the test upgrade's binary they apply
// it (x/rewards 1 -> 2 burns the community share) and go on producing blocks; bonds,
// jobs, audits, rewards and balances query the same as before; a new job is assigned,
// committed and settled, its fee split with the migrated params.
func TestSoftwareUpgradeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	v2 := testUpgradeBinary(t)
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 2, Mutate: mutate})
	cli := e2e.NewCLI(t, net)
	d := &driver{t: t, cli: cli, dir: t.TempDir(), alice: net.AccountAddress("alice")}
	d.writeFiles()

	// Three providers, each its own worker, with their audit keys.
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("provider%d", i)
		_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", "10usovra", "--worker", net.AccountAddress(name),
			"--profile", "cpu-x64-f32-greedy-v1", "--max-jobs", "4", "--from", name)
		require.NoError(t, err)
		_, err = cli.Tx("provider", "set-audit-key", "--from", name)
		require.NoError(t, err)
		d.nameOf[net.AccountAddress(name)] = name
	}
	// Jobs until one has been audited (and passed); the others settled unaudited.
	for n := 0; !d.sawAudit; n++ {
		require.Less(t, n, 12, "12 jobs and none audited")
		d.runJob()
	}

	// The upgrade, proposed by validator 0 and voted by both.
	h, err := cli.Height()
	require.NoError(t, err)
	upgradeHeight := h + 30
	v0, v1 := net.Validator(0).Name, net.Validator(1).Name
	_, err = cli.Tx("upgrade", "software-upgrade", upgrades.TestUpgradeName, "--upgrade-height", strconv.FormatInt(upgradeHeight, 10),
		"--title", "v2-test", "--summary", "the test upgrade", "--deposit", "10000000usovra", "--no-validate", "--from", v0)
	require.NoError(t, err)
	var props struct {
		Proposals []struct {
			ID json.Number `json:"id"`
		} `json:"proposals"`
	}
	require.NoError(t, cli.QueryJSON(&props, "gov", "proposals"))
	require.Len(t, props.Proposals, 1)
	id := props.Proposals[0].ID.String()
	for _, v := range []string{v0, v1} {
		_, err = cli.Tx("gov", "vote", id, "yes", "--from", v)
		require.NoError(t, err)
	}
	d.waitFor("the proposal to pass", 40*time.Second, func() bool {
		var p struct {
			Proposal struct {
				Status string `json:"status"`
			} `json:"proposal"`
		}
		require.NoError(t, cli.QueryJSON(&p, "gov", "proposal", id))
		require.NotEqual(t, "PROPOSAL_STATUS_REJECTED", p.Proposal.Status)
		return p.Proposal.Status == "PROPOSAL_STATUS_PASSED"
	})
	var plan struct {
		Plan struct {
			Name   string      `json:"name"`
			Height json.Number `json:"height"`
		} `json:"plan"`
	}
	require.NoError(t, cli.QueryJSON(&plan, "upgrade", "plan"))
	require.Equal(t, upgrades.TestUpgradeName, plan.Plan.Name)
	require.Equal(t, strconv.FormatInt(upgradeHeight, 10), plan.Plan.Height.String())
	now, err := cli.Height()
	require.NoError(t, err)
	require.Less(t, now, upgradeHeight-2, "the vote took too long: the chain is about to reach the upgrade height")
	before := d.snapshot()
	paramsBefore := d.rewardsParams()

	// Both nodes stop at the plan's height: the old binary has no handler for v2-test.
	needed := fmt.Sprintf("UPGRADE %q NEEDED at height: %d", upgrades.TestUpgradeName, upgradeHeight)
	d.waitFor("both nodes to stop at the upgrade height", time.Duration(upgradeHeight-now)*3*time.Second+30*time.Second, func() bool {
		for i := 0; i < net.NumValidators(); i++ {
			raw, err := os.ReadFile(net.NodeLog(i))
			require.NoError(t, err)
			if !bytes.Contains(raw, []byte(needed)) {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // nothing more is decided or committed
	for i := 0; i < net.NumValidators(); i++ {
		// CometBFT stored the decided block H; the app committed H-1 and stopped.
		got, err := cli.WithNode(net.RPC(i)).Height()
		require.NoError(t, err, "validator %d answers while halted", i)
		require.Equal(t, upgradeHeight, got, "validator %d's last block", i)
		code, body := e2e.Get(t, net.RPC(i)+"/abci_info")
		require.Equal(t, 200, code, body)
		var info struct {
			Result struct {
				Response struct {
					LastBlockHeight json.Number `json:"last_block_height"`
				} `json:"response"`
			} `json:"result"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &info))
		require.Equal(t, strconv.FormatInt(upgradeHeight-1, 10), info.Result.Response.LastBlockHeight.String(),
			"validator %d's app committed up to the block before the plan", i)
		raw, err := os.ReadFile(filepath.Join(net.Validator(i).Home, "data", upgradetypes.UpgradeInfoFilename))
		require.NoError(t, err, "validator %d wrote upgrade-info.json", i)
		var planInfo upgradetypes.Plan
		require.NoError(t, json.Unmarshal(raw, &planInfo))
		require.Equal(t, upgrades.TestUpgradeName, planInfo.Name)
		require.Equal(t, upgradeHeight, planInfo.Height)
	}

	// Restart both with the binary that has the handler.
	require.NoError(t, net.Stop())
	require.NoError(t, net.SetBinary(v2))
	require.NoError(t, net.Start())
	cli = e2e.NewCLI(t, net)
	d.cli = cli
	e2e.WaitForHeight(t, net, upgradeHeight+2, 90*time.Second)
	for i := 0; i < net.NumValidators(); i++ {
		require.Contains(t, net.LogTail(i, 1<<20), fmt.Sprintf("applying upgrade %q at height: %d", upgrades.TestUpgradeName, upgradeHeight),
			"validator %d applied the upgrade", i)
	}
	var applied struct {
		Height json.Number `json:"height"`
	}
	require.NoError(t, cli.QueryJSON(&applied, "upgrade", "applied", upgrades.TestUpgradeName))
	require.Equal(t, strconv.FormatInt(upgradeHeight, 10), applied.Height.String())
	var versions struct {
		ModuleVersions []struct {
			Name    string      `json:"name"`
			Version json.Number `json:"version"`
		} `json:"module_versions"`
	}
	require.NoError(t, cli.QueryJSON(&versions, "upgrade", "module-versions", rewardstypes.ModuleName))
	require.Len(t, versions.ModuleVersions, 1)
	require.Equal(t, "2", versions.ModuleVersions[0].Version.String(), "x/rewards migrated to version 2")
	paramsAfter := d.rewardsParams()
	want := paramsBefore
	want.BurnShare, want.CommunityShare = paramsBefore.BurnShare.Add(paramsBefore.CommunityShare), sdkmath.LegacyZeroDec()
	require.Equal(t, want.String(), paramsAfter.String(), "the migration burns the community share")
	after := d.snapshot()
	for k, v := range before {
		require.Equal(t, v, after[k], "%s changed across the upgrade", k)
	}

	// A new job on the upgraded chain, its fee split with the migrated params.
	job, split := d.runJob()
	fee := sdk.NewCoins(job.FeePaid)
	require.Equal(t, rewardstypes.SplitFee(fee, paramsAfter).Burned.String(), split.Burned.String(), "burned part of job %s's fee", job.ID)
	require.True(t, split.Burned.IsAllPositive(), "job %s burned nothing: %s", job.ID, split.Burned)
	require.True(t, split.Community.IsZero(), "job %s still paid the community pool: %s", job.ID, split.Community)
}

// driver runs jobs and audits through the CLI, each provider being its own worker.
type driver struct {
	t        *testing.T
	cli      *e2e.CLI
	dir      string
	nameOf   map[string]string // provider address -> key name
	alice    string
	sawAudit bool
	jobs     []string
}

type jobView struct {
	ID        string   `json:"id"`
	Status    string   `json:"status"`
	Provider  string   `json:"provider"`
	FeePaid   sdk.Coin `json:"fee_paid"`
	EndHeight string   `json:"end_height"`
}

func (d *driver) job(id string) jobView {
	d.t.Helper()
	var j struct {
		Job jobView `json:"job"`
	}
	require.NoError(d.t, d.cli.QueryJSON(&j, "task", "job", id))
	return j.Job
}

func (d *driver) waitFor(what string, timeout time.Duration, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		require.True(d.t, time.Now().Before(deadline), "timed out after %s waiting for %s", timeout, what)
		time.Sleep(300 * time.Millisecond)
	}
}

func (d *driver) file(name string) string { return filepath.Join(d.dir, name) }

// writeFiles writes the provider's result (3 output tokens ended by the stop token) and
// the traces of the provider and of the verifiers (within the demo model's tolerances).
func (d *driver) writeFiles() {
	d.nameOf = map[string]string{}
	for name, body := range map[string]string{
		"result.json": `{"prompt_tokens":[1,9038,2501],"output_tokens":[727,471,263],"stop_token":2,"text":" a b",` +
			`"salt":"` + strings.Repeat("5a", 32) + `","trace":{"chosen":[-100,-2000,-350,-40],"top":[-100,-2000,-350,-40]}}`,
		"provider-trace.json": `{"chosen":[-100,-2000,-350,-40],"top":[-100,-2000,-350,-40]}`,
		"verifier-trace.json": `{"chosen":[-100,-2000,-351,-40],"top":[-100,-2000,-350,-40],"challenge":[-9000,-7000,-12000,-5000]}`,
	} {
		require.NoError(d.t, os.WriteFile(d.file(name), []byte(body), 0o600))
	}
}

// runJob submits a job from alice, commits its result with the assigned provider's key,
// drives its audit to a pass when it is audited, and returns the settled job and the
// fee split its settlement emitted.
func (d *driver) runJob() (jobView, *rewardstypes.EventFeeDistributed) {
	t, cli := d.t, d.cli
	t.Helper()
	res, err := cli.Tx("task", "submit", "demo-tiny", "Once upon a time", "--max-tokens", "8",
		"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
	require.NoError(t, err)
	n, err := res.JobID()
	require.NoError(t, err)
	id := strconv.FormatUint(n, 10)
	d.jobs = append(d.jobs, id)
	d.waitFor("job "+id+" to be assigned", 30*time.Second, func() bool { return d.job(id).Status == "JOB_STATUS_ASSIGNED" })
	prov := d.nameOf[d.job(id).Provider]
	require.NotEmpty(t, prov, "job %s assigned to an unknown provider", id)
	out, err := cli.Run("tx", "task", "commit-result", id, "--output-file", d.file("result.json"), "--from", prov,
		"--gas", "300000", "--yes", "--output", "json")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var committed map[string]string
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &committed), out)
	outputHash, salt := committed["output_hash"], committed["salt"]

	var status string
	d.waitFor("job "+id+"'s audit decision", 30*time.Second, func() bool {
		status = d.job(id).Status
		return status == "JOB_STATUS_AUDITING" || status == "JOB_STATUS_SETTLED"
	})
	if status == "JOB_STATUS_AUDITING" {
		d.passAudit(id, prov, outputHash, salt)
	}
	d.waitFor("job "+id+" to settle", 30*time.Second, func() bool { return d.job(id).Status == "JOB_STATUS_SETTLED" })
	j := d.job(id)
	end, err := strconv.ParseInt(j.EndHeight, 10, 64)
	require.NoError(t, err)
	return j, d.feeSplit(end, j.Provider)
}

// passAudit: the provider opens its result to both verifiers, they commit their
// re-scoring, everyone reveals, the audit passes.
func (d *driver) passAudit(id, prov, outputHash, salt string) {
	t, cli := d.t, d.cli
	t.Helper()
	var a struct {
		Audit struct {
			Status    string `json:"status"`
			Verifiers []struct {
				Operator string `json:"operator"`
			} `json:"verifiers"`
		} `json:"audit"`
	}
	require.NoError(t, cli.QueryJSON(&a, "verify", "audit", id))
	require.Len(t, a.Audit.Verifiers, 2)
	_, err := cli.Tx("verify", "open", id, "--claimed", d.file("result.json"), "--from", prov)
	require.NoError(t, err)
	salts := []string{strings.Repeat("ab", 32), strings.Repeat("cd", 32)}
	for i, v := range a.Audit.Verifiers {
		_, err = cli.Tx("verify", "commit", id, outputHash, "--trace", d.file("verifier-trace.json"), "--salt", salts[i],
			"--operator", v.Operator, "--from", d.nameOf[v.Operator])
		require.NoError(t, err)
	}
	_, err = cli.Tx("verify", "reveal", id, outputHash, salt, "--trace", d.file("provider-trace.json"), "--from", prov)
	require.NoError(t, err)
	for i, v := range a.Audit.Verifiers {
		_, err = cli.Tx("verify", "reveal", id, outputHash, salts[i], "--trace", d.file("verifier-trace.json"), "--from", d.nameOf[v.Operator])
		require.NoError(t, err)
	}
	require.NoError(t, cli.QueryJSON(&a, "verify", "audit", id))
	require.Equal(t, "AUDIT_STATUS_PASSED", a.Audit.Status)
	d.sawAudit = true
}

// feeSplit finds the x/rewards EventFeeDistributed of provider's job in the block at
// height (its end-block events or a transaction's: a verdict settles in the reveal).
func (d *driver) feeSplit(height int64, provider string) *rewardstypes.EventFeeDistributed {
	t := d.t
	t.Helper()
	code, body := e2e.Get(t, fmt.Sprintf("%s/block_results?height=%d", d.cli.Node, height))
	require.Equal(t, 200, code, body)
	var res struct {
		Result struct {
			FinalizeBlockEvents []abci.Event `json:"finalize_block_events"`
			TxsResults          []struct {
				Events []abci.Event `json:"events"`
			} `json:"txs_results"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	events := res.Result.FinalizeBlockEvents
	for _, tx := range res.Result.TxsResults {
		events = append(events, tx.Events...)
	}
	evs, err := rewardstypes.ParseEvents(events)
	require.NoError(t, err)
	for _, ev := range evs {
		if fd, ok := ev.(*rewardstypes.EventFeeDistributed); ok && fd.Provider == provider {
			return fd
		}
	}
	t.Fatalf("no fee split for %s in block %d", provider, height)
	return nil
}

func (d *driver) rewardsParams() rewardstypes.Params {
	d.t.Helper()
	var p struct {
		Params struct {
			ProviderShare     string `json:"provider_share"`
			VerificationShare string `json:"verification_share"`
			ValidatorShare    string `json:"validator_share"`
			CommunityShare    string `json:"community_share"`
			BurnShare         string `json:"burn_share"`
		} `json:"params"`
	}
	require.NoError(d.t, d.cli.QueryJSON(&p, "rewards", "params"))
	dec := func(s string) sdkmath.LegacyDec {
		v, err := sdkmath.LegacyNewDecFromStr(s)
		require.NoError(d.t, err, s)
		return v
	}
	return rewardstypes.Params{
		ProviderShare: dec(p.Params.ProviderShare), VerificationShare: dec(p.Params.VerificationShare),
		ValidatorShare: dec(p.Params.ValidatorShare), CommunityShare: dec(p.Params.CommunityShare), BurnShare: dec(p.Params.BurnShare),
	}
}

// snapshot is what the upgrade must not change, each as the CLI prints it: providers and
// their bonds, every job, every audit and the audit counters, the other modules' params,
// every pending reward, the verification pool, and the balances of the accounts that
// took part.
func (d *driver) snapshot() map[string]string {
	d.t.Helper()
	out := map[string]string{}
	q := func(args ...string) {
		text, err := d.cli.Run(append(append([]string{"q"}, args...), "--output", "json")...)
		require.NoError(d.t, err)
		out[strings.Join(args, " ")] = strings.TrimSpace(text)
	}
	q("provider", "list")
	q("provider", "params")
	q("task", "jobs")
	q("task", "params")
	q("verify", "audits")
	q("verify", "stats")
	q("verify", "params")
	q("rewards", "verification-pool")
	for addr := range d.nameOf {
		q("rewards", "pending", addr)
		q("bank", "balances", addr)
	}
	q("bank", "balances", d.alice)
	for _, id := range d.jobs {
		q("task", "job", id)
	}
	require.Contains(d.t, out["verify audits"], "AUDIT_STATUS_PASSED")
	return out
}
