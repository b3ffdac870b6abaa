package keeper_test

import (
	"encoding/json"
	"testing"

	"golang.org/x/crypto/curve25519"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

const (
	testModel     = "demo-tiny"
	testModelHash = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
)

func coin(n int64) sdk.Coin { return sdk.NewInt64Coin(app.BondDenom, n) }

// withModel registers the test model and fixes the task params the tests rely on.
func withModel(decisionWindow uint64) func(appfixture.GenesisEditor) {
	return func(g appfixture.GenesisEditor) {
		cdc := g.App.AppCodec()
		var pg providertypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[providertypes.ModuleName], &pg)
		pg.Models = append(pg.Models, providertypes.Model{Id: testModel, Sha256: testModelHash, ContextLength: 512, Tokenizer: "llama-spm"})
		g.State[providertypes.ModuleName] = cdc.MustMarshalJSON(&pg)

		var tg types.GenesisState
		cdc.MustUnmarshalJSON(g.State[types.ModuleName], &tg)
		tg.Params.DecisionWindow = decisionWindow
		g.State[types.ModuleName] = json.RawMessage(cdc.MustMarshalJSON(&tg))

		// These tests are about the escrow: audits (x/verify's tests) are rare here.
		var vg verifytypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[verifytypes.ModuleName], &vg)
		vg.Params.AuditRate = sdkmath.LegacyNewDecWithPrec(1, 3)
		vg.Params.CollateralMultiplier = 1000
		g.State[verifytypes.ModuleName] = cdc.MustMarshalJSON(&vg)
	}
}

func newFixture(t *testing.T, decisionWindow uint64) *appfixture.Fixture {
	t.Helper()
	return appfixture.New(t, appfixture.Options{
		Accounts: []string{"alice", "bob", "prov1", "worker1", "prov2", "worker2", "standby1", "standby1w", "standby2", "standby2w", "standby3", "standby3w"},
		Genesis:  withModel(decisionWindow),
	})
}

// registerStandby registers three providers too dear for any job of these tests, whose
// only role is to make the jobs auditable: a job is only assigned when an audit of its
// result could convict (x/verify MinVerifiers: three other operators with one verifier
// per audit).
func registerStandby(t *testing.T, f *appfixture.Fixture) {
	t.Helper()
	for _, n := range []string{"standby1", "standby2", "standby3"} {
		registerProvider(t, f, n, n+"w", 1_000_000)
	}
}

func registerProvider(t *testing.T, f *appfixture.Fixture, prov, worker string, price int64) {
	t.Helper()
	f.RegisterProvider(f.Accounts[prov], f.Accounts[worker], &providertypes.MsgRegisterProvider{
		Operator:      f.Accounts[prov].Address.String(),
		Worker:        f.Accounts[worker].Address.String(),
		Models:        []string{testModel},
		Bond:          coin(10_000_000),
		PricePerToken: coin(price),
		Profile:       "cpu-x64-f32-greedy-v1",
		MaxJobs:       8,
	})
	key := make([]byte, 32)
	copy(key, f.Accounts[worker].Address)
	key[31] = 1
	f.MustDeliver(f.Accounts[worker], &providertypes.MsgSetAuditKey{Worker: f.Accounts[worker].Address.String(), AuditKey: key})
}

func submitMsg(f *appfixture.Fixture, submitter string, maxFee int64, deadline uint64) *types.MsgSubmitJob {
	return &types.MsgSubmitJob{
		Submitter:       f.Accounts[submitter].Address.String(),
		ModelId:         testModel,
		Prompt:          "Once upon a time",
		MaxOutputTokens: 16,
		MaxFee:          coin(maxFee),
		OutputKey:       curve25519.Basepoint,
		DeadlineBlocks:  deadline,
	}
}

// submit delivers a job and returns its id.
func submit(t *testing.T, f *appfixture.Fixture, submitter string, maxFee int64, deadline uint64) uint64 {
	t.Helper()
	res := f.MustDeliver(f.Accounts[submitter], submitMsg(f, submitter, maxFee, deadline))
	ids, err := types.SubmittedJobIDs(res.Events)
	if err != nil || len(ids) != 1 {
		t.Fatalf("submitted job ids %v: %v", ids, err)
	}
	return ids[0]
}

func job(t *testing.T, f *appfixture.Fixture, id uint64) types.Job {
	t.Helper()
	j, err := f.App.TaskKeeper.Jobs.Get(f.Ctx(), id)
	if err != nil {
		t.Fatalf("job %d: %v", id, err)
	}
	return j
}

// workerOf returns the name of the worker account of the provider that holds the job.
func workerOf(t *testing.T, f *appfixture.Fixture, j types.Job) (worker, other string) {
	t.Helper()
	if j.Provider == f.Accounts["prov1"].Address.String() {
		return "worker1", "worker2"
	}
	return "worker2", "worker1"
}

func commitMsg(f *appfixture.Fixture, worker string, id uint64, promptTokens, outputTokens uint64) *types.MsgCommitResult {
	return &types.MsgCommitResult{
		Worker: f.Accounts[worker].Address.String(),
		Results: []types.JobResult{{
			JobId: id, Commitment: make([]byte, 32), PromptTokens: promptTokens, OutputTokens: outputTokens,
			SealedOutput: []byte("sealed"),
		}},
	}
}

// advanceUntil runs empty blocks until cond holds, failing after limit blocks.
func advanceUntil(t *testing.T, f *appfixture.Fixture, limit int, cond func() bool) {
	t.Helper()
	for i := 0; i < limit; i++ {
		if cond() {
			return
		}
		f.NextBlock()
	}
	if !cond() {
		t.Fatalf("condition not reached within %d blocks (height %d)", limit, f.Height())
	}
}

func amount(c sdk.Coins) sdkmath.Int { return c.AmountOf(app.BondDenom) }
