package keeper_test

import (
	"testing"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/types"
)

// TestWaitingJobIsAssignedLaterOrCancelled: with the only provider busy, a job waits
// (pending, escrowed); once capacity frees it is assigned. A waiting job can be
// cancelled for a full refund.
func TestWaitingJobIsAssignedLaterOrCancelled(t *testing.T) {
	f := newFixture(t, 3)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
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
	advanceUntil(t, f, 20, func() bool { return job(t, f, second).Status == types.JOB_STATUS_ASSIGNED })
	if s := job(t, f, first).Status; s != types.JOB_STATUS_SETTLED {
		t.Fatalf("first job: %s", s)
	}
}
