package keeper_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"cosmossdk.io/collections"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/sovra-network/sovra/x/task"
	"github.com/sovra-network/sovra/x/task/keeper"
	"github.com/sovra-network/sovra/x/task/types"
)

// errDisk is the injected store failure.
var errDisk = errors.New("injected: disk read failed")

// failingStore fails every read of a key under prefix while fail is set.
type failingStore struct {
	corestore.KVStore
	prefix []byte
	fail   *bool
}

func (s failingStore) Get(key []byte) ([]byte, error) {
	if *s.fail && bytes.HasPrefix(key, s.prefix) {
		return nil, errDisk
	}
	return s.KVStore.Get(key)
}

type failingService struct {
	corestore.KVStoreService
	prefix []byte
	fail   *bool
}

func (s failingService) OpenKVStore(ctx context.Context) corestore.KVStore {
	return failingStore{KVStore: s.KVStoreService.OpenKVStore(ctx), prefix: s.prefix, fail: s.fail}
}

type moduleAccounts struct{}

func (moduleAccounts) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

// storeErrorFixture is a task keeper on a real in-memory store whose job reads fail on demand: the block hooks must
// pass the error up (the block fails, nothing is dropped) and still skip a job that is
// simply gone.
func storeErrorFixture(t *testing.T) (keeper.Keeper, sdk.Context, *bool) {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient")).Ctx.WithLogger(log.NewNopLogger())
	enc := moduletestutil.MakeTestEncodingConfig(task.AppModule{})
	fail := new(bool)
	svc := failingService{KVStoreService: runtime.NewKVStoreService(key), prefix: types.JobsKey, fail: fail}
	ac := addresscodec.NewBech32Codec("sovra")
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	if err != nil {
		t.Fatal(err)
	}
	k := keeper.NewKeeper(enc.Codec, svc, runtime.EventService{}, ac, authority,
		nil, moduleAccounts{}, nil, nil, nil, nil)
	return k, ctx, fail
}

func TestBlockHooksPassStoreErrorsUp(t *testing.T) {
	k, ctx, fail := storeErrorFixture(t)
	ctx = ctx.WithBlockHeight(10)
	require := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			t.Fatalf(format, args...)
		}
	}
	job := types.Job{Id: 1, Status: types.JOB_STATUS_ASSIGNED, DeadlineHeight: 10}
	require(k.Jobs.Set(ctx, 1, job) == nil, "set job")
	require(k.DeadlineQueue.Set(ctx, collections.Join(int64(10), uint64(1))) == nil, "queue deadline")
	require(k.PruneQueue.Set(ctx, collections.Join(int64(9), uint64(1))) == nil, "queue prune")

	*fail = true
	err := k.EndBlocker(ctx)
	require(errors.Is(err, errDisk), "EndBlocker with a failing job read: %v, want the store error", err)
	_, err = k.GetJob(ctx, 1)
	require(errors.Is(err, errDisk) && !errors.Is(err, types.ErrJobNotFound), "GetJob: %v, want the store error, not ErrJobNotFound", err)

	// A job that is simply gone is skipped, and its queue entries are consumed.
	*fail = false
	require(k.Jobs.Remove(ctx, 1) == nil, "remove job")
	require(k.EndBlocker(ctx) == nil, "EndBlocker with the job gone")
	has, err := k.DeadlineQueue.Has(ctx, collections.Join(int64(10), uint64(1)))
	require(err == nil && !has, "deadline entry left: %v %v", has, err)
	has, err = k.PruneQueue.Has(ctx, collections.Join(int64(9), uint64(1)))
	require(err == nil && !has, "prune entry left: %v %v", has, err)
	_, err = k.GetJob(ctx, 1)
	require(errors.Is(err, types.ErrJobNotFound), "GetJob of a gone job: %v", err)
}

// Ended jobs imported from genesis are pruned at the end of their retention, as on the
// exporting chain; open ones are not.
func TestImportedEndedJobsArePruned(t *testing.T) {
	k, ctx, _ := storeErrorFixture(t)
	params := types.DefaultParams()
	params.RetentionBlocks = 5
	submitter, err := addresscodec.NewBech32Codec("sovra").BytesToString(authtypes.NewModuleAddress("alice"))
	if err != nil {
		t.Fatal(err)
	}
	ended := types.Job{Id: 1, Submitter: submitter, Status: types.JOB_STATUS_SETTLED, SubmitHeight: 1, EndHeight: 4}
	expired := types.Job{Id: 2, Submitter: submitter, Status: types.JOB_STATUS_EXPIRED, SubmitHeight: 2, EndHeight: 20}
	gs := &types.GenesisState{Params: params, NextJobId: 3, Jobs: []types.Job{ended, expired}}
	if err := k.InitGenesis(ctx, gs); err != nil {
		t.Fatalf("genesis: %v", err)
	}
	for _, c := range []struct {
		h    int64
		gone []uint64
		kept []uint64
	}{{8, nil, []uint64{1, 2}}, {9, []uint64{1}, []uint64{2}}, {25, []uint64{1, 2}, nil}} {
		if err := k.EndBlocker(ctx.WithBlockHeight(c.h)); err != nil {
			t.Fatalf("EndBlocker at %d: %v", c.h, err)
		}
		for _, id := range c.gone {
			if has, err := k.Jobs.Has(ctx, id); err != nil || has {
				t.Errorf("height %d: job %d still stored (%v)", c.h, id, err)
			}
		}
		for _, id := range c.kept {
			if has, err := k.Jobs.Has(ctx, id); err != nil || !has {
				t.Errorf("height %d: job %d pruned before its retention ended (%v)", c.h, id, err)
			}
		}
	}
}

// A flood of deadlines aimed at one height is worked off maxDuePerBlock (1,000) a block,
// oldest first, instead of in one block.
func TestDeadlineQueueIsDrainedWithACap(t *testing.T) {
	k, ctx, _ := storeErrorFixture(t)
	const n = 2500
	for id := uint64(1); id <= n; id++ {
		// Jobs that ended already: the hook dequeues them and has nothing else to do.
		if err := k.Jobs.Set(ctx, id, types.Job{Id: id, Status: types.JOB_STATUS_SETTLED}); err != nil {
			t.Fatal(err)
		}
		if err := k.DeadlineQueue.Set(ctx, collections.Join(int64(10), id)); err != nil {
			t.Fatal(err)
		}
	}
	left := func() int {
		it, err := k.DeadlineQueue.Iterate(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := it.Keys()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	for _, step := range []struct {
		h    int64
		left int
	}{{9, n}, {10, 1500}, {11, 500}, {12, 0}} {
		if err := k.EndBlocker(ctx.WithBlockHeight(step.h)); err != nil {
			t.Fatalf("EndBlocker at %d: %v", step.h, err)
		}
		if got := left(); got != step.left {
			t.Fatalf("after height %d: %d deadline entries left, want %d", step.h, got, step.left)
		}
	}
}
