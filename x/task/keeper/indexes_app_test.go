package keeper_test

import (
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/keeper"
	"github.com/sovra-network/sovra/x/task/types"
)

// jobIndexState is every entry jobIndexes keeps, with the jobs, as text.
func jobIndexState(t *testing.T, f *appfixture.Fixture) string {
	t.Helper()
	k, ctx := f.App.TaskKeeper, f.Ctx()
	var b strings.Builder
	heightJob := func(name string, q collections.KeySet[collections.Pair[int64, uint64]]) error {
		return q.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
			fmt.Fprintf(&b, "|%s %d/%d", name, key.K1(), key.K2())
			return false, nil
		})
	}
	addrJob := func(name string, q collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]) error {
		return q.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
			fmt.Fprintf(&b, "|%s %s/%d", name, key.K1(), key.K2())
			return false, nil
		})
	}
	for _, walk := range []func() error{
		func() error {
			return k.Jobs.Walk(ctx, nil, func(id uint64, j types.Job) (bool, error) {
				fmt.Fprintf(&b, "|job %d %s", id, j.String())
				return false, nil
			})
		},
		func() error { return addrJob("submitter", k.BySubmitter) },
		func() error { return addrJob("provider", k.ByProvider) },
		func() error {
			return k.ByStatus.Walk(ctx, nil, func(key collections.Pair[int32, uint64]) (bool, error) {
				fmt.Fprintf(&b, "|status %d/%d", key.K1(), key.K2())
				return false, nil
			})
		},
		func() error { return heightJob("deadline", k.DeadlineQueue) },
		func() error { return heightJob("schedule", k.DecisionSchedule) },
		func() error { return heightJob("decision", k.DecisionQueue) },
		func() error {
			return k.Waiting.Walk(ctx, nil, func(key collections.Triple[string, uint64, uint64]) (bool, error) {
				fmt.Fprintf(&b, "|waiting %s/%d/%d", key.K1(), key.K2(), key.K3())
				return false, nil
			})
		},
		func() error {
			return k.WaitingCount.Walk(ctx, nil, func(model string, n uint64) (bool, error) {
				fmt.Fprintf(&b, "|waiting count %s %d", model, n)
				return false, nil
			})
		},
		func() error {
			cursor, err := k.AssignCursor.Peek(ctx)
			fmt.Fprintf(&b, "|cursor %d", cursor)
			return err
		},
	} {
		if err := walk(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestJobIndexesRebuildAndGenesis: with jobs in every open state and some ended, the
// index invariant holds; a genesis export imported into a wiped store gives back the same
// jobs, index entries and cursor; and the invariant catches a missing entry, a stray
// entry, a waiting job out of the waiting set and a wrong waiting count.
func TestJobIndexesRebuildAndGenesis(t *testing.T) {
	f := newFixture(t, 20)
	f.CheckEveryBlock()
	registerProvider(t, f, "prov1", "worker1", 10)
	registerStandby(t, f)
	prov := f.Accounts["prov1"]
	setMaxJobs := func(n uint32) {
		f.MustDeliver(prov, &providertypes.MsgUpdateProvider{Operator: prov.Address.String(), MaxJobs: n})
	}
	settled := submit(t, f, "alice", 50_000, 0)
	f.NextBlock()
	f.MustDeliver(f.Accounts["worker1"], commitMsg(f, "worker1", settled, 4, 12))
	advanceUntil(t, f, 30, func() bool { return job(t, f, settled).Status == types.JOB_STATUS_SETTLED })
	setMaxJobs(3)
	decided := submit(t, f, "alice", 50_000, 0)
	scheduled := submit(t, f, "bob", 50_000, 0)
	assigned := submit(t, f, "bob", 50_000, 0)
	f.NextBlock()
	setMaxJobs(1) // three are assigned: the next job waits
	waiting := submit(t, f, "bob", 50_000, 0)
	cancelled := submit(t, f, "alice", 50_000, 0)
	f.MustDeliver(f.Accounts["alice"], &types.MsgCancelJob{Submitter: f.Accounts["alice"].Address.String(), JobId: cancelled})
	f.MustDeliver(f.Accounts["worker1"], commitMsg(f, "worker1", decided, 4, 12))
	f.NextBlock() // fixes the decision height of decided
	if x, h := job(t, f, decided).DecisionHeight, f.Height(); x <= h+1 {
		t.Fatalf("decision height %d at height %d: the test wants it after the next block", x, h)
	}
	var fresh uint64 // submitted in the last block: not tried yet
	res := f.NextBlock(f.SignTx(f.Accounts["worker1"], commitMsg(f, "worker1", scheduled, 4, 12)),
		f.SignTx(f.Accounts["bob"], submitMsg(f, "bob", 50_000, 0)))
	for _, r := range res {
		if r.Code != 0 {
			t.Fatalf("tx failed: %s", r.Log)
		}
		if ids, err := types.SubmittedJobIDs(r.Events); err == nil && len(ids) == 1 {
			fresh = ids[0]
		}
	}
	for id, want := range map[uint64]types.JobStatus{
		settled: types.JOB_STATUS_SETTLED, decided: types.JOB_STATUS_COMMITTED, scheduled: types.JOB_STATUS_COMMITTED,
		assigned: types.JOB_STATUS_ASSIGNED, waiting: types.JOB_STATUS_PENDING, cancelled: types.JOB_STATUS_CANCELLED,
		fresh: types.JOB_STATUS_PENDING,
	} {
		if got := job(t, f, id).Status; got != want {
			t.Fatalf("job %d: %s, want %s", id, got, want)
		}
	}
	if job(t, f, decided).DecisionHeight == 0 || job(t, f, scheduled).DecisionHeight != 0 {
		t.Fatal("the test wants one committed job in each decision queue")
	}

	k, ctx := f.App.TaskKeeper, f.Ctx()
	if err := k.CheckIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	before := jobIndexState(t, f)

	gs, err := k.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cdc := f.App.AppCodec()
	var imported types.GenesisState
	cdc.MustUnmarshalJSON(cdc.MustMarshalJSON(gs), &imported)
	for _, clear := range []func() error{
		func() error { return k.Jobs.Clear(ctx, nil) },
		func() error { return k.BySubmitter.Clear(ctx, nil) },
		func() error { return k.ByProvider.Clear(ctx, nil) },
		func() error { return k.ByStatus.Clear(ctx, nil) },
		func() error { return k.DeadlineQueue.Clear(ctx, nil) },
		func() error { return k.DecisionSchedule.Clear(ctx, nil) },
		func() error { return k.DecisionQueue.Clear(ctx, nil) },
		func() error { return k.Waiting.Clear(ctx, nil) },
		func() error { return k.WaitingCount.Clear(ctx, nil) },
	} {
		if err := clear(); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.InitGenesis(ctx, &imported); err != nil {
		t.Fatalf("import: %v", err)
	}
	if after := jobIndexState(t, f); after != before {
		t.Fatalf("jobs and indexes after export and import differ:\n%s\nwas\n%s", after, before)
	}
	if err := k.CheckIndexes(ctx); err != nil {
		t.Fatal(err)
	}

	// The invariant catches what the rebuild does not find, and what it finds missing.
	alice := f.Accounts["alice"].Address
	for name, tc := range map[string]struct {
		breakIt, repair func() error
		want            string
	}{
		"missing status entry": {
			func() error {
				return k.ByStatus.Remove(ctx, collections.Join(int32(types.JOB_STATUS_SETTLED), settled))
			},
			func() error { return k.ByStatus.Set(ctx, collections.Join(int32(types.JOB_STATUS_SETTLED), settled)) },
			"jobs_by_status",
		},
		"stray submitter entry": {
			func() error { return k.BySubmitter.Set(ctx, collections.Join(alice, uint64(999))) },
			func() error { return k.BySubmitter.Remove(ctx, collections.Join(alice, uint64(999))) },
			"jobs_by_submitter",
		},
		"deadline at another height": {
			func() error {
				j := job(t, f, assigned)
				if err := k.DeadlineQueue.Remove(ctx, collections.Join(j.DeadlineHeight, assigned)); err != nil {
					return err
				}
				return k.DeadlineQueue.Set(ctx, collections.Join(j.DeadlineHeight+1, assigned))
			},
			func() error {
				j := job(t, f, assigned)
				if err := k.DeadlineQueue.Remove(ctx, collections.Join(j.DeadlineHeight+1, assigned)); err != nil {
					return err
				}
				return k.DeadlineQueue.Set(ctx, collections.Join(j.DeadlineHeight, assigned))
			},
			"deadline_queue",
		},
		"waiting job out of the waiting set": {
			func() error {
				w := job(t, f, waiting)
				return k.Waiting.Remove(ctx, collections.Join3(w.ModelId, ^keeper.Bid(w), waiting))
			},
			func() error {
				w := job(t, f, waiting)
				return k.Waiting.Set(ctx, collections.Join3(w.ModelId, ^keeper.Bid(w), waiting))
			},
			"waiting",
		},
		"waiting count off by one": {
			func() error { return k.WaitingCount.Set(ctx, job(t, f, waiting).ModelId, 2) },
			func() error { return k.WaitingCount.Set(ctx, job(t, f, waiting).ModelId, 1) },
			"waiting_count",
		},
	} {
		if err := tc.breakIt(); err != nil {
			t.Fatal(err)
		}
		err := k.CheckIndexes(ctx)
		if !types.ErrInvariantBroken.Is(err) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want ErrInvariantBroken about %s", name, err, tc.want)
		}
		if err := tc.repair(); err != nil {
			t.Fatal(err)
		}
		if err := k.CheckIndexes(ctx); err != nil {
			t.Fatalf("%s repaired: %v", name, err)
		}
	}

	// The imported state runs on: the committed jobs settle, the assigned one expires.
	advanceUntil(t, f, 60, func() bool {
		return job(t, f, decided).Status == types.JOB_STATUS_SETTLED && job(t, f, scheduled).Status == types.JOB_STATUS_SETTLED &&
			job(t, f, assigned).Status == types.JOB_STATUS_EXPIRED
	})
}
