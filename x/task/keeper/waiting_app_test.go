package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/testutil/appfixture"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/types"
)

// TestWaitingJobIsAssignedLaterOrCancelled: with the only provider busy, a job waits
// (pending, escrowed); once its slot frees, at the commit of the first job and not at its
// settlement, the waiting job is assigned in the next block. A waiting job can be
// cancelled for a full refund.
func TestWaitingJobIsAssignedLaterOrCancelled(t *testing.T) {
	f := newFixture(t, 3)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	f.MustDeliver(f.Accounts["prov1"], &providertypes.MsgUpdateProvider{Operator: f.Accounts["prov1"].Address.String(), MaxJobs: 1})

	first := submit(t, f, "alice", 50_000, 0)
	second := submit(t, f, "bob", 50_000, 0)
	third := submit(t, f, "alice", 50_000, 0)
	f.NextBlock()
	if s := job(t, f, first).Status; s != types.JOB_STATUS_ASSIGNED {
		t.Fatalf("first job: %s", s)
	}
	if s := job(t, f, second).Status; s != types.JOB_STATUS_PENDING {
		t.Fatalf("second job should wait for capacity, is %s", s)
	}

	before := f.Balance(f.Accounts["alice"].Address)
	f.MustDeliver(f.Accounts["alice"], &types.MsgCancelJob{Submitter: f.Accounts["alice"].Address.String(), JobId: third})
	if s := job(t, f, third).Status; s != types.JOB_STATUS_CANCELLED {
		t.Fatalf("third job after cancel: %s", s)
	}
	if got := f.Balance(f.Accounts["alice"].Address); !got.Equal(before.AddRaw(50_000)) {
		t.Fatalf("cancel refunded %s, want 50000", got.Sub(before))
	}

	f.MustDeliver(f.Accounts["worker1"], commitMsg(f, "worker1", first, 3, 3))
	p, _ := f.App.ProviderKeeper.GetProvider(f.Ctx(), f.Accounts["prov1"].Address)
	if p.ActiveJobs != 0 || !p.LockedAmount().Equal(job(t, f, first).Collateral) {
		t.Fatalf("after commit: %d active jobs, %s locked; want the slot free and the collateral %s still locked",
			p.ActiveJobs, p.LockedAmount(), job(t, f, first).Collateral)
	}
	f.NextBlock()
	if s := job(t, f, second).Status; s != types.JOB_STATUS_ASSIGNED {
		t.Fatalf("second job one block after the commit: %s", s)
	}
	if s := job(t, f, first).Status; s != types.JOB_STATUS_COMMITTED {
		t.Fatalf("first job: %s, want still committed (awaiting its audit decision)", s)
	}
	advanceUntil(t, f, 20, func() bool { return job(t, f, first).Status == types.JOB_STATUS_SETTLED })
}

// TestWaitingJobExpiresAtItsDeadline: a job no provider can take before its deadline
// expires with a full refund, and no provider counts a miss.
func TestWaitingJobExpiresAtItsDeadline(t *testing.T) {
	f := newFixture(t, 3)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	f.MustDeliver(f.Accounts["prov1"], &providertypes.MsgUpdateProvider{Operator: f.Accounts["prov1"].Address.String(), MaxJobs: 1})
	busy := submit(t, f, "alice", 50_000, 30)
	before := f.Balance(f.Accounts["bob"].Address)
	waiting := submit(t, f, "bob", 50_000, 4)
	if got := f.Balance(f.Accounts["bob"].Address); !got.Equal(before.SubRaw(50_000)) {
		t.Fatalf("escrow not taken: %s", before.Sub(got))
	}
	advanceUntil(t, f, 8, func() bool { return job(t, f, waiting).Status == types.JOB_STATUS_EXPIRED })
	j := job(t, f, waiting)
	if j.Provider != "" || j.EndHeight > j.DeadlineHeight {
		t.Fatalf("expired job: provider %q, ended at %d after deadline %d", j.Provider, j.EndHeight, j.DeadlineHeight)
	}
	if got := f.Balance(f.Accounts["bob"].Address); !got.Equal(before) {
		t.Fatalf("bob got back %s of 50000", got.Sub(before.SubRaw(50_000)))
	}
	if s := job(t, f, busy).Status; s != types.JOB_STATUS_ASSIGNED {
		t.Fatalf("busy job: %s", s)
	}
	p, _ := f.App.ProviderKeeper.GetProvider(f.Ctx(), f.Accounts["prov1"].Address)
	if p.JobsMissed != 0 {
		t.Fatalf("provider charged a miss for a job it never had: %d", p.JobsMissed)
	}
}

// TestWeakBeaconDefersAssignment: while every beacon is weak on a chain that requires VRF
// beacons (the validator has no key registered yet), a job is not assigned: anyone could
// compute the weak beacon before the block and aim the draw. It stays pending, escrowed,
// until the first VRF beacon, and is assigned in that block.
func TestWeakBeaconDefersAssignment(t *testing.T) {
	f := appfixture.New(t, appfixture.Options{
		Accounts: []string{"alice", "bob", "prov1", "worker1", "standby1", "standby1w", "standby2", "standby2w", "standby3", "standby3w"},
		Genesis:  withModel(3), NoVRFKey: true,
	})
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	id := submit(t, f, "alice", 50_000, 0)
	for range 3 {
		f.NextBlock()
		if b, err := f.App.BeaconKeeper.LatestBeacon(f.Ctx()); err != nil || !b.Weak {
			t.Fatalf("beacon %+v (%v): the test wants weak beacons", b, err)
		}
		if s := job(t, f, id).Status; s != types.JOB_STATUS_PENDING {
			t.Fatalf("job %d on a weak beacon: %s, want pending", id, s)
		}
	}
	op := f.Operator
	valoper := sdk.ValAddress(op.Address).String()
	proof, _ := vrf.Prove(f.VRFKey, vrf.PossessionInput(appfixture.ChainID, valoper))
	f.MustDeliver(op, &beacontypes.MsgRegisterVRFKey{Operator: op.Address.String(), PubKey: f.VRFKey.PubKey(), Proof: proof})
	f.NextBlock()
	if b, err := f.App.BeaconKeeper.LatestBeacon(f.Ctx()); err != nil || b.Weak {
		t.Fatalf("beacon %+v (%v) after the key's registration, want a VRF beacon", b, err)
	}
	if j := job(t, f, id); j.Status != types.JOB_STATUS_ASSIGNED || j.AssignHeight != f.Height() {
		t.Fatalf("job %d: %s at height %d, want assigned in the first VRF block %d", id, j.Status, j.AssignHeight, f.Height())
	}
}
