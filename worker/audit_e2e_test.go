package worker_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cosmossdk.io/math"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/attack"
	"github.com/sovra-network/sovra/testutil/e2e"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/store"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// The attack tests run the real modules (sovrad processes) and real workers (llama.cpp on
// the generated demo model); the dishonest ones are the same workers with a hook of
// testutil/attack in their Options.

const (
	auditBond     = 10_000_000 // usovra per provider
	auditMaxFee   = 100_000    // usovra per job
	auditMaxToken = 12         // output tokens per job unless auditSetup.maxTokens says otherwise
	auditDenom    = "usovra"
)

// TestCheaterIsSlashed: five providers with real workers, provider5 tampering with 30% of
// its results (attack.Wrong: the first half of the output tokens claimed to end on an
// end-of-generation token, with a made-up trace that claims the top token everywhere: a
// plausible result with another output hash), audit_rate 0.5, one verifier per audit,
// three on escalation (cheaterRunParams). (Five, not four: a job is assigned only when
// three other operators could verify it, so the four honest ones keep getting jobs once
// the cheater is jailed.)
// Jobs from alice and bob, about one per block, until the cheater is caught; then: its
// failed audits are the tampered jobs, their jobs are SLASHED with max_fee refunded, its
// bond shrank by exactly what the audits report as slashed and it is JAILED; the honest
// providers' jobs all settle, every audit of theirs passes and they are never slashed nor
// count a failed or missed audit; and the money adds up (see checkMoney).
func TestCheaterIsSlashed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes and five workers")
	}
	start := time.Now()
	const cheatFraction, cheatSeed = 0.3, 2024
	r := startAuditRun(t, auditSetup{providers: 5, verify: cheaterRunParams()})
	cheater := r.provs[4]
	for i := range r.provs {
		var h worker.Hooks
		if i == 4 {
			h.Tamper = attack.CheatOnFraction(cheatFraction, cheatSeed)
		}
		r.startHookedWorker(i, worker.Options{}, h)
	}
	before := r.snapshot(r.height())

	// Stop rule and cap. The cheat selection is a function of the job id alone
	// (attack.Cheats), so every job id it selects is a chance to catch the cheater: the job
	// goes to the cheater with probability 1/5 (five equal bonds, stake-weighted draw among
	// providers with free capacity: 64 slots each, never full here), is audited with
	// probability 1/2 (the beacon at a height nobody knew at commit time), and an audited
	// tampered result is always caught (the one honest verifier's re-scoring shows that
	// the claimed end of generation is not the model's top token, the escalation draws the
	// three other honest providers, 4 credible dissents against 1). Jobs are
	// submitted until a tampered result of the cheater is under audit (or already failed
	// it), then the audits run out; the test fails once 88 selected ids have passed their
	// audit decision without that, which happens with probability (1 − 1/10)^88 ≈ 9.5e-5 <
	// 1e-4 (about 290 jobs; 33 are needed on average).
	const maxDecided = 88
	var selected []uint64 // cheat-selected ids submitted
	caughtAt := uint64(0)
	for round := 0; caughtAt == 0; round++ {
		for _, id := range r.submitRound(round, 1) {
			if attack.Cheats(cheatFraction, cheatSeed, id) {
				selected = append(selected, id)
			}
		}
		r.waitBlocks(1)
		decided := 0
		for _, id := range selected {
			j := r.job(id)
			switch j.Status {
			case tasktypes.JOB_STATUS_AUDITING, tasktypes.JOB_STATUS_SLASHED:
				if j.Provider == cheater.operator {
					caughtAt = id
				}
				decided++
			case tasktypes.JOB_STATUS_SETTLED:
				decided++
			}
			if caughtAt != 0 {
				break
			}
		}
		require.True(t, caughtAt != 0 || decided < maxDecided,
			"%d cheat-selected jobs decided and no tampered result of the cheater audited", decided)
	}
	t.Logf("a tampered result of the cheater (job %d) is under audit after %d jobs (%d cheat-selected ids), %s into the test",
		caughtAt, len(r.jobIDs), len(selected), time.Since(start).Round(time.Second))

	jobs := r.waitTerminal(r.jobIDs, 150*time.Second)
	after := r.snapshot(r.height())
	t.Logf("all %d jobs ended by height %d, %s into the test", len(jobs), after.height, time.Since(start).Round(time.Second))

	// The cheater: every failed audit is of a tampered job of its own; the job is SLASHED
	// with its max_fee refunded; the bond shrank by exactly what those audits slashed.
	slashedTotal := math.ZeroInt()
	var failedAudits, escalations int
	wantBond := math.NewInt(auditBond)
	params := r.verifyParams()
	byHeight := r.audits(jobs)
	for _, a := range byHeight {
		j := jobs[a.JobId]
		if a.Round == 2 {
			escalations++
		}
		if a.Provider != cheater.operator || !attack.Cheats(cheatFraction, cheatSeed, a.JobId) {
			require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status, "audit of the honest result of job %d (provider %s)", a.JobId, a.Provider)
			require.True(t, a.Slashed.IsZero(), "audit of job %d slashed %s", a.JobId, a.Slashed)
			continue
		}
		require.Equal(t, verifytypes.AUDIT_STATUS_FAILED, a.Status, "audit of the tampered job %d", a.JobId)
		require.Equal(t, uint32(2), a.Round, "a 1-against-1 mismatch escalates")
		require.Equal(t, tasktypes.JOB_STATUS_SLASHED, j.Status, "job %d", a.JobId)
		require.Equal(t, j.MaxFee, j.Refunded, "job %d: the submitter gets max_fee back", a.JobId)
		require.True(t, j.FeePaid.IsZero(), "job %d: the provider is not paid", a.JobId)
		// Provider slash: max(the job's collateral, provider_slash_fraction × bond), then jail.
		want := math.MaxInt(j.Collateral, params.ProviderSlashFraction.MulInt(wantBond).TruncateInt())
		require.Equal(t, sdk.NewCoin(auditDenom, want), a.Slashed, "slashed by the audit of job %d", a.JobId)
		wantBond = wantBond.Sub(want)
		slashedTotal = slashedTotal.Add(a.Slashed.Amount)
		failedAudits++
		for _, v := range a.Verifiers {
			require.True(t, v.Revealed, "verifier %s of job %d revealed", v.Operator, a.JobId)
			require.Equal(t, hex.EncodeToString(v.OutputHash), hex.EncodeToString(r.verifierHash(t, v.Operator, a.JobId)), "verifier's reveal is its record")
		}
	}
	require.GreaterOrEqual(t, failedAudits, 1)
	c := after.providers[cheater.operator]
	require.Equal(t, providertypes.PROVIDER_STATUS_JAILED, c.Status, "the cheater is jailed")
	require.GreaterOrEqual(t, c.AuditsFailed, uint64(1))
	require.Equal(t, uint64(failedAudits), c.AuditsFailed)
	require.Equal(t, before.providers[cheater.operator].Bond.Amount.Sub(slashedTotal), c.Bond.Amount,
		"the cheater's bond shrank by exactly the amount its audits slashed")
	require.Equal(t, wantBond, c.Bond.Amount)
	for id, j := range jobs {
		if j.Status == tasktypes.JOB_STATUS_SLASHED {
			require.Equal(t, cheater.operator, j.Provider, "job %d", id)
		}
	}

	// The honest providers: every job of theirs settled, never slashed, no failed or
	// missed audit.
	for _, p := range r.provs[:4] {
		pa, pb := after.providers[p.operator], before.providers[p.operator]
		require.Equal(t, providertypes.PROVIDER_STATUS_ACTIVE, pa.Status, "%s", p.name)
		require.Equal(t, pb.Bond, pa.Bond, "%s was slashed", p.name)
		require.Zero(t, pa.AuditsFailed, "%s audits_failed", p.name)
		require.Zero(t, pa.AuditsMissed, "%s audits_missed", p.name)
	}
	for id, j := range jobs {
		if j.Provider != cheater.operator {
			require.Equal(t, tasktypes.JOB_STATUS_SETTLED, j.Status, "job %d of honest %s", id, j.Provider)
		}
	}
	r.checkMoney(before, after, jobs)

	stats := r.stats()
	ratio, verifierMs, providerMs := r.overhead()
	selectedUpTo := 0
	for _, id := range selected {
		if id <= caughtAt {
			selectedUpTo++
		}
	}
	t.Logf("caught after %d jobs (job %d; %d of them cheat-selected); %d jobs in all, %d audited, %d escalated, %d failed; "+
		"cheater slashed %s%s, bond %s -> %s; verify stats %+v; verifier re-scoring / provider inference %.3f (%d / %d ms; a re-run would be ≈ audit_rate × k = 0.5); %s",
		r.position(caughtAt), caughtAt, selectedUpTo, len(jobs), len(byHeight), escalations, failedAudits, slashedTotal, auditDenom,
		before.providers[cheater.operator].Bond, c.Bond, stats, ratio, verifierMs, providerMs, time.Since(start).Round(time.Second))
}

// cheaterRunParams are TestCheaterIsSlashed's verify params: audit_rate 0.5, one verifier,
// three on escalation, collateral 2 × the provider's charge, with 10-block phases instead
// of the localnet's 5, a margin for this shared 2-core machine
// (TestAuditMessagesKeepUpWithLoad runs the localnet's 5-block phases under a heavier
// load). The trace tolerances are the localnet's (the demo model's own).
func cheaterRunParams() map[string]any {
	return map[string]any{
		"audit_rate": "0.5", "verifiers_per_audit": 1, "escalation_k": 3, "collateral_multiplier": "2",
		"commit_phase_blocks": "10", "reveal_phase_blocks": "10",
	}
}

// TestGriefingAndLazyVerifiersAreSlashed: five providers with real workers, all honest as
// providers; as verifiers provider4 griefs (re-scores the claimed output, then reveals
// every claimed token 4 nats below the top: attack.GriefingVerify) and provider5 is lazy
// (runs no model: the right output hash with a guessed trace in round 1, a copy of the
// provider's revealed trace with guessed challenge values in round 2: attack.CopyVerify).
// Nearly every result is audited (audit_rate 0.9; 1.0 cannot be: the rewards'
// provider_share must stay positive, and the verification_share must reach audit_rate ×
// k). Jobs until both attackers have lost an escalation; then: every job settled and every
// audit passed (the majority of five is honest whoever is drawn), both attackers lost
// their stake (verifier_slash_fraction × bond, locked when drawn) at each audit they were
// not paid in, never more, and the honest providers never.
func TestGriefingAndLazyVerifiersAreSlashed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes and five workers")
	}
	start := time.Now()
	r := startAuditRun(t, auditSetup{
		providers: 5,
		verify: map[string]any{
			"audit_rate": "0.9", "verifiers_per_audit": 1, "escalation_k": 3, "collateral_multiplier": "2",
			"verifier_slash_fraction": "0.02",
			// See cheaterRunParams.
			"commit_phase_blocks": "10", "reveal_phase_blocks": "10",
		},
		rewards: map[string]any{
			"provider_share": "0.05", "verification_share": "0.9", "validator_share": "0.05",
			"community_share": "0", "burn_share": "0",
		},
	})
	griefer, lazy := r.provs[3], r.provs[4]
	for i := range r.provs {
		var h worker.Hooks
		switch i {
		case 3:
			h.Verify = attack.GriefingVerify
		case 4:
			h.Verify = attack.CopyVerify
		}
		r.startHookedWorker(i, worker.Options{}, h)
	}
	before := r.snapshot(r.height())

	// Cap: a job is decisive when its provider is honest (3/5), it is audited (0.9) and its
	// round-1 verifier, drawn stake-weighted among the four others, is an attacker (2/4):
	// that verifier's trace does not support the provider's, and the escalation draws all
	// three remaining providers (escalation_k 3, capacity never full), the other attacker
	// among them, so both end unpaid: neither trace is confirmed by an honest peer (the
	// griefer's claimed values are 4 nats off, the copier's challenge values are guessed)
	// while the two honest escalation verifiers confirm each other. Each job is
	// decisive with probability ≥ 0.6 × 0.9 × 0.48 ≈ 0.26 whatever came before (0.48: the
	// attackers' bonds shrink by 2% per slash), so the test fails once 32 jobs have ended
	// without both slashed, with probability ≤ 0.74^32 ≈ 6.5e-5 < 1e-4.
	const maxEnded = 32
	caught := func() bool {
		for _, p := range []auditProvider{griefer, lazy} {
			if r.provider(p.operator).AuditsFailed == 0 {
				return false
			}
		}
		return true
	}
	for round := 0; !caught(); round++ {
		ended := 0
		for _, id := range r.jobIDs {
			if terminal(r.job(id).Status) {
				ended++
			}
		}
		require.Less(t, ended, maxEnded, "%d jobs ended and the griefer and the lazy verifier not both slashed", ended)
		// Two jobs every four blocks or so: nearly all are audited and the attackers'
		// dissents escalate to three more verifiers, about six transactions per job
		// spread over five workers that send them one at a time (see cheaterRunParams).
		r.submitRound(round, 1)
		r.waitBlocks(3)
	}
	t.Logf("both attackers lost an audit after %d jobs, %s into the test", len(r.jobIDs), time.Since(start).Round(time.Second))
	jobs := r.waitTerminal(r.jobIDs, 150*time.Second)
	after := r.snapshot(r.height())

	audits := r.audits(jobs)
	params, tol := r.verifyParams(), r.tolerances()
	lost := map[string]int{}          // unpaid verifications per operator
	escalated := map[string]int{}     // escalations an attacker lost
	stakes := map[string]math.Int{}   // the stakes of its lost verifications
	verifierSlashed := math.ZeroInt() // what the audits slashed (verifiers only: every audit passes)
	for _, a := range audits {
		require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status, "audit of the honest result of job %d", a.JobId)
		require.Equal(t, tasktypes.JOB_STATUS_SETTLED, jobs[a.JobId].Status, "job %d", a.JobId)
		verifierSlashed = verifierSlashed.Add(a.Slashed.Amount)
		paid := paidVerifiers(a, jobs[a.JobId].Sampling, tol)
		for i, v := range a.Verifiers {
			require.NotEmpty(t, v.Opening, "the provider opened job %d to %s", a.JobId, v.Operator)
			if paid[i] {
				require.Equal(t, string(a.ProviderHash), string(v.OutputHash), "a paid verifier of job %d", a.JobId)
				continue
			}
			require.Contains(t, []string{griefer.operator, lazy.operator}, v.Operator,
				"honest verifier %s on the losing side of job %d", v.Operator, a.JobId)
			require.True(t, v.Revealed, "%s revealed for job %d", v.Operator, a.JobId)
			// Both attackers get the output hash right: only their traces betray them.
			require.Equal(t, string(a.ProviderHash), string(v.OutputHash), "%s's output hash for job %d", v.Operator, a.JobId)
			lost[v.Operator]++
			if _, ok := stakes[v.Operator]; !ok {
				stakes[v.Operator] = math.ZeroInt()
			}
			stakes[v.Operator] = stakes[v.Operator].Add(v.Stake)
			if a.Round == 2 {
				escalated[v.Operator]++
			}
		}
	}
	for id, j := range jobs {
		require.Equal(t, tasktypes.JOB_STATUS_SETTLED, j.Status, "job %d", id)
	}
	for _, p := range []auditProvider{griefer, lazy} {
		pa, pb := after.providers[p.operator], before.providers[p.operator]
		require.GreaterOrEqual(t, escalated[p.operator], 1, "%s lost an escalation", p.name)
		require.Equal(t, uint64(lost[p.operator]), pa.AuditsFailed, "%s audits_failed", p.name)
		require.Zero(t, pa.AuditsMissed, "%s audits_missed", p.name)
		require.Equal(t, providertypes.PROVIDER_STATUS_ACTIVE, pa.Status, "a verifier slash does not jail")
		// Each lost verification takes the stake locked at its draw: verifier_slash_fraction
		// of the bond at that moment, between the bond before the run and after it.
		require.Equal(t, pb.Bond.Amount.Sub(stakes[p.operator]), pa.Bond.Amount, "%s bond after %d verifier slashes", p.name, lost[p.operator])
		for _, a := range audits {
			for _, v := range a.Verifiers {
				if v.Operator == p.operator {
					require.True(t, v.Stake.GTE(params.VerifierSlashFraction.MulInt(pa.Bond.Amount).TruncateInt()) &&
						v.Stake.LTE(params.VerifierSlashFraction.MulInt(pb.Bond.Amount).TruncateInt()),
						"%s's stake %s in job %d is not verifier_slash_fraction × its bond", p.name, v.Stake, a.JobId)
				}
			}
		}
	}
	require.Equal(t, stakes[griefer.operator].Add(stakes[lazy.operator]).String(), verifierSlashed.String(),
		"the audits slashed exactly the attackers' lost stakes")
	for _, p := range r.provs[:3] {
		pa, pb := after.providers[p.operator], before.providers[p.operator]
		require.Equal(t, pb.Bond, pa.Bond, "%s was slashed", p.name)
		require.Zero(t, pa.AuditsFailed, "%s audits_failed", p.name)
		require.Zero(t, pa.AuditsMissed, "%s audits_missed", p.name)
		require.Equal(t, providertypes.PROVIDER_STATUS_ACTIVE, pa.Status, "%s", p.name)
	}
	r.checkMoney(before, after, jobs)
	stats := r.stats()
	require.GreaterOrEqual(t, stats.Escalations, uint64(1))
	require.Equal(t, uint64(lost[griefer.operator]+lost[lazy.operator]), stats.VerifierSlashes)
	require.Zero(t, stats.ProviderSlashes)
	t.Logf("%d jobs, %d audited, %d escalations; griefer lost %d (%d escalated), bond %s -> %s; lazy lost %d (%d escalated), bond %s -> %s; stats %+v; %s",
		len(jobs), len(audits), stats.Escalations,
		lost[griefer.operator], escalated[griefer.operator], before.providers[griefer.operator].Bond, after.providers[griefer.operator].Bond,
		lost[lazy.operator], escalated[lazy.operator], before.providers[lazy.operator].Bond, after.providers[lazy.operator].Bond,
		stats, time.Since(start).Round(time.Second))
}

// TestWorkerKilledBetweenCommitAndReveal: provider2's worker is a real sovra-worker
// process. It is killed with SIGKILL as soon as its verification record of an audit says
// "committed" (its commitment is on chain, its reveal not yet), restarted, and reveals
// from the record in time: the audit passes, the job settles, nobody is slashed, and its
// worker key sent exactly one commit and one reveal.
//
// provider2, provider3 and provider4 ask a price no job of the test can pay, so every job
// goes to provider1 (an in-process worker); a job is assigned only when three other
// operators could verify it, so provider3 and provider4 run honest in-process workers
// too. provider2's bond is ten times theirs, so the stake-weighted draw of the one
// verifier picks it with probability 100/120; jobs are submitted until an audit draws it.
func TestWorkerKilledBetweenCommitAndReveal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad and sovra-worker processes")
	}
	start := time.Now()
	bin := buildWorker(t)
	r := startAuditRun(t, auditSetup{
		providers: 4,
		prices:    map[int]string{1: "1000000usovra", 2: "1000000usovra", 3: "1000000usovra"},
		bonds:     map[int]int64{1: 10 * auditBond},
		verify: map[string]any{
			"audit_rate": "0.9", "verifiers_per_audit": 1, "escalation_k": 3, "collateral_multiplier": "2",
			// The reveal phase fits a restart (process start, chain check, model load) many times.
			"commit_phase_blocks": "10", "reveal_phase_blocks": "40",
		},
		rewards: map[string]any{
			"provider_share": "0.05", "verification_share": "0.9", "validator_share": "0.05",
			"community_share": "0", "burn_share": "0",
		},
	})
	for _, i := range []int{0, 2, 3} {
		r.startWorker(i, worker.Options{})
	}
	verifier := r.provs[1]
	cfg := r.workerConfig(1)
	apiHTTP := freeAddr(t)
	p := startWorker(t, bin, cfg.Home, apiHTTP)
	waitHealthy(t, "http://"+apiHTTP+"/healthz", 60*time.Second)
	before := r.snapshot(r.height())
	_, seq0, err := r.client.Account(r.ctx, verifier.worker)
	require.NoError(t, err)

	// One job at a time until one is audited with provider2 as its verifier: each job is
	// with probability 0.9 × 100/120 = 0.75, P(10 without) = 0.25^10 ≈ 1e-6. Audits that
	// draw provider3 or provider4 run beside the test (their workers verify).
	var id uint64
	var a verifytypes.Audit
	for n := 0; ; n++ {
		require.Less(t, n, 10, "10 jobs and none audited by provider2")
		id = r.submit(r.submitters[0], []string{fmt.Sprintf("The verifier was killed, take %d:", n)})[0]
		if r.waitDecided(id, 60*time.Second) != tasktypes.JOB_STATUS_AUDITING {
			continue
		}
		a, err = r.client.Audit(r.ctx, id)
		require.NoError(t, err)
		if a.Verifiers[0].Operator == verifier.operator {
			break
		}
	}
	a, err = r.client.Audit(r.ctx, id)
	require.NoError(t, err)
	require.Len(t, a.Verifiers, 1)
	require.Equal(t, verifier.operator, a.Verifiers[0].Operator)

	// SIGKILL as soon as the record says committed.
	recPath := filepath.Join(cfg.DataDir, "verifications", strconv.FormatUint(id, 10)+".json")
	deadline := time.Now().Add(60 * time.Second)
	var rec store.Record
	for {
		if raw, err := os.ReadFile(recPath); err == nil && json.Unmarshal(raw, &rec) == nil {
			if rec.Status == store.StatusCommitted {
				break
			}
			require.NotEqual(t, store.StatusRevealed, rec.Status, "the verifier revealed before the test saw its commit")
		}
		require.True(t, time.Now().Before(deadline), "no committed verification record for job %d after 60s (last: %+v)", id, rec)
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	_ = p.cmd.Wait()
	killedAt := r.height()
	a, err = r.client.Audit(r.ctx, id)
	require.NoError(t, err)
	require.NotEmpty(t, a.Verifiers[0].Commitment, "the commitment is on chain")
	require.False(t, a.Verifiers[0].Revealed, "killed before its reveal")
	t.Logf("verifier killed at height %d with the record committed; audit %s, deadline %d", killedAt, a.Status, a.PhaseDeadline)

	startWorker(t, bin, cfg.Home, apiHTTP)
	deadline = time.Now().Add(90 * time.Second)
	for {
		a, err = r.client.Audit(r.ctx, id)
		require.NoError(t, err)
		if a.Status == verifytypes.AUDIT_STATUS_PASSED || a.Status == verifytypes.AUDIT_STATUS_FAILED {
			break
		}
		require.True(t, time.Now().Before(deadline), "audit of job %d still %s", id, a.Status)
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status)
	require.True(t, a.Verifiers[0].Revealed)
	require.True(t, a.Slashed.IsZero())
	t.Logf("audit passed at height %d, %d blocks after the kill", a.VerdictHeight, a.VerdictHeight-killedAt)
	j := r.waitTerminal([]uint64{id}, 30*time.Second)[id]
	require.Equal(t, tasktypes.JOB_STATUS_SETTLED, j.Status)

	// The reveal opened the commitment with the salt persisted before the kill.
	st, err := store.OpenVerifications(cfg.DataDir)
	require.NoError(t, err)
	var final store.Record
	deadline = time.Now().Add(10 * time.Second)
	for {
		final, err = st.Get(id)
		require.NoError(t, err)
		if final.Status == store.StatusRevealed {
			break
		}
		require.True(t, time.Now().Before(deadline), "record still %s", final.Status)
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, rec.Salt, final.Salt)
	require.Equal(t, rec.OutputHash, final.OutputHash)
	require.Equal(t, rec.OutputHash, hex.EncodeToString(a.Verifiers[0].OutputHash))
	_, seq1, err := r.client.Account(r.ctx, verifier.worker)
	require.NoError(t, err)
	require.Equal(t, seq0+2, seq1, "the verifier's worker key sent one commit and one reveal")

	jobs := r.waitTerminal(r.jobIDs, 30*time.Second)
	after := r.snapshot(r.height())
	for _, p := range r.provs {
		pa, pb := after.providers[p.operator], before.providers[p.operator]
		require.Equal(t, pb.Bond, pa.Bond, "%s was slashed", p.name)
		require.Zero(t, pa.AuditsFailed, "%s", p.name)
		require.Zero(t, pa.AuditsMissed, "%s", p.name)
	}
	require.Equal(t, before.providers[verifier.operator].AuditsPassed+1, after.providers[verifier.operator].AuditsPassed)
	r.checkMoney(before, after, jobs)
	t.Logf("done in %s", time.Since(start).Round(time.Second))
}

// TestAuditMessagesKeepUpWithLoad: four honest providers, the localnet's audit params
// (config.yml: 5-block phases), eight jobs per block for four blocks. Every job must
// settle and every audit pass: nobody cheats; and the money adds up. (When the worker sent each audit message in
// a transaction of its own, awaited, after its result commits, a busy worker took a block
// per message and an honest provider's reveal missed its 5-block phase; it now sends a
// tick's audit messages in one transaction, before the job work.)
func TestAuditMessagesKeepUpWithLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	r := startAuditRun(t, auditSetup{providers: 4})
	for i := range r.provs {
		r.startWorker(i, worker.Options{})
	}
	before := r.snapshot(r.height())
	for round := 0; round < 4; round++ {
		r.submitRound(round, 4)
	}
	jobs := r.waitTerminal(r.jobIDs, 150*time.Second)
	after := r.snapshot(r.height())
	t.Logf("stats %+v", r.stats())
	for _, a := range r.audits(jobs) {
		require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status, "audit of the honest job %d (provider revealed: %v)", a.JobId, a.ProviderRevealed)
	}
	for id, j := range jobs {
		require.Equal(t, tasktypes.JOB_STATUS_SETTLED, j.Status, "job %d", id)
	}
	for _, p := range r.provs {
		require.Equal(t, before.providers[p.operator].Bond, after.providers[p.operator].Bond, "%s slashed", p.name)
		require.Zero(t, after.providers[p.operator].AuditsMissed, "%s audits_missed", p.name)
	}
	r.checkMoney(before, after, jobs)
}

// TestMismatchWithoutEscalationIsNotAPass: provider2 tampers with every result
// (attack.Wrong) and provider1 asks a price no job can pay, so every job goes to the
// cheater and provider1 verifies it. A job is assigned (and audited) only when three other
// operators could verify it: provider3 and provider4 are standbys (too dear, no worker,
// their audit keys published) with the least bond, so the stake-weighted draw of the one
// verifier picks provider1 (a hundred times their bond) with probability 1000/1002. Once
// an audit of a tampered result is open, before provider1's worker is even started, both
// standbys unbond: the round-1 mismatch (the verifier's re-scoring does not support the
// claimed trace) then finds nobody to escalate to, and the verdict, one reveal against one,
// has no majority. DESIGN.md: a mismatch is never a pass. The audit ends UNDECIDED: the job
// FAILED with max_fee refunded, the cheater unpaid, nobody slashed (neither side is
// convicted by a tie). (Until x/verify 13f389b a tie made every hash a winner and the
// tampered result PASSED and was paid.)
func TestMismatchWithoutEscalationIsNotAPass(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes and two workers")
	}
	const dear = "1000000usovra"
	r := startAuditRun(t, auditSetup{
		providers: 4,
		prices:    map[int]string{0: dear, 2: dear, 3: dear},
		bonds:     map[int]int64{0: 100 * auditBond, 2: 1_000_000, 3: 1_000_000},
		verify: map[string]any{
			"audit_rate": "0.9", "verifiers_per_audit": 1, "escalation_k": 3, "collateral_multiplier": "2",
			// The commit phase waits for provider1's worker while the standbys unbond.
			"commit_phase_blocks": "30",
		},
		rewards: map[string]any{
			"provider_share": "0.05", "verification_share": "0.9", "validator_share": "0.05",
			"community_share": "0", "burn_share": "0",
		},
		// The standbys' bonds stay in the module until the test ends.
		params: map[string]map[string]any{"provider": {"unbonding_period": "1000"}},
	})
	verifier, cheater := r.provs[0], r.provs[1]
	for _, i := range []int{0, 2, 3} {
		r.standby(i) // provider1's worker starts later; it finds its audit key published
	}
	r.startHookedWorker(1, worker.Options{}, worker.Hooks{Tamper: attack.CheatOnFraction(1, 1)})
	before := r.snapshot(r.height())
	var id uint64
	for n := 0; ; n++ {
		require.Less(t, n, 5, "5 jobs and none audited") // P = 0.1^5
		id = r.submit(r.submitters[0], []string{fmt.Sprintf("Tie %d:", n)})[0]
		if r.waitDecided(id, 60*time.Second) == tasktypes.JOB_STATUS_AUDITING {
			break
		}
	}
	a, err := r.client.Audit(r.ctx, id)
	require.NoError(t, err)
	require.Len(t, a.Verifiers, 1)
	require.Equal(t, verifier.operator, a.Verifiers[0].Operator, "the draw picked a standby (probability 2/1002)")
	require.Equal(t, cheater.operator, a.Provider)
	for _, i := range []int{2, 3} {
		r.send(r.provs[i].name, &providertypes.MsgUnbond{Operator: r.provs[i].operator})
		require.Equal(t, providertypes.PROVIDER_STATUS_UNBONDING, r.provider(r.provs[i].operator).Status)
	}
	a, err = r.client.Audit(r.ctx, id)
	require.NoError(t, err)
	require.Contains(t, []verifytypes.AuditStatus{verifytypes.AUDIT_STATUS_OPEN, verifytypes.AUDIT_STATUS_COMMIT}, a.Status,
		"round 1 waits for provider1's commit")
	r.startWorker(0, worker.Options{})
	jobs := r.waitTerminal(r.jobIDs, 60*time.Second)
	j := jobs[id]
	a, err = r.client.Audit(r.ctx, id)
	require.NoError(t, err)
	t.Logf("audit of the tampered job %d: %s, round %d, verifiers %d; job %s, fee paid %s, refunded %s", id, a.Status, a.Round, len(a.Verifiers), j.Status, j.FeePaid, j.Refunded)
	require.Len(t, a.Verifiers, 1, "nobody to escalate to")
	// The verifier hashes the claimed output it was opened, so the hashes agree; its
	// re-scoring shows that the claimed end of generation is not the model's top token,
	// which the provider's made-up trace claims it is.
	v := a.Verifiers[0]
	require.True(t, v.Revealed)
	require.Equal(t, string(a.ProviderHash), string(v.OutputHash), "the verifier hashed the claimed output")
	tol := r.tolerances()
	require.Equal(t, -1, verifytypes.FollowsSampling(a.ProviderTrace, j.Sampling, tol), "the cheater's trace claims the top token everywhere")
	require.GreaterOrEqual(t, verifytypes.FollowsSampling(v.Trace, j.Sampling, tol), 0, "the honest verifier's trace disagreed")
	require.False(t, verifytypes.Close(v.Trace, a.ProviderTrace, tol, false), "the traces are not close")
	require.Equal(t, verifytypes.AUDIT_STATUS_UNDECIDED, a.Status, "a mismatch nobody could settle")
	require.Equal(t, tasktypes.JOB_STATUS_FAILED, j.Status)
	require.True(t, j.FeePaid.IsZero(), "the cheater was paid %s for a result its verifier disputed", j.FeePaid)
	require.Equal(t, j.MaxFee, j.Refunded)
	require.True(t, a.Slashed.IsZero())
	require.Equal(t, uint32(1), a.Round, "never escalated")
	after := r.snapshot(r.height())
	for _, p := range r.provs {
		require.Equal(t, before.providers[p.operator].Bond, after.providers[p.operator].Bond, "%s", p.name)
	}
	r.checkMoney(before, after, jobs)
}

// ---- the harness ----

// auditSetup configures startAuditRun.
type auditSetup struct {
	// providers: provider1..N with worker1..N as their worker keys; accounts past the
	// three of config.yml are added to the genesis.
	providers int
	// verify and rewards override config.yml's params of those modules; params those of
	// any module (by module name).
	verify, rewards map[string]any
	params          map[string]map[string]any
	// bonds overrides the bond of provider index i, in usovra (default auditBond).
	bonds map[int]int64
	// prices overrides the price per token of provider index i (default 10usovra).
	prices map[int]string
	// profiles overrides the determinism profile provider index i registers (default
	// cpu-x64-f32-greedy-v1).
	profiles map[int]string
	// libDirs overrides the llama.cpp library folder of provider index i's worker (default
	// llamaLibDir's, the x64 kernels).
	libDirs map[int]string
	// maxTokens is each job's max_output_tokens (default auditMaxToken).
	maxTokens uint64
	// timeout bounds the run (default 8 minutes).
	timeout time.Duration
}

type auditProvider struct {
	name, key        string // provider3, worker3
	operator, worker string // addresses
}

type auditSubmitter struct {
	name   string
	addr   string
	signer *chain.Signer
	outKey []byte
}

// auditRun is a localnet with providers, their workers and two submitters.
type auditRun struct {
	tb         testing.TB
	ctx        context.Context
	net        *localnet.Network
	client     *chain.Client
	rpc        *rpchttp.HTTP
	conn       *grpc.ClientConn
	libDir     string
	libDirs    map[int]string
	modelPath  string
	maxTokens  uint64
	provs      []auditProvider
	submitters []*auditSubmitter
	cfgs       map[int]*config.Config
	logs       *auditLog
	kr         keyring.Keyring

	mu     sync.Mutex
	jobIDs []uint64 // every job submitted, in order
	prompt int
}

// auditLog collects the workers' lines, printed when the test fails.
type auditLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *auditLog) add(prefix, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, time.Now().Format("15:04:05.000 ")+prefix+fmt.Sprintf(format, args...))
}

func startAuditRun(tb testing.TB, s auditSetup) *auditRun {
	tb.Helper()
	libDir := llamaLibDir(tb)
	net := e2e.StartNetwork(tb, e2e.NetworkOptions{Validators: 1, Mutate: func(c *localnet.Config) {
		addAccounts(c, s.providers)
		state := c.AppState()
		overrides := map[string]map[string]any{"verify": s.verify, "rewards": s.rewards}
		for module, kv := range s.params {
			overrides[module] = kv
		}
		for module, kv := range overrides {
			params := subMap(subMap(state, module), "params")
			for k, v := range kv {
				params[k] = v
			}
		}
	}})
	if s.timeout == 0 {
		s.timeout = 8 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	tb.Cleanup(cancel)
	r := &auditRun{tb: tb, ctx: ctx, net: net, libDir: libDir, libDirs: s.libDirs, cfgs: map[int]*config.Config{}, logs: &auditLog{}, maxTokens: s.maxTokens}
	if r.maxTokens == 0 {
		r.maxTokens = auditMaxToken
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			r.logs.mu.Lock()
			tb.Logf("---- worker logs ----\n%s", strings.Join(r.logs.lines, "\n"))
			r.logs.mu.Unlock()
		}
	})
	var err error
	r.client, err = chain.Dial(net.ChainID(), net.GRPC(0), net.RPC(0))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = r.client.Close() })
	r.rpc, err = rpchttp.New(net.RPC(0), "/websocket")
	require.NoError(tb, err)
	enc := chain.Encoding()
	r.conn, err = grpc.NewClient(net.GRPC(0), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.(codec.GRPCCodecProvider).GRPCCodec())))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = r.conn.Close() })
	r.modelPath = filepath.Join(tb.TempDir(), "demo-tiny.gguf")
	_, err = gguf.WriteFile(r.modelPath, gguf.DefaultConfig())
	require.NoError(tb, err)

	// Every provider registers in the same block, each signing its own transaction with
	// its worker key (whose consent the binding needs).
	kr, err := chain.OpenKeyring("test", net.ClientHome())
	require.NoError(tb, err)
	r.kr = kr
	errs := make([]error, s.providers)
	var wg sync.WaitGroup
	for i := 0; i < s.providers; i++ {
		p := auditProvider{name: fmt.Sprintf("provider%d", i+1), key: fmt.Sprintf("worker%d", i+1)}
		p.operator, p.worker = net.AccountAddress(p.name), net.AccountAddress(p.key)
		r.provs = append(r.provs, p)
		price, profile, bond := sdk.NewInt64Coin(auditDenom, 10), "cpu-x64-f32-greedy-v1", int64(auditBond)
		if b := s.bonds[i]; b > 0 {
			bond = b
		}
		if s.profiles[i] != "" {
			profile = s.profiles[i]
		}
		if s.prices[i] != "" {
			var err error
			price, err = sdk.ParseCoinNormalized(s.prices[i])
			require.NoError(tb, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			signer, err := chain.NewSigner(r.client, kr, p.name, "", 1.5)
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = signer.SendCoSigned(ctx, []string{p.key}, &providertypes.MsgRegisterProvider{
				Operator: p.operator, Worker: p.worker, Models: []string{"demo-tiny"},
				Bond: sdk.NewInt64Coin(auditDenom, bond), PricePerToken: price,
				Profile: profile, MaxJobs: 64,
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(tb, err, "register %s", r.provs[i].name)
	}
	for _, name := range []string{"alice", "bob"} {
		signer, err := chain.NewSigner(r.client, kr, name, "", 1.5)
		require.NoError(tb, err)
		sig, _, err := kr.Sign(name, []byte(tasktypes.OutputKeyDomain), signing.SignMode_SIGN_MODE_DIRECT)
		require.NoError(tb, err)
		_, pub, err := tasktypes.DeriveOutputKey(sig)
		require.NoError(tb, err)
		r.submitters = append(r.submitters, &auditSubmitter{name: name, addr: signer.Address(), signer: signer, outKey: pub[:]})
	}
	return r
}

// subMap returns m[key] as a map, creating it when missing.
func subMap(m map[string]any, key string) map[string]any {
	if sub, ok := m[key].(map[string]any); ok {
		return sub
	}
	sub := map[string]any{}
	m[key] = sub
	return sub
}

// workerConfig writes (once) the home of provider i's worker with its key (workerHomeWithKey).
func (r *auditRun) workerConfig(i int) *config.Config {
	if cfg, ok := r.cfgs[i]; ok {
		return cfg
	}
	p := r.provs[i]
	libDir := r.libDir
	if d := r.libDirs[i]; d != "" {
		libDir = d
	}
	cfg := workerHomeWithKey(r.tb, p.key, r.net.ChainID(), r.net.GRPC(0), r.net.RPC(0), p.operator, r.net.ClientHome(),
		libDir, map[string]string{"demo-tiny": r.modelPath})
	// Four or five workers share two cores: one inference thread each (in process).
	cfg.Threads = 1
	r.cfgs[i] = cfg
	return cfg
}

// send signs msgs with the network's key name and waits for their inclusion.
func (r *auditRun) send(name string, msgs ...sdk.Msg) {
	signer, err := chain.NewSigner(r.client, r.kr, name, "", 1.5)
	require.NoError(r.tb, err)
	_, err = signer.Send(r.ctx, nil, msgs...)
	require.NoError(r.tb, err, "%s sends %T", name, msgs[0])
}

// standby publishes the audit key of provider i's worker key, as its worker would at its
// first start (sovrad tx provider set-audit-key), for a provider that runs no worker: it
// counts as a verifier that could be drawn, which a job's assignment needs.
func (r *auditRun) standby(i int) {
	p := r.provs[i]
	signer, err := chain.NewSigner(r.client, r.kr, p.key, "", 1.5)
	require.NoError(r.tb, err)
	_, pub, err := signer.AuditKey()
	require.NoError(r.tb, err)
	_, err = signer.Send(r.ctx, nil, &providertypes.MsgSetAuditKey{Worker: p.worker, AuditKey: pub[:]})
	require.NoError(r.tb, err, "%s publishes its audit key", p.key)
}

// startWorker runs provider i's worker in process with opts (Logf is set here) until the
// test ends.
func (r *auditRun) startWorker(i int, opts worker.Options) *worker.Worker {
	return r.startHookedWorker(i, opts, worker.Hooks{})
}

// startHookedWorker is startWorker for a dishonest worker: h holds the attacks of
// testutil/attack (export_test.go).
func (r *auditRun) startHookedWorker(i int, opts worker.Options, h worker.Hooks) *worker.Worker {
	tb := r.tb
	cfg := r.workerConfig(i)
	prefix := r.provs[i].name + ": "
	opts.Logf = func(format string, args ...any) { r.logs.add(prefix, format, args...) }
	w, err := worker.NewWithHooks(r.ctx, cfg, opts, h)
	require.NoError(tb, err)
	runCtx, stop := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	tb.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			tb.Errorf("%s: run: %v", r.provs[i].name, err)
		}
		_ = w.Close()
	})
	return w
}

// submit sends one transaction from s with a job per prompt and returns their ids.
func (r *auditRun) submit(s *auditSubmitter, prompts []string) []uint64 {
	maxTokens := make([]uint64, len(prompts))
	for i := range maxTokens {
		maxTokens[i] = r.maxTokens
	}
	return r.submitJobs(s, prompts, maxTokens)
}

// submitJobs sends one transaction from s with a greedy job per prompt, of maxTokens[i]
// output tokens at most, and returns their ids.
func (r *auditRun) submitJobs(s *auditSubmitter, prompts []string, maxTokens []uint64) []uint64 {
	tb := r.tb
	msgs := make([]sdk.Msg, len(prompts))
	for i, p := range prompts {
		msgs[i] = &tasktypes.MsgSubmitJob{
			Submitter: s.addr, ModelId: "demo-tiny", Prompt: p, MaxOutputTokens: maxTokens[i],
			Sampling: tasktypes.Sampling{TopPMilli: 1000}, MaxFee: sdk.NewInt64Coin(auditDenom, auditMaxFee), OutputKey: s.outKey,
		}
	}
	res, err := s.signer.Send(r.ctx, nil, msgs...)
	require.NoError(tb, err, "submit from %s", s.name)
	hash, err := hex.DecodeString(res.Hash)
	require.NoError(tb, err)
	tx, err := r.rpc.Tx(r.ctx, hash, false)
	require.NoError(tb, err)
	ids, err := tasktypes.SubmittedJobIDs(tx.TxResult.Events)
	require.NoError(tb, err)
	require.Len(tb, ids, len(prompts))
	r.mu.Lock()
	r.jobIDs = append(r.jobIDs, ids...)
	sort.Slice(r.jobIDs, func(i, j int) bool { return r.jobIDs[i] < r.jobIDs[j] })
	r.mu.Unlock()
	return ids
}

// submitRound submits perSubmitter jobs from alice and as many from bob, in one
// transaction each, at the same time (usually the same block); prompts differ.
func (r *auditRun) submitRound(round, perSubmitter int) []uint64 {
	var mu sync.Mutex
	var all []uint64
	var wg sync.WaitGroup
	for _, s := range r.submitters {
		prompts := make([]string, perSubmitter)
		for i := range prompts {
			r.mu.Lock()
			r.prompt++
			n := r.prompt
			r.mu.Unlock()
			prompts[i] = fmt.Sprintf("Story %d (round %d) by %s: once upon a time", n, round, s.name)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := r.submit(s, prompts)
			mu.Lock()
			all = append(all, ids...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// position is how many jobs had been submitted up to and including id.
func (r *auditRun) position(id uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, j := range r.jobIDs {
		if j <= id {
			n++
		}
	}
	return n
}

func (r *auditRun) height() int64 {
	_, h, err := r.client.Status(r.ctx)
	require.NoError(r.tb, err)
	return h
}

func (r *auditRun) waitBlocks(n int64) {
	target := r.height() + n
	for r.height() < target {
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *auditRun) job(id uint64) tasktypes.Job {
	j, err := r.client.Job(r.ctx, id)
	require.NoError(r.tb, err)
	return j
}

func (r *auditRun) provider(addr string) providertypes.Provider {
	p, err := r.client.Provider(r.ctx, addr)
	require.NoError(r.tb, err)
	return p
}

func terminal(s tasktypes.JobStatus) bool {
	switch s {
	case tasktypes.JOB_STATUS_SETTLED, tasktypes.JOB_STATUS_SLASHED, tasktypes.JOB_STATUS_FAILED,
		tasktypes.JOB_STATUS_EXPIRED, tasktypes.JOB_STATUS_CANCELLED:
		return true
	}
	return false
}

// waitDecided waits until a job is audited or settled and returns that status.
func (r *auditRun) waitDecided(id uint64, timeout time.Duration) tasktypes.JobStatus {
	deadline := time.Now().Add(timeout)
	for {
		j := r.job(id)
		if j.Status == tasktypes.JOB_STATUS_AUDITING || terminal(j.Status) {
			return j.Status
		}
		require.True(r.tb, time.Now().Before(deadline), "job %d still %s", id, j.Status)
		time.Sleep(200 * time.Millisecond)
	}
}

// waitTerminal waits until every job has ended and returns them.
func (r *auditRun) waitTerminal(ids []uint64, timeout time.Duration) map[uint64]tasktypes.Job {
	deadline := time.Now().Add(timeout)
	out := map[uint64]tasktypes.Job{}
	for {
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			if j := r.job(id); terminal(j.Status) {
				out[id] = j
			}
		}
		if len(out) == len(ids) {
			return out
		}
		if time.Now().After(deadline) {
			var open []string
			for _, id := range ids {
				if _, ok := out[id]; !ok {
					open = append(open, fmt.Sprintf("%d:%s", id, r.job(id).Status))
				}
			}
			r.tb.Fatalf("%d of %d jobs still open after %s: %v", len(open), len(ids), timeout, open)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// audits returns the audits of the jobs that were audited, by verdict height then job id.
func (r *auditRun) audits(jobs map[uint64]tasktypes.Job) []verifytypes.Audit {
	var out []verifytypes.Audit
	for id := range jobs {
		a, err := verifytypes.NewQueryClient(r.conn).Audit(r.ctx, &verifytypes.QueryAuditRequest{JobId: id})
		if err != nil {
			continue // not audited
		}
		out = append(out, a.Audit)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].VerdictHeight != out[j].VerdictHeight {
			return out[i].VerdictHeight < out[j].VerdictHeight
		}
		return out[i].JobId < out[j].JobId
	})
	return out
}

func (r *auditRun) stats() verifytypes.Stats {
	res, err := verifytypes.NewQueryClient(r.conn).Stats(r.ctx, &verifytypes.QueryStatsRequest{})
	require.NoError(r.tb, err)
	return res.Stats
}

func (r *auditRun) verifyParams() verifytypes.Params {
	res, err := verifytypes.NewQueryClient(r.conn).Params(r.ctx, &verifytypes.QueryParamsRequest{})
	require.NoError(r.tb, err)
	return res.Params
}

// tolerances are the trace tolerances the chain judges the demo model's audits with: the
// params', replaced by the model's own where its registration sets them (x/verify's
// tolerances).
func (r *auditRun) tolerances() verifytypes.Tolerances {
	return modelTolerances(r.tb, r.ctx, r.client, r.verifyParams())
}

// modelTolerances are params' tolerances with the demo model's own in their place.
func modelTolerances(tb testing.TB, ctx context.Context, c *chain.Client, params verifytypes.Params) verifytypes.Tolerances {
	m, err := c.Model(ctx, "demo-tiny")
	require.NoError(tb, err)
	return params.Tolerances().For(m.LogprobTolerance, m.MeanLogprobToleranceMilli, m.MarginTolerance, m.IntervalTolerance)
}

// paidVerifiers recomputes from an ended audit which verifiers were paid (the rest, when
// the provider opened to them, were slashed), as x/verify's resolve does for an audit
// without complaints: a round 1 that passes pays everyone who revealed; any other audit
// is decided by verifytypes.Judge on everything revealed.
func paidVerifiers(a verifytypes.Audit, s tasktypes.Sampling, tol verifytypes.Tolerances) []bool {
	p := verifytypes.Party{Revealed: a.ProviderRevealed, Hash: a.ProviderHash, Trace: a.ProviderTrace}
	vs := make([]verifytypes.Party, len(a.Verifiers))
	for i, v := range a.Verifiers {
		vs[i] = verifytypes.Party{Revealed: v.Revealed, Hash: v.OutputHash, Trace: v.Trace, Round: v.Round}
	}
	if a.Round == 1 && verifytypes.RoundPasses(p, vs, 1, s, tol) {
		paid := make([]bool, len(vs))
		for i, v := range vs {
			paid[i] = v.Revealed
		}
		return paid
	}
	return verifytypes.Judge(p, vs, s, tol).Paid
}

// verifierHash is the output hash in a verifier's verification record of a job.
func (r *auditRun) verifierHash(t testing.TB, operator string, jobID uint64) []byte {
	for i, p := range r.provs {
		if p.operator != operator {
			continue
		}
		st, err := store.OpenVerifications(r.workerConfig(i).DataDir)
		require.NoError(t, err)
		rec, err := st.Get(jobID)
		require.NoError(t, err)
		h, err := hex.DecodeString(rec.OutputHash)
		require.NoError(t, err)
		return h
	}
	t.Fatalf("no provider %s", operator)
	return nil
}

// overhead sums the verifiers' re-run time over the providers' inference time, over the
// records of every worker of the run: verifier compute / provider compute.
func (r *auditRun) overhead() (ratio float64, verifierMs, providerMs int64) {
	for i := range r.provs {
		cfg, ok := r.cfgs[i]
		if !ok {
			continue
		}
		jobs, err := store.Open(cfg.DataDir)
		require.NoError(r.tb, err)
		recs, err := jobs.List()
		require.NoError(r.tb, err)
		for _, rec := range recs {
			if rec.Status == store.StatusCommitted {
				providerMs += rec.InferenceMs
			}
		}
		vs, err := store.OpenVerifications(cfg.DataDir)
		require.NoError(r.tb, err)
		if recs, err = vs.List(); err != nil {
			require.NoError(r.tb, err)
		}
		for _, rec := range recs {
			verifierMs += rec.InferenceMs
		}
	}
	if providerMs > 0 {
		ratio = float64(verifierMs) / float64(providerMs)
	}
	return ratio, verifierMs, providerMs
}

// ---- money ----

// ledger is the state of every account the run moves money between, at one height.
type ledger struct {
	height    int64
	supply    math.Int
	balances  map[string]math.Int // submitters, operators, workers, module accounts
	providers map[string]providertypes.Provider
	pending   map[string]rewardstypes.QueryPendingResponse // per operator
	jobs      map[uint64]tasktypes.Job
}

var auditModules = []string{
	tasktypes.ModuleName, providertypes.ModuleName, rewardstypes.ModuleName,
	rewardstypes.VerificationPoolName, verifytypes.ModuleName,
}

func moduleAddr(name string) string { return authtypes.NewModuleAddress(name).String() }

// snapshot reads the ledger at height h (every query pinned to that height).
func (r *auditRun) snapshot(h int64) ledger {
	tb := r.tb
	ctx := metadata.AppendToOutgoingContext(r.ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(h, 10))
	bank := banktypes.NewQueryClient(r.conn)
	l := ledger{
		height: h, balances: map[string]math.Int{}, providers: map[string]providertypes.Provider{},
		pending: map[string]rewardstypes.QueryPendingResponse{}, jobs: map[uint64]tasktypes.Job{},
	}
	// CometBFT reports a block as the latest once it is stored, a moment before the app
	// has committed it: wait until the app answers at h.
	var sup *banktypes.QuerySupplyOfResponse
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		sup, err = bank.SupplyOf(ctx, &banktypes.QuerySupplyOfRequest{Denom: auditDenom})
		if err == nil || !strings.Contains(err.Error(), "height in the future") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(tb, err)
	l.supply = sup.Amount.Amount
	addrs := []string{}
	for _, s := range r.submitters {
		addrs = append(addrs, s.addr)
	}
	for _, p := range r.provs {
		addrs = append(addrs, p.operator, p.worker)
	}
	for _, m := range auditModules {
		addrs = append(addrs, moduleAddr(m))
	}
	for _, a := range addrs {
		res, err := bank.Balance(ctx, &banktypes.QueryBalanceRequest{Address: a, Denom: auditDenom})
		require.NoError(tb, err)
		l.balances[a] = res.Balance.Amount
	}
	pq, rq, tq := providertypes.NewQueryClient(r.conn), rewardstypes.NewQueryClient(r.conn), tasktypes.NewQueryClient(r.conn)
	for _, p := range r.provs {
		res, err := pq.Provider(ctx, &providertypes.QueryProviderRequest{Address: p.operator})
		require.NoError(tb, err)
		l.providers[p.operator] = res.Provider
		pend, err := rq.Pending(ctx, &rewardstypes.QueryPendingRequest{Address: p.operator})
		require.NoError(tb, err)
		l.pending[p.operator] = *pend
	}
	r.mu.Lock()
	ids := append([]uint64(nil), r.jobIDs...)
	r.mu.Unlock()
	for _, id := range ids {
		res, err := tq.Job(ctx, &tasktypes.QueryJobRequest{Id: id})
		if err != nil {
			continue // submitted after h
		}
		l.jobs[id] = res.Job
	}
	return l
}

func bySource(p rewardstypes.QueryPendingResponse, source string) math.Int {
	total := math.ZeroInt()
	for _, a := range p.BySource {
		if a.Source == source {
			total = total.Add(a.Amount.AmountOf(auditDenom))
		}
	}
	return total
}

// mintedAndBurned sums the coinbase and burn events of the blocks (from, to].
func (r *auditRun) mintedAndBurned(from, to int64) (minted, burned, burnedByVerify math.Int) {
	minted, burned, burnedByVerify = math.ZeroInt(), math.ZeroInt(), math.ZeroInt()
	verifyAddr := moduleAddr(verifytypes.ModuleName)
	for h := from + 1; h <= to; h++ {
		res, err := r.rpc.BlockResults(r.ctx, &h)
		require.NoError(r.tb, err, "block results at %d", h)
		events := res.FinalizeBlockEvents
		for _, tx := range res.TxsResults {
			events = append(events, tx.Events...)
		}
		for _, ev := range events {
			if ev.Type != banktypes.EventTypeCoinMint && ev.Type != banktypes.EventTypeCoinBurn {
				continue
			}
			amount, who := math.ZeroInt(), ""
			for _, a := range ev.Attributes {
				switch a.Key {
				case sdk.AttributeKeyAmount:
					coins, err := sdk.ParseCoinsNormalized(a.Value)
					require.NoError(r.tb, err)
					amount = coins.AmountOf(auditDenom)
				case banktypes.AttributeKeyBurner:
					who = a.Value
				}
			}
			if ev.Type == banktypes.EventTypeCoinMint {
				minted = minted.Add(amount)
				continue
			}
			burned = burned.Add(amount)
			if who == verifyAddr {
				burnedByVerify = burnedByVerify.Add(amount)
			}
		}
	}
	return minted, burned, burnedByVerify
}

// checkMoney checks that every coin the run moved is accounted for, between the ledgers
// before (no job yet) and after (every job ended):
//   - supply: after − before = minted − burned, from the blocks' coinbase and burn events;
//   - what x/verify burned = what the audits slashed − the bounties it paid;
//   - each submitter paid exactly the fees of its settled jobs (failed audits and
//     expiries refund all of max_fee; no gas price on this net);
//   - the operators' and workers' own balances did not move (nothing is claimed);
//   - each module account holds what it owes: task the open escrows, provider the bonds,
//     rewards the unclaimed accruals, verify nothing; the verification pool took in its
//     share of each settled fee and paid exactly the audits accrued to verifiers.
func (r *auditRun) checkMoney(before, after ledger, jobs map[uint64]tasktypes.Job) {
	tb := r.tb
	minted, burned, burnedByVerify := r.mintedAndBurned(before.height, after.height)
	require.Equal(tb, before.supply.Add(minted).Sub(burned).String(), after.supply.String(),
		"supply: before %s + minted %s − burned %s", before.supply, minted, burned)

	slashed := math.ZeroInt()
	for _, a := range r.audits(jobs) {
		slashed = slashed.Add(a.Slashed.Amount)
	}
	bounties, audits := math.ZeroInt(), math.ZeroInt()
	for _, p := range r.provs {
		bounties = bounties.Add(bySource(after.pending[p.operator], rewardstypes.SourceBounties)).
			Sub(bySource(before.pending[p.operator], rewardstypes.SourceBounties))
		audits = audits.Add(bySource(after.pending[p.operator], rewardstypes.SourceAudits)).
			Sub(bySource(before.pending[p.operator], rewardstypes.SourceAudits))
	}
	require.Equal(tb, slashed.Sub(bounties).String(), burnedByVerify.String(),
		"x/verify burned what it slashed (%s) minus the bounties (%s)", slashed, bounties)
	require.Equal(tb, burnedByVerify.String(), burned.String(), "nothing else burned")

	paid := map[string]math.Int{}
	for _, s := range r.submitters {
		paid[s.addr] = math.ZeroInt()
	}
	settledFees := math.ZeroInt()
	for id, j := range jobs {
		require.Equal(tb, j.MaxFee.Amount.String(), j.FeePaid.Amount.Add(j.Refunded.Amount).String(),
			"job %d: fee %s + refund %s = max_fee", id, j.FeePaid, j.Refunded)
		paid[j.Submitter] = paid[j.Submitter].Add(j.FeePaid.Amount)
		if j.Status == tasktypes.JOB_STATUS_SETTLED {
			settledFees = settledFees.Add(j.FeePaid.Amount)
		} else {
			require.True(tb, j.FeePaid.IsZero(), "job %d %s paid %s", id, j.Status, j.FeePaid)
		}
	}
	for _, s := range r.submitters {
		require.Equal(tb, before.balances[s.addr].Sub(paid[s.addr]).String(), after.balances[s.addr].String(),
			"%s paid exactly its jobs' fees (%s)", s.name, paid[s.addr])
	}
	for _, p := range r.provs {
		require.Equal(tb, before.balances[p.operator], after.balances[p.operator], "%s balance", p.name)
		require.Equal(tb, before.balances[p.worker], after.balances[p.worker], "%s balance", p.key)
	}

	// Module accounts against what they owe.
	escrow := math.ZeroInt()
	for _, j := range after.jobs {
		if !terminal(j.Status) {
			escrow = escrow.Add(j.MaxFee.Amount)
		}
	}
	require.Equal(tb, escrow.String(), after.balances[moduleAddr(tasktypes.ModuleName)].String(), "task escrow = open max_fees")
	bonds := math.ZeroInt()
	for _, p := range after.providers {
		bonds = bonds.Add(p.Bond.Amount)
	}
	require.Equal(tb, bonds.String(), after.balances[moduleAddr(providertypes.ModuleName)].String(), "provider module = bonds")
	unclaimed := math.ZeroInt()
	for _, p := range after.pending {
		unclaimed = unclaimed.Add(p.Total.AmountOf(auditDenom))
	}
	require.Equal(tb, unclaimed.String(), after.balances[moduleAddr(rewardstypes.ModuleName)].String(), "rewards module = unclaimed")
	require.True(tb, after.balances[moduleAddr(verifytypes.ModuleName)].IsZero(), "verify module holds nothing between blocks")

	// Each settled job's fee is split on its own: sum the per-job truncations.
	rp, err := rewardstypes.NewQueryClient(r.conn).Params(r.ctx, &rewardstypes.QueryParamsRequest{})
	require.NoError(tb, err)
	poolIn := math.ZeroInt()
	for _, j := range jobs {
		if j.Status == tasktypes.JOB_STATUS_SETTLED && j.FeePaid.IsPositive() {
			poolIn = poolIn.Add(rewardstypes.SplitFee(sdk.NewCoins(j.FeePaid), rp.Params).VerificationPool.AmountOf(auditDenom))
		}
	}
	pool := moduleAddr(rewardstypes.VerificationPoolName)
	require.Equal(tb, before.balances[pool].Add(poolIn).Sub(audits).String(), after.balances[pool].String(),
		"verification pool: before + shares of settled fees (%s) − audit pay (%s)", poolIn, audits)
	tb.Logf("money: supply %s -> %s (minted %s, burned %s); slashed %s = bounties %s + burned; pool +%s −%s; %d jobs, fees %s",
		before.supply, after.supply, minted, burned, slashed, bounties, poolIn, audits, len(jobs), settledFees)
}

// waitHealthy polls a worker's /healthz until it answers 200.
func waitHealthy(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res, err := http.Get(url)
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		require.True(t, time.Now().Before(deadline), "%s not healthy after %s (%v)", url, timeout, err)
		time.Sleep(200 * time.Millisecond)
	}
}
