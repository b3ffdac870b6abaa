package keeper_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	"github.com/sovra-network/sovra/x/task/types"
)

// TestBlockSettlementPaysAsPerJob settles twelve jobs of two submitters on two providers
// in one block (K = 1) and checks that paying them together moves exactly what paying
// each on its own would: every submitter is charged exactly its jobs' fees, each
// provider accrues the sum of its jobs' provider parts, each fee split on its own (the
// parts truncated per fee: the split of the summed fee differs here), the verification
// pool gets the sum of the per-job parts. And that the money moves in one transfer per
// recipient: one from the escrow to x/rewards and one refund per submitter, with one
// EventFeeDistributed per provider holding its sums. Invariants run after every block.
func TestBlockSettlementPaysAsPerJob(t *testing.T) {
	f := newFixture(t, 1)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 7)
	registerProvider(t, f, "prov2", "worker2", 7)
	registerStandby(t, f)
	submitters := []string{"alice", "bob"}
	before := map[string]sdkmath.Int{}
	var txs [][]byte
	for _, s := range submitters {
		before[s] = f.Balance(f.Accounts[s].Address)
		var msgs []sdk.Msg
		for range 6 {
			msgs = append(msgs, submitMsg(f, s, 100_000, 0))
		}
		txs = append(txs, f.SignTx(f.Accounts[s], msgs...))
	}
	for _, res := range f.NextBlock(txs...) {
		if res.Code != 0 {
			t.Fatalf("submission failed: %s", res.Log)
		}
	}
	var ids []uint64
	for _, s := range submitters {
		f.SyncSequence(f.Accounts[s])
	}
	f.NextBlock() // assignment
	next, err := f.App.TaskKeeper.NextJobID.Peek(f.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	byWorker := map[string]*types.MsgCommitResult{}
	for id := next - 12; id < next; id++ {
		ids = append(ids, id)
		j := job(t, f, id)
		if j.Status != types.JOB_STATUS_ASSIGNED {
			t.Fatalf("job %d is %s after a block, want assigned", id, j.Status)
		}
		w, _ := workerOf(t, f, j)
		if byWorker[w] == nil {
			byWorker[w] = &types.MsgCommitResult{Worker: f.Accounts[w].Address.String()}
		}
		// Output tokens differ per job, so do the fees: 7 × (4 + 5..16).
		byWorker[w].Results = append(byWorker[w].Results, types.JobResult{
			JobId: id, Commitment: make([]byte, 32), PromptTokens: 4, OutputTokens: 5 + id%12, SealedOutput: []byte("sealed"),
		})
	}
	if len(byWorker) != 2 {
		t.Fatalf("jobs went to %d providers, want both", len(byWorker))
	}
	txs = nil
	for _, w := range []string{"worker1", "worker2"} {
		txs = append(txs, f.SignTx(f.Accounts[w], byWorker[w]))
	}
	for _, res := range f.NextBlock(txs...) {
		if res.Code != 0 {
			t.Fatalf("commit failed: %s", res.Log)
		}
	}
	f.NextBlock() // X is fixed: commit height + 2
	poolBefore := f.Balance(authtypes.NewModuleAddress(rewardstypes.VerificationPoolName))
	f.NextBlock()

	params, err := f.App.RewardsKeeper.Params.Get(f.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	paid := map[string]sdkmath.Int{}            // submitter name → fees
	feeOf := map[string]sdk.Coins{}             // provider → its fees
	parts := map[string]rewardstypes.FeeSplit{} // provider → the sum of its per-job splits
	var all rewardstypes.FeeSplit
	var sum sdk.Coins
	for _, id := range ids {
		j := job(t, f, id)
		if j.Status != types.JOB_STATUS_SETTLED || j.EndHeight != f.Height() {
			t.Fatalf("job %d: %s at %d, want settled at %d", id, j.Status, j.EndHeight, f.Height())
		}
		name := "alice"
		if j.Submitter == f.Accounts["bob"].Address.String() {
			name = "bob"
		}
		if paid[name].IsNil() {
			paid[name] = sdkmath.ZeroInt()
		}
		paid[name] = paid[name].Add(j.FeePaid.Amount)
		split := rewardstypes.SplitFee(sdk.NewCoins(j.FeePaid), params)
		parts[j.Provider] = parts[j.Provider].Add(split)
		feeOf[j.Provider] = feeOf[j.Provider].Add(j.FeePaid)
		all = all.Add(split)
		sum = sum.Add(j.FeePaid)
	}
	if whole := rewardstypes.SplitFee(sum, params); whole.Validators.Equal(all.Validators) && whole.Community.Equal(all.Community) {
		t.Fatalf("the fees do not tell a per-job split (%v) from a split of their sum (%v)", all, whole)
	}
	for _, s := range submitters {
		if got, want := f.Balance(f.Accounts[s].Address), before[s].Sub(paid[s]); !got.Equal(want) {
			t.Errorf("%s holds %s, want %s (charged exactly its jobs' fees %s)", s, got, want, paid[s])
		}
	}
	for _, p := range []string{"prov1", "prov2"} {
		op := f.Accounts[p].Address.String()
		total, _, err := f.App.RewardsKeeper.Pending(f.Ctx(), f.Accounts[p].Address)
		if err != nil {
			t.Fatal(err)
		}
		if !total.Equal(parts[op].Provider) {
			t.Errorf("%s accrued %s, want the sum of its per-job provider parts %s", p, total, parts[op].Provider)
		}
	}
	if got := f.Balance(authtypes.NewModuleAddress(rewardstypes.VerificationPoolName)).Sub(poolBefore); !got.Equal(amount(all.VerificationPool)) {
		t.Errorf("verification pool got %s, want the sum of the per-job parts %s", got, all.VerificationPool)
	}

	// One transfer out of the escrow to x/rewards, one refund per submitter.
	escrow := authtypes.NewModuleAddress(types.ModuleName).String()
	transfers := 0
	for _, e := range f.LastBlock.Events {
		if e.Type != banktypes.EventTypeTransfer {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == banktypes.AttributeKeySender && a.Value == escrow {
				transfers++
			}
		}
	}
	if transfers != 1+len(submitters) {
		t.Errorf("%d transfers out of the escrow in the settlement block, want %d", transfers, 1+len(submitters))
	}
	evs, err := rewardstypes.ParseEvents(f.LastBlock.Events)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		fd, ok := e.(*rewardstypes.EventFeeDistributed)
		if !ok {
			continue
		}
		if seen[fd.Provider] {
			t.Errorf("two EventFeeDistributed for %s", fd.Provider)
		}
		seen[fd.Provider] = true
		want := parts[fd.Provider]
		if !fd.Fee.Equal(feeOf[fd.Provider]) || !fd.ProviderAmount.Equal(want.Provider) || !fd.VerificationPool.Equal(want.VerificationPool) ||
			!fd.Validators.Equal(want.Validators) || !fd.Community.Equal(want.Community) || fd.FromModule != types.ModuleName {
			t.Errorf("EventFeeDistributed %v, want fee %s and the sums %v", fd, feeOf[fd.Provider], want)
		}
	}
	if len(seen) != 2 {
		t.Errorf("EventFeeDistributed for %d providers, want 2", len(seen))
	}
}
