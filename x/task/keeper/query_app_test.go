package keeper_test

import (
	"fmt"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"

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

// TestJobsQueryPages pages through every filter of the jobs query, one job a page by
// next key, by offset, counted and reversed, and checks that the pages make up the
// unpaginated list.
func TestJobsQueryPages(t *testing.T) {
	f := newFixture(t, 3)
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	f.MustDeliver(f.Accounts["prov1"], &providertypes.MsgUpdateProvider{Operator: f.Accounts["prov1"].Address.String(), MaxJobs: 1})
	a := submit(t, f, "alice", 50_000, 0)
	b := submit(t, f, "bob", 50_000, 0)
	c := submit(t, f, "alice", 50_000, 0)
	f.MustDeliver(f.Accounts["alice"], &types.MsgCancelJob{Submitter: f.Accounts["alice"].Address.String(), JobId: c})
	e := submit(t, f, "bob", 50_000, 0)
	d := submit(t, f, "bob", 50_000, 0)
	q := keeper.NewQueryServerImpl(f.App.TaskKeeper)

	idsOf := func(res *types.QueryJobsResponse) []uint64 {
		var out []uint64
		for _, j := range res.Jobs {
			out = append(out, j.Id)
		}
		return out
	}
	for name, tc := range map[string]struct {
		req  types.QueryJobsRequest
		want []uint64
	}{
		"all":      {types.QueryJobsRequest{}, []uint64{a, b, c, e, d}},
		"pending":  {types.QueryJobsRequest{Status: types.JOB_STATUS_PENDING}, []uint64{b, e, d}},
		"assigned": {types.QueryJobsRequest{Status: types.JOB_STATUS_ASSIGNED}, []uint64{a}},
		"bob":      {types.QueryJobsRequest{Submitter: f.Accounts["bob"].Address.String()}, []uint64{b, e, d}},
		"prov1":    {types.QueryJobsRequest{Provider: f.Accounts["prov1"].Address.String()}, []uint64{a}},
		"nobody":   {types.QueryJobsRequest{Provider: "not-an-address"}, nil},
		"settled":  {types.QueryJobsRequest{Status: types.JOB_STATUS_SETTLED}, nil},
	} {
		// By next key, one job a page.
		var got []uint64
		var key []byte
		for page := 0; ; page++ {
			req := tc.req
			req.Pagination = &query.PageRequest{Key: key, Limit: 1}
			res, err := q.Jobs(f.Ctx(), &req)
			if err != nil {
				t.Fatalf("%s page %d: %v", name, page, err)
			}
			got = append(got, idsOf(res)...)
			if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
				break
			}
			if page > len(tc.want) {
				t.Fatalf("%s: more pages than jobs", name)
			}
			key = res.Pagination.NextKey
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("%s by key: %v, want %v", name, got, tc.want)
		}
		// By offset, counted.
		got = nil
		for off := uint64(0); off <= uint64(len(tc.want)); off++ {
			req := tc.req
			req.Pagination = &query.PageRequest{Offset: off, Limit: 1, CountTotal: true}
			res, err := q.Jobs(f.Ctx(), &req)
			if err != nil {
				t.Fatalf("%s offset %d: %v", name, off, err)
			}
			if len(tc.want) > 0 && res.Pagination.Total != uint64(len(tc.want)) {
				t.Fatalf("%s offset %d: total %d, want %d", name, off, res.Pagination.Total, len(tc.want))
			}
			got = append(got, idsOf(res)...)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("%s by offset: %v, want %v", name, got, tc.want)
		}
		// Reversed.
		req := tc.req
		req.Pagination = &query.PageRequest{Reverse: true}
		res, err := q.Jobs(f.Ctx(), &req)
		if err != nil {
			t.Fatalf("%s reversed: %v", name, err)
		}
		got = idsOf(res)
		for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
			got[i], got[j] = got[j], got[i]
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("%s reversed: %v, want %v reversed", name, idsOf(res), tc.want)
		}
	}
	if _, err := q.Jobs(f.Ctx(), &types.QueryJobsRequest{Pagination: &query.PageRequest{Key: []byte{1}, Offset: 1}}); err == nil {
		t.Fatal("key and offset accepted together")
	}
}
