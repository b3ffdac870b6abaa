package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/keeper"
	"github.com/sovra-network/sovra/x/task/types"
)

// TestFloodOfUnassignableJobsDoesNotStarveANewOne is the starvation attack: 20,000 jobs
// bid exactly the cheapest provider's price while that provider is full, so none can be
// assigned, while a dearer provider sits idle. Under the old scheme (retries first, from
// one budget) they used every block's assignment budget and a job that the idle provider
// could take stayed pending for about 1,000 blocks. Now the flood waits in its model's
// queue below better bids, takes at most half the budget, and a job that bids the idle
// provider's price is assigned within two blocks of its submission; the flood stays
// pending and escrowed, nothing dropped.
func TestFloodOfUnassignableJobsDoesNotStarveANewOne(t *testing.T) {
	const flood = 20_000
	f := newFixture(t, 3)
	registerProvider(t, f, "prov1", "worker1", 10) // the cheap one, to be kept full
	registerProvider(t, f, "prov2", "worker2", 20) // dearer, idle
	registerStandby(t, f)
	prov1 := f.Accounts["prov1"]
	f.MustDeliver(prov1, &providertypes.MsgUpdateProvider{Operator: prov1.Address.String(), MaxJobs: 1})

	units := int64(keeper.PromptTokenBound(submitMsg(f, "alice", 0, 0).Prompt)) + 16
	busy := submit(t, f, "alice", 10*units, 1000) // only prov1's price fits: it fills prov1
	f.NextBlock()
	if j := job(t, f, busy); j.Provider != prov1.Address.String() {
		t.Fatalf("the busy job went to %s, want the cheap provider", j.Provider)
	}

	// The flood: 1,000 txs of 20 jobs each, bidding only the full provider's price.
	const perTx, txsPerBlock = 20, 250
	var txs [][]byte
	for i := 0; i < flood/perTx; i++ {
		who := []string{"alice", "bob"}[i%2]
		msgs := make([]sdk.Msg, perTx)
		for j := range msgs {
			msgs[j] = submitMsg(f, who, 10*units, 1000)
		}
		txs = append(txs, f.SignTx(f.Accounts[who], msgs...))
	}
	for len(txs) > 0 {
		n := min(txsPerBlock, len(txs))
		for _, r := range f.NextBlock(txs[:n]...) {
			if r.Code != 0 {
				t.Fatalf("flood tx failed: %s", r.Log)
			}
		}
		txs = txs[n:]
	}
	f.NextBlock() // the last flood jobs get their first attempt
	k, ctx := f.App.TaskKeeper, f.Ctx()
	if n, err := k.WaitingCount.Get(ctx, testModel); err != nil || n != flood {
		t.Fatalf("waiting jobs: %d (%v), want the whole flood of %d", n, err, flood)
	}

	// A job the idle provider can take, submitted behind the whole flood.
	h := f.Height()
	fresh := submit(t, f, "bob", 20*units, 0)
	advanceUntil(t, f, 2, func() bool { return job(t, f, fresh).Status == types.JOB_STATUS_ASSIGNED })
	if j := job(t, f, fresh); j.Provider != f.Accounts["prov2"].Address.String() || j.AssignHeight > h+2 {
		t.Fatalf("fresh job assigned to %s at height %d (submitted at %d)", j.Provider, j.AssignHeight, h+1)
	}

	// Once the cheap provider's job is committed, the oldest flood job takes its slot.
	f.MustDeliver(f.Accounts["worker1"], commitMsg(f, "worker1", busy, 3, 3))
	f.NextBlock()
	if j := job(t, f, busy+1); j.Status != types.JOB_STATUS_ASSIGNED || j.Provider != prov1.Address.String() {
		t.Fatalf("oldest flood job: %s with %q, want assigned to the cheap provider", j.Status, j.Provider)
	}
	if n, err := k.WaitingCount.Get(f.Ctx(), testModel); err != nil || n != flood-1 {
		t.Fatalf("waiting jobs: %d (%v), want %d", n, err, flood-1)
	}
	if err := k.CheckIndexes(f.Ctx()); err != nil {
		t.Fatal(err)
	}
	if err := k.CheckEscrow(f.Ctx()); err != nil {
		t.Fatal(err)
	}
}
