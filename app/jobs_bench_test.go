package app_test

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// jobsPerRound is the jobs (and MsgSends) of one round of BenchmarkBlockJobs.
const jobsPerRound = 1000

// jobsFixture is make bench's network in process: config.yml's task and verify params
// (decision window 3, two verifiers per audit) with audits as rare as the params allow,
// three providers that are their own workers with audit keys, eight funded senders.
func jobsFixture(b *testing.B) *appfixture.Fixture {
	names := []string{"p0", "p1", "p2", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"}
	f := appfixture.New(b, appfixture.Options{Accounts: names, Genesis: func(g appfixture.GenesisEditor) {
		cdc := g.App.AppCodec()
		var pg providertypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[providertypes.ModuleName], &pg)
		pg.Models = append(pg.Models, providertypes.Model{Id: "m", Sha256: fmt.Sprintf("%064x", 1), ContextLength: 512})
		g.State[providertypes.ModuleName] = cdc.MustMarshalJSON(&pg)
		var tg tasktypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[tasktypes.ModuleName], &tg)
		tg.Params.DecisionWindow = 3
		g.State[tasktypes.ModuleName] = cdc.MustMarshalJSON(&tg)
		var vg verifytypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[verifytypes.ModuleName], &vg)
		vg.Params.VerifiersPerAudit = 2
		vg.Params.AuditRate = sdkmath.LegacyNewDecWithPrec(1, 3)
		vg.Params.CollateralMultiplier = 1000
		vg.Params.OpenPhaseBlocks = 10_000
		g.State[verifytypes.ModuleName] = cdc.MustMarshalJSON(&vg)
	}})
	for _, p := range []string{"p0", "p1", "p2"} {
		acc := f.Accounts[p]
		f.MustDeliver(acc, &providertypes.MsgRegisterProvider{
			Operator: acc.Address.String(), Worker: acc.Address.String(), Models: []string{"m"},
			Bond: sdk.NewInt64Coin(app.BondDenom, 100_000_000_000), PricePerToken: sdk.NewInt64Coin(app.BondDenom, 1),
			Profile: "p", MaxJobs: providertypes.MaxMaxJobs,
		})
		_, pub, err := tasktypes.X25519KeyPair(sha256.Sum256([]byte(p)))
		if err != nil {
			b.Fatal(err)
		}
		f.MustDeliver(acc, &providertypes.MsgSetAuditKey{Worker: acc.Address.String(), AuditKey: pub[:]})
	}
	return f
}

// BenchmarkBlockJobs is make bench's jobs-settled-per-second against MsgSend in process:
// each round times a block of 1,000 MsgSend, then the blocks that take 1,000 jobs from
// submission to settlement (the submissions' block, the assignment block, a block of
// MsgCommitResult txs of up to max_results_per_commit results from the providers'
// workers, then empty blocks until every job is settled or drawn for audit), signatures
// checked, without the network, CheckTx or a load generator. Reported: each kind's rate,
// the time per job of each phase, and the median over rounds of jobs settled per second
// over MsgSend tx/s. Empty blocks cost about 1-2 ms each (BenchmarkBlockHooks), counted in
// the jobs' time: the decision comes 2 to 4 blocks after the commit.
func BenchmarkBlockJobs(b *testing.B) {
	f := jobsFixture(b)
	senders := make([]*appfixture.Account, 8)
	for i := range senders {
		senders[i] = f.Accounts[fmt.Sprintf("s%d", i)]
	}
	workers := map[string]*appfixture.Account{}
	for _, p := range []string{"p0", "p1", "p2"} {
		workers[f.Accounts[p].Address.String()] = f.Accounts[p]
	}
	maxResults := 64
	block := func(txs [][]byte) time.Duration {
		start := time.Now()
		for _, res := range f.NextBlock(txs...) {
			if res.Code != 0 {
				b.Fatalf("tx failed: %s", res.Log)
			}
		}
		return time.Since(start)
	}
	var sendTime, jobTime time.Duration
	var phases [4]time.Duration // submit, assign, commit, decide
	var ratios []float64
	audited, settled := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		txs := make([][]byte, jobsPerRound)
		for j := range txs {
			acc := senders[j%len(senders)]
			txs[j] = f.SignTx(acc, banktypes.NewMsgSend(acc.Address, senders[(j+1)%len(senders)].Address,
				sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))))
		}
		b.StartTimer()
		send := block(txs)

		b.StopTimer()
		for j := range txs {
			acc := senders[j%len(senders)]
			txs[j] = f.SignTx(acc, &tasktypes.MsgSubmitJob{
				Submitter: acc.Address.String(), ModelId: "m", Prompt: "loadgen", MaxOutputTokens: 16,
				MaxFee: sdk.NewInt64Coin(app.BondDenom, 25), OutputKey: curve25519.Basepoint, DeadlineBlocks: 1000,
			})
		}
		b.StartTimer()
		var took [4]time.Duration
		took[0] = block(txs)
		took[1] = block(nil) // assignment
		b.StopTimer()
		byProvider := map[string][]uint64{}
		events, err := tasktypes.ParseEvents(f.LastBlock.Events)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range events {
			if a, ok := e.(*tasktypes.EventJobAssigned); ok {
				byProvider[a.Provider] = append(byProvider[a.Provider], a.JobId)
			}
		}
		var commits [][]byte
		assigned := 0
		for _, p := range sortedProviders(byProvider) {
			ids := byProvider[p]
			assigned += len(ids)
			w := workers[p]
			for len(ids) > 0 {
				n := min(len(ids), maxResults)
				msg := &tasktypes.MsgCommitResult{Worker: w.Address.String()}
				for _, id := range ids[:n] {
					c := sha256.Sum256([]byte(fmt.Sprint(id)))
					msg.Results = append(msg.Results, tasktypes.JobResult{
						JobId: id, Commitment: c[:], PromptTokens: 7, OutputTokens: 16, SealedOutput: make([]byte, 160),
					})
				}
				commits = append(commits, f.SignTx(w, msg))
				ids = ids[n:]
			}
		}
		if assigned != jobsPerRound {
			b.Fatalf("round %d: %d of %d jobs assigned in the next block", i, assigned, jobsPerRound)
		}
		b.StartTimer()
		took[2] = block(commits)
		done := 0
		for blocks := 0; done < jobsPerRound; blocks++ {
			if blocks > 10 {
				b.Fatalf("round %d: %d of %d jobs decided after 10 blocks", i, done, jobsPerRound)
			}
			took[3] += block(nil)
			b.StopTimer()
			events, err := tasktypes.ParseEvents(f.LastBlock.Events)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range events {
				switch e.(type) {
				case *tasktypes.EventJobSettled: // not drawn for audit: settled at its decision
					done++
					settled++
				case *tasktypes.EventJobAuditDecision:
					done++
					audited++
				}
			}
			b.StartTimer()
		}
		round := took[0] + took[1] + took[2] + took[3]
		for k := range phases {
			phases[k] += took[k]
		}
		sendTime += send
		jobTime += round
		ratios = append(ratios, send.Seconds()/round.Seconds()) // (jobs/round) / (sends/send)
	}
	b.StopTimer()
	// The end state, so the benchmark cannot pass having done nothing: every job of every
	// round settled or drawn for audit, the escrow, bonds, accruals and indexes consistent.
	if settled+audited != b.N*jobsPerRound {
		b.Fatalf("%d settled and %d audited of %d jobs", settled, audited, b.N*jobsPerRound)
	}
	for _, check := range []func() error{f.CheckModuleAccounts, f.CheckIndexes, f.CheckCollateral} {
		if err := check(); err != nil {
			b.Fatalf("invariants after %d rounds: %v", b.N, err)
		}
	}
	n := float64(b.N * jobsPerRound)
	b.ReportMetric(n/sendTime.Seconds(), "send-tx/s")
	b.ReportMetric(n/jobTime.Seconds(), "jobs/s")
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "jobs/send")
	for k, name := range []string{"submit", "assign", "commit", "decide"} {
		b.ReportMetric(float64(phases[k].Microseconds())/n, name+"-µs/job")
	}
	b.ReportMetric(float64(sendTime.Microseconds())/n, "send-µs/tx")
	b.ReportMetric(float64(audited), "audited")
}

func sortedProviders(m map[string][]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
