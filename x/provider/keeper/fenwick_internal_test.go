package keeper

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/provider/weighttree"
)

type noAccounts struct{}

func (noAccounts) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

// TestFindBoundaries checks the tree descent at every r, including the exact cumulative
// boundaries that random seeds almost never hit, and the in-memory removal of a slot.
func TestFindBoundaries(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContext(key, storetypes.NewTransientStoreKey("t"))
	ac := addresscodec.NewBech32Codec("sovra")
	authority, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	require.NoError(t, err)
	k := NewKeeper(codec.NewProtoCodec(codectypes.NewInterfaceRegistry()), runtime.NewKVStoreService(key), runtime.EventService{}, ac,
		authority, nil, noAccounts{})

	weights := []int64{3, 0, 5, 2, 0} // slots 1..5, tree size 8
	for i, w := range weights {
		require.NoError(t, k.indexes.setWeight(ctx, "m", sdk.AccAddress{byte(i + 1)}, math.NewInt(w)))
	}
	want := []uint64{1, 1, 1, 3, 3, 3, 3, 3, 4, 4}
	v, err := k.weightTree("m").NewDraw(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(8), v.Size())
	require.Equal(t, int64(10), v.Total().Int64())
	for r, slot := range want {
		got, err := v.Find(math.NewInt(int64(r)))
		require.NoError(t, err)
		require.Equal(t, slot, got, "r=%d", r)
	}
	require.NoError(t, v.Remove(ctx, 3))
	require.Equal(t, int64(5), v.Total().Int64())
	for r, slot := range []uint64{1, 1, 1, 4, 4} {
		got, err := v.Find(math.NewInt(int64(r)))
		require.NoError(t, err)
		require.Equal(t, slot, got, "after removing slot 3, r=%d", r)
	}
	// The view never writes: the stored total is unchanged.
	total, err := k.TotalWeight(ctx, "m")
	require.NoError(t, err)
	require.Equal(t, int64(10), total.Int64())
}

// TestFindAcrossPages checks every r against a linear scan on a tree spanning two page
// bands (size 64), before and after removing slots from a draw view.
func TestFindAcrossPages(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContext(key, storetypes.NewTransientStoreKey("t"))
	ac := addresscodec.NewBech32Codec("sovra")
	authority, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	require.NoError(t, err)
	k := NewKeeper(codec.NewProtoCodec(codectypes.NewInterfaceRegistry()), runtime.NewKVStoreService(key), runtime.EventService{}, ac,
		authority, nil, noAccounts{})

	weights := make([]int64, 41) // slots 1..40
	for i := 1; i <= 40; i++ {
		weights[i] = int64((i * 7) % 5)
		require.NoError(t, k.indexes.setWeight(ctx, "m", sdk.AccAddress{byte(i)}, math.NewInt(weights[i])))
	}
	check := func(v *weighttree.Draw) {
		t.Helper()
		var cum int64
		for slot := 1; slot <= 40; slot++ {
			for r := cum; r < cum+weights[slot]; r++ {
				got, err := v.Find(math.NewInt(r))
				require.NoError(t, err)
				require.Equal(t, uint64(slot), got, "r=%d", r)
			}
			cum += weights[slot]
		}
		require.Equal(t, cum, v.Total().Int64())
	}
	v, err := k.weightTree("m").NewDraw(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(64), v.Size())
	check(v)
	for _, slot := range []uint64{16, 33, 1, 40} {
		require.NoError(t, v.Remove(ctx, slot))
		weights[slot] = 0
		check(v)
	}
}
