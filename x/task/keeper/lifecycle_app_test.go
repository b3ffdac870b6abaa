package keeper_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	"github.com/sovra-network/sovra/x/task/types"
)

// TestJobSettlesAndPays runs a job through real blocks: escrow, assignment from the
// beacon, commit by the worker key, settlement at the decision height, the exact fee
// split, the refund of the unused fee, and the claim. Invariants run after every block.
func TestJobSettlesAndPays(t *testing.T) {
	f := newFixture(t, 3)
	checker := f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	alice, prov := f.Accounts["alice"], f.Accounts["prov1"]
	aliceBefore := f.Balance(alice.Address)

	id := submit(t, f, "alice", 100_000, 0)
	if j := job(t, f, id); j.Status != types.JOB_STATUS_PENDING {
		t.Fatalf("after submit: %s", j.Status)
	}
	if got := f.Balance(alice.Address); !got.Equal(aliceBefore.SubRaw(100_000)) {
		t.Fatalf("escrow: alice has %s, want %s", got, aliceBefore.SubRaw(100_000))
	}
	f.NextBlock()
	j := job(t, f, id)
	if j.Status != types.JOB_STATUS_ASSIGNED || j.Provider != prov.Address.String() {
		t.Fatalf("after one block: status %s provider %q", j.Status, j.Provider)
	}
	requireBlockEvent(t, f, &types.EventJobAssigned{JobId: id, Provider: prov.Address.String()})
	p, err := f.App.ProviderKeeper.GetProvider(f.Ctx(), prov.Address)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := f.App.VerifyKeeper.Params.Get(f.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	// x/verify's collateral_multiplier × the provider's most for the job: price 10 ×
	// (16 prompt bytes + 2 + 16 max output tokens), not × alice's max_fee.
	if want := sdkmath.NewIntFromUint64(10 * (16 + 2 + 16) * vp.CollateralMultiplier); !p.Locked.Equal(want) || !j.Collateral.Equal(want) {
		t.Fatalf("collateral locked %s, want %s", p.Locked, want)
	}

	f.MustDeliver(f.Accounts["worker1"], commitMsg(f, "worker1", id, 4, 12)) // 16 tokens x 10 = 160
	advanceUntil(t, f, 10, func() bool { return job(t, f, id).Status == types.JOB_STATUS_SETTLED })
	j = job(t, f, id)
	if !j.FeePaid.Amount.Equal(sdkmath.NewInt(160)) || !j.Refunded.Amount.Equal(sdkmath.NewInt(100_000-160)) {
		t.Fatalf("fee %s refund %s, want 160 and %d", j.FeePaid, j.Refunded, 100_000-160)
	}
	// Not drawn for audit: the settlement is the decision's only event.
	if evs, err := types.ParseEvents(f.LastBlock.Events); err != nil {
		t.Fatal(err)
	} else {
		for _, e := range evs {
			if d, ok := e.(*types.EventJobAuditDecision); ok {
				t.Fatalf("block %d: %v for a job that settled at once", f.Height(), d)
			}
		}
	}
	requireBlockEvent(t, f, &types.EventJobSettled{JobId: id, Provider: prov.Address.String(), Fee: j.FeePaid, Refund: j.Refunded})
	if j.DecisionHeight < j.CommitHeight+2 || j.DecisionHeight > j.CommitHeight+2+2 {
		t.Fatalf("decision height %d outside [commit+2, commit+2+K-1] (commit %d, K 3)", j.DecisionHeight, j.CommitHeight)
	}
	if got := f.Balance(alice.Address); !got.Equal(aliceBefore.SubRaw(160)) {
		t.Fatalf("alice paid %s, want exactly 160", aliceBefore.Sub(got))
	}

	params, err := f.App.RewardsKeeper.Params.Get(f.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	split := rewardstypes.SplitFee(sdk.NewCoins(j.FeePaid), params)
	total, bySource, err := f.App.RewardsKeeper.Pending(f.Ctx(), prov.Address)
	if err != nil {
		t.Fatal(err)
	}
	if !total.Equal(split.Provider) || len(bySource) != 1 || bySource[0].Source != rewardstypes.SourceJobs {
		t.Fatalf("pending %s %v, want exactly the provider share %s from jobs", total, bySource, split.Provider)
	}
	if !amount(split.Provider).Equal(sdkmath.NewInt(128)) { // 0.80 x 160
		t.Fatalf("provider share %s, want 128", split.Provider)
	}
	p, _ = f.App.ProviderKeeper.GetProvider(f.Ctx(), prov.Address)
	if !p.Locked.IsZero() || p.ActiveJobs != 0 || p.JobsDone != 1 {
		t.Fatalf("provider after settlement: locked %s active %d done %d", p.Locked, p.ActiveJobs, p.JobsDone)
	}

	provBefore := f.Balance(prov.Address)
	f.MustDeliver(prov, &rewardstypes.MsgClaimRewards{Address: prov.Address.String()})
	if got := f.Balance(prov.Address); !got.Equal(provBefore.Add(amount(split.Provider))) {
		t.Fatalf("claim: balance %s, want %s", got, provBefore.Add(amount(split.Provider)))
	}
	if total, _, _ := f.App.RewardsKeeper.Pending(f.Ctx(), prov.Address); !total.IsZero() {
		t.Fatalf("pending after claim: %s", total)
	}
	if checker.Blocks < 8 {
		t.Fatalf("invariants ran after only %d blocks", checker.Blocks)
	}
}

// TestJobExpiresAndRefundsInFull leaves an assigned job uncommitted: at the deadline the
// submitter gets everything back and the provider counts a miss.
func TestJobExpiresAndRefundsInFull(t *testing.T) {
	f := newFixture(t, 3)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	alice, prov := f.Accounts["alice"], f.Accounts["prov1"]
	before := f.Balance(alice.Address)
	id := submit(t, f, "alice", 50_000, 3)
	f.NextBlock()
	if j := job(t, f, id); j.Status != types.JOB_STATUS_ASSIGNED {
		t.Fatalf("not assigned: %s", j.Status)
	}
	advanceUntil(t, f, 5, func() bool { return job(t, f, id).Status == types.JOB_STATUS_EXPIRED })
	if got := f.Balance(alice.Address); !got.Equal(before) {
		t.Fatalf("alice has %s after expiry, want all of %s back", got, before)
	}
	p, err := f.App.ProviderKeeper.GetProvider(f.Ctx(), prov.Address)
	if err != nil {
		t.Fatal(err)
	}
	if p.JobsMissed != 1 || p.Misses != 1 || !p.Locked.IsZero() || p.Status != providertypes.PROVIDER_STATUS_ACTIVE {
		t.Fatalf("provider after a miss: missed %d misses %d locked %s status %s", p.JobsMissed, p.Misses, p.Locked, p.Status)
	}
	// A commit after expiry is refused.
	res := f.Deliver(f.Accounts["worker1"], commitMsg(f, "worker1", id, 4, 4))
	if res.Code == 0 {
		t.Fatal("commit after expiry accepted")
	}
}

// TestMissesJailProvider: max_misses expired jobs jail the provider, who then gets no jobs.
func TestMissesJailProvider(t *testing.T) {
	f := newFixture(t, 3)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	params, err := f.App.ProviderKeeper.Params.Get(f.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i := uint32(0); i < params.MaxMisses; i++ {
		last = submit(t, f, "alice", 50_000, 2)
		advanceUntil(t, f, 6, func() bool { return job(t, f, last).Status == types.JOB_STATUS_EXPIRED })
	}
	p, _ := f.App.ProviderKeeper.GetProvider(f.Ctx(), f.Accounts["prov1"].Address)
	if p.Status != providertypes.PROVIDER_STATUS_JAILED {
		t.Fatalf("after %d misses: %s", params.MaxMisses, p.Status)
	}
	// No active provider is left, so a new job is refused with a clear error.
	res := f.Deliver(f.Accounts["alice"], submitMsg(f, "alice", 50_000, 0))
	if res.Code == 0 {
		t.Fatal("job accepted with no active provider")
	}
}

// TestManyJobsKeepInvariants submits and settles many jobs across two providers with
// every invariant checked after every block.
func TestManyJobsKeepInvariants(t *testing.T) {
	f := newFixture(t, 3)
	checker := f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 7)
	registerProvider(t, f, "prov2", "worker2", 9)
	registerStandby(t, f)
	var ids []uint64
	for i := 0; i < 12; i++ {
		submitter := []string{"alice", "bob"}[i%2]
		ids = append(ids, submit(t, f, submitter, int64(20_000+i*1_000), 0))
	}
	f.NextBlock()
	byProvider := map[string]int{}
	for n, id := range ids {
		j := job(t, f, id)
		if j.Status != types.JOB_STATUS_ASSIGNED {
			t.Fatalf("job %d: %s", id, j.Status)
		}
		byProvider[j.Provider]++
		w, _ := workerOf(t, f, j)
		if n%3 != 0 { // every third job is left to expire
			f.MustDeliver(f.Accounts[w], commitMsg(f, w, id, 5, uint64(1+n)))
		}
	}
	if len(byProvider) != 2 {
		t.Fatalf("12 jobs all went to one provider: %v", byProvider)
	}
	advanceUntil(t, f, 60, func() bool {
		for _, id := range ids {
			if job(t, f, id).Status.IsOpen() {
				return false
			}
		}
		return true
	})
	for n, id := range ids {
		want := types.JOB_STATUS_SETTLED
		if n%3 == 0 {
			want = types.JOB_STATUS_EXPIRED
		}
		if got := job(t, f, id).Status; got != want {
			t.Fatalf("job %d: %s, want %s", id, got, want)
		}
	}
	if escrow, _ := f.App.TaskKeeper.OpenEscrow(f.Ctx()); !escrow.IsZero() {
		t.Fatalf("escrow left: %s", escrow)
	}
	t.Logf("invariants held over %d blocks", checker.Blocks)
}

// requireBlockEvent asserts that the last block emitted want, decoded from the block's
// events as a client reads them from the node (compared as proto JSON, amounts by value).
func requireBlockEvent(t *testing.T, f *appfixture.Fixture, want proto.Message) {
	t.Helper()
	evs, err := types.ParseEvents(f.LastBlock.Events)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, err := codec.ProtoMarshalJSON(want, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if got, err := codec.ProtoMarshalJSON(e, nil); err == nil && string(got) == string(wantJSON) {
			return
		}
	}
	t.Fatalf("block %d: no %s in %v", f.Height(), wantJSON, evs)
}
