package store_test

import (
	"context"
	"errors"
	"testing"

	"cosmossdk.io/collections"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"

	"github.com/sovra-network/sovra/x/internal/store"
)

type failing struct{ err error }

func (f failing) Get(context.Context, uint64) (string, error) { return "", f.err }

func TestFind(t *testing.T) {
	key := storetypes.NewKVStoreKey("t")
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("tt")).Ctx
	sb := collections.NewSchemaBuilder(runtime.NewKVStoreService(key))
	m := collections.NewMap(sb, collections.NewPrefix(0), "m", collections.Uint64Key, collections.StringValue)
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(ctx, 1, "one"); err != nil {
		t.Fatal(err)
	}
	if v, found, err := store.Find[uint64, string](ctx, m, 1); err != nil || !found || v != "one" {
		t.Fatalf("present: %q %v %v", v, found, err)
	}
	if v, found, err := store.Find[uint64, string](ctx, m, 2); err != nil || found || v != "" {
		t.Fatalf("absent: %q %v %v", v, found, err)
	}
	disk := errors.New("disk")
	if _, found, err := store.Find[uint64, string](ctx, failing{disk}, 1); !errors.Is(err, disk) || found {
		t.Fatalf("store error: %v %v", found, err)
	}
	wrapped := errors.Join(collections.ErrNotFound, disk) // a not-found wrapped with more is still "absent"
	if _, found, err := store.Find[uint64, string](ctx, failing{wrapped}, 1); err != nil || found {
		t.Fatalf("wrapped not found: %v %v", found, err)
	}
}
