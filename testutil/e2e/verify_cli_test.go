package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

type auditView struct {
	Audit struct {
		Status    string `json:"status"`
		Provider  string `json:"provider"`
		Verifiers []struct {
			Operator string `json:"operator"`
		} `json:"verifiers"`
	} `json:"audit"`
}

// TestAuditByHandThroughTheCLI: an operator's whole part in an audit, by hand, through
// `sovrad tx provider set-audit-key`, `sovrad tx verify open|commit|reveal` and `sovrad q
// verify ...`: the provider commits a result with its trace, the job is audited
// (audit_rate 0.9), the provider opens the claimed tokens to the drawn verifier, which
// commits its own trace (within tolerance, other hardware), both reveal, the audit passes
// and the verifier is paid; wrong signers, wrong phases, a second commit, a wrong salt and
// a trace that does not fit the token counts are refused on the way.
func TestAuditByHandThroughTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sovrad process")
	}
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 1, Mutate: func(c *localnet.Config) {
		state := c.AppState()
		state["verify"] = map[string]any{"params": map[string]any{
			"audit_rate": "0.45", "verifiers_per_audit": 2, "escalation_k": 3,
			"open_phase_blocks": "30", "commit_phase_blocks": "30", "reveal_phase_blocks": "30",
			"logprob_tolerance": 64, "mean_logprob_tolerance_milli": 16000, "margin_tolerance": 64, "interval_tolerance": 8388608,
			"provider_slash_fraction": "0.1", "verifier_slash_fraction": "0.02", "bounty_fraction": "0.5",
			"collateral_multiplier": "3",
		}}
		state["rewards"] = map[string]any{"params": map[string]any{
			"provider_share": "0.1", "verification_share": "0.9", "validator_share": "0",
			"community_share": "0", "burn_share": "0",
		}}
	}})
	cli := e2e.NewCLI(t, net)
	workerOf := map[string]string{}
	for i := 1; i <= 3; i++ {
		prov, worker := fmt.Sprintf("provider%d", i), fmt.Sprintf("worker%d", i)
		workerOf[net.AccountAddress(prov)] = worker
		_, err := cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
			"--price-per-token", "10usovra", "--worker", net.AccountAddress(worker),
			"--profile", "cpu-x64-f32-greedy-v1", "--max-jobs", "4", "--from", prov)
		require.NoError(t, err)
		// The worker key publishes its audit key (sovra-worker does this at its start).
		_, err = cli.Tx("provider", "set-audit-key", "--from", worker)
		require.NoError(t, err)
	}
	dir := t.TempDir()
	// The provider's result: 3 output tokens ended by the stop token 2, and its trace (four
	// positions, each claimed token the top one, log-probabilities in 1/1024 nat).
	result := filepath.Join(dir, "result.json")
	require.NoError(t, os.WriteFile(result, []byte(`{"prompt_tokens":[1,9038,2501],"output_tokens":[727,471,263],"stop_token":2,"text":" a b",
		"salt":"`+strings.Repeat("5a", 32)+`","trace":{"chosen":[-100,-2000,-350,-40],"top":[-100,-2000,-350,-40]}}`), 0o600))
	// The verifiers' re-scoring on other hardware: within the demo model's tight tolerances
	// (config.yml), with challenge values.
	verifierTrace := filepath.Join(dir, "verifier-trace.json")
	require.NoError(t, os.WriteFile(verifierTrace, []byte(`{"chosen":[-100,-2000,-351,-40],"top":[-100,-2000,-350,-40],"challenge":[-9000,-7000,-12000,-5000]}`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "short-trace.json"), []byte(`{"chosen":[-100,-2000,-350],"top":[-100,-2000,-350]}`), 0o600))
	providerTrace := filepath.Join(dir, "provider-trace.json")
	require.NoError(t, os.WriteFile(providerTrace, []byte(`{"chosen":[-100,-2000,-350,-40],"top":[-100,-2000,-350,-40]}`), 0o600))

	// Jobs until one is audited (each is with probability 0.45).
	var id, providerWorker, outputHash, salt string
	for n := 0; ; n++ {
		require.Less(t, n, 12, "12 results and none audited")
		res, err := cli.Tx("task", "submit", "demo-tiny", "Once upon a time", "--max-tokens", "8",
			"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
		require.NoError(t, err)
		jobID, err := res.JobID()
		require.NoError(t, err)
		id = strconv.FormatUint(jobID, 10)
		j := waitStatus(t, cli, id, "JOB_STATUS_ASSIGNED", 30*time.Second)
		providerWorker = workerOf[j.Job.Provider]
		out, err := cli.Run("tx", "task", "commit-result", id, "--output-file", result, "--from", providerWorker,
			"--gas", "300000", "--yes", "--output", "json")
		require.NoError(t, err)
		var committed map[string]string
		require.NoError(t, json.Unmarshal([]byte(lastLine(out)), &committed), out)
		outputHash, salt = committed["output_hash"], committed["salt"]
		if waitDecision(t, cli, id) == "JOB_STATUS_AUDITING" {
			break
		}
	}

	var a auditView
	require.NoError(t, cli.QueryJSON(&a, "verify", "audit", id))
	require.Equal(t, "AUDIT_STATUS_OPEN", a.Audit.Status)
	require.Len(t, a.Audit.Verifiers, 2)
	verifier, second := a.Audit.Verifiers[0].Operator, a.Audit.Verifiers[1].Operator
	require.NotEqual(t, a.Audit.Provider, verifier, "the provider never verifies itself")
	require.NotEqual(t, a.Audit.Provider, second, "the provider never verifies itself")
	verifierWorker, secondWorker := workerOf[verifier], workerOf[second]
	verifierSalt, secondSalt := strings.Repeat("ab", 32), strings.Repeat("cd", 32)

	refused := func(want string, args ...string) {
		t.Helper()
		_, err := cli.Tx(args...)
		require.Error(t, err, "%v", args)
		require.Contains(t, err.Error(), want, "%v", args)
	}
	refused("not AUDIT_STATUS_COMMIT", "verify", "commit", id, outputHash, "--trace", verifierTrace, "--salt", verifierSalt, "--from", verifierWorker)
	refused("not the provider", "verify", "open", id, "--claimed", result, "--from", verifierWorker)
	refused("job is not under audit", "verify", "commit", "999999", outputHash, "--trace", verifierTrace, "--from", verifierWorker)

	// The provider's worker seals the claimed tokens to the verifier's audit key; the
	// commit phase opens at once.
	_, err := cli.Tx("verify", "open", id, "--claimed", result, "--from", providerWorker)
	require.NoError(t, err)
	require.NoError(t, cli.QueryJSON(&a, "verify", "audit", id))
	require.Equal(t, "AUDIT_STATUS_COMMIT", a.Audit.Status)
	refused("neither a provider", "verify", "commit", id, outputHash, "--trace", verifierTrace, "--salt", verifierSalt, "--from", "bob")
	refused("not a round-1 verifier", "verify", "commit", id, outputHash, "--trace", verifierTrace, "--salt", verifierSalt, "--from", providerWorker)
	refused("not AUDIT_STATUS_REVEAL", "verify", "reveal", id, outputHash, salt, "--trace", providerTrace, "--from", providerWorker)

	// Each verifier's worker key commits for its operator; the reveal phase opens as soon as
	// both have.
	_, err = cli.Tx("verify", "commit", id, outputHash, "--trace", verifierTrace, "--salt", verifierSalt, "--operator", verifier, "--from", verifierWorker)
	require.NoError(t, err)
	refused("already committed", "verify", "commit", id, outputHash, "--trace", verifierTrace, "--salt", verifierSalt, "--operator", verifier, "--from", verifierWorker)
	_, err = cli.Tx("verify", "commit", id, outputHash, "--trace", verifierTrace, "--salt", secondSalt, "--operator", second, "--from", secondWorker)
	require.NoError(t, err)
	refused("is in AUDIT_STATUS_REVEAL", "verify", "commit", id, outputHash, "--trace", verifierTrace, "--salt", verifierSalt, "--operator", verifier, "--from", verifierWorker)
	refused("do not open", "verify", "reveal", id, outputHash, strings.Repeat("cd", 32), "--trace", providerTrace, "--from", providerWorker)
	refused("does not fit", "verify", "reveal", id, outputHash, salt, "--trace", filepath.Join(dir, "short-trace.json"), "--from", providerWorker)
	_, err = cli.Tx("verify", "reveal", id, outputHash, salt, "--trace", providerTrace, "--from", providerWorker)
	require.NoError(t, err)
	refused("already revealed", "verify", "reveal", id, outputHash, salt, "--trace", providerTrace, "--from", providerWorker)
	_, err = cli.Tx("verify", "reveal", id, outputHash, verifierSalt, "--trace", verifierTrace, "--from", verifierWorker)
	require.NoError(t, err)
	_, err = cli.Tx("verify", "reveal", id, outputHash, secondSalt, "--trace", verifierTrace, "--from", secondWorker)
	require.NoError(t, err)

	require.NoError(t, cli.QueryJSON(&a, "verify", "audit", id))
	require.Equal(t, "AUDIT_STATUS_PASSED", a.Audit.Status)
	waitStatus(t, cli, id, "JOB_STATUS_SETTLED", 10*time.Second)
	var list struct {
		Audits []struct {
			JobID string `json:"job_id"`
		} `json:"audits"`
	}
	require.NoError(t, cli.QueryJSON(&list, "verify", "audits", "--status", "passed", "--verifier", verifier))
	require.Len(t, list.Audits, 1)
	require.Equal(t, id, list.Audits[0].JobID)
	var stats struct {
		Stats struct {
			Passes string `json:"passes"`
		} `json:"stats"`
	}
	require.NoError(t, cli.QueryJSON(&stats, "verify", "stats"))
	require.Equal(t, "1", stats.Stats.Passes)
	require.True(t, pending(t, cli, verifier).IsPositive(), "the verifier is paid from the pool")
	_, err = cli.Run("q", "verify", "audit", "999999")
	require.Error(t, err)

	// The same over REST.
	res, err := http.Get(net.API(0) + "/sovra/verify/v1/audits/" + id)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	require.Contains(t, string(body), "AUDIT_STATUS_PASSED")
}

// waitDecision waits until a committed job is audited or settled and returns its status.
func waitDecision(t *testing.T, cli *e2e.CLI, id string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := getJob(t, cli, id).Job.Status
		if s == "JOB_STATUS_AUDITING" || s == "JOB_STATUS_SETTLED" {
			return s
		}
		require.True(t, time.Now().Before(deadline), "job %s still %s", id, s)
		time.Sleep(300 * time.Millisecond)
	}
}

// lastLine is the last non-empty line of a command's output (its JSON result).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
