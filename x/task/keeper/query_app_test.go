package keeper_test

import (
	"testing"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/keeper"
	"github.com/sovra-network/sovra/x/task/types"
)

// TestJobsQueryFilters checks every filter of the jobs query against a known state:
// pending jobs (never tried and waiting for capacity), an assigned one, a cancelled one.
func TestJobsQueryFilters(t *testing.T) {
	f := newFixture(t, 3)
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	f.MustDeliver(f.Accounts["prov1"], &providertypes.MsgUpdateProvider{Operator: f.Accounts["prov1"].Address.String(), MaxJobs: 1})
	a := submit(t, f, "alice", 50_000, 0) // assigned next block
	b := submit(t, f, "bob", 50_000, 0)   // waits: capacity 1
	c := submit(t, f, "alice", 50_000, 0)
	f.MustDeliver(f.Accounts["alice"], &types.MsgCancelJob{Submitter: f.Accounts["alice"].Address.String(), JobId: c})
	d := submit(t, f, "bob", 50_000, 0) // submitted in the last block: not tried yet
	q := keeper.NewQueryServerImpl(f.App.TaskKeeper)

	ids := func(req *types.QueryJobsRequest) []uint64 {
		t.Helper()
		res, err := q.Jobs(f.Ctx(), req)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, j := range res.Jobs {
			out = append(out, j.Id)
		}
		return out
	}
	equal := func(name string, got []uint64, want ...uint64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %v, want %v", name, got, want)
			}
		}
	}
	equal("pending", ids(&types.QueryJobsRequest{Status: types.JOB_STATUS_PENDING}), b, d)
	equal("assigned", ids(&types.QueryJobsRequest{Status: types.JOB_STATUS_ASSIGNED}), a)
	equal("cancelled", ids(&types.QueryJobsRequest{Status: types.JOB_STATUS_CANCELLED}), c)
	equal("alice", ids(&types.QueryJobsRequest{Submitter: f.Accounts["alice"].Address.String()}), a, c)
	equal("bob", ids(&types.QueryJobsRequest{Submitter: f.Accounts["bob"].Address.String()}), b, d)
	equal("prov1", ids(&types.QueryJobsRequest{Provider: f.Accounts["prov1"].Address.String()}), a)
	equal("all", ids(&types.QueryJobsRequest{}), a, b, c, d)
	if _, err := q.Jobs(f.Ctx(), &types.QueryJobsRequest{Submitter: "x", Status: types.JOB_STATUS_SETTLED}); err == nil {
		t.Fatal("two filters accepted")
	}
}
