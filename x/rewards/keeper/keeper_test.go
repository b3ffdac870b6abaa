package keeper_test

import (
	"os"
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
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/sovra-network/sovra/x/rewards/keeper"
	"github.com/sovra-network/sovra/x/rewards/types"
)

const taskModule = "task"

func TestMain(m *testing.M) {
	sdk.GetConfig().SetBech32PrefixForAccount("sovra", "sovrapub")
	os.Exit(m.Run())
}

type fixture struct {
	ctx       sdk.Context
	k         keeper.Keeper
	bank      *fakeBank
	distr     *fakeDistr
	msg       types.MsgServer
	query     types.QueryServer
	authority string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test")).Ctx
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	ac := addresscodec.NewBech32Codec("sovra")
	authority, err := ac.BytesToString(modAddr(govtypes.ModuleName))
	require.NoError(t, err)

	bank := newFakeBank()
	distr := &fakeDistr{bank: bank, communityPool: sdk.NewCoins()}
	k := keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority, fakeAccountKeeper{}, bank, distr)
	require.NoError(t, k.Params.Set(ctx, types.DefaultParams()))
	return &fixture{
		ctx: ctx, k: k, bank: bank, distr: distr,
		msg: keeper.NewMsgServerImpl(k), query: keeper.NewQueryServerImpl(k),
		authority: authority,
	}
}

func addr(i byte) sdk.AccAddress {
	a := make([]byte, 20)
	a[0] = 0xAA
	a[19] = i
	return a
}

func coins(t *testing.T, s string) sdk.Coins {
	t.Helper()
	c, err := sdk.ParseCoinsNormalized(s)
	require.NoError(t, err)
	return c
}

func dec(s string) math.LegacyDec { return math.LegacyMustNewDecFromStr(s) }

func hasEvent(ctx sdk.Context, typ string, attrs map[string]string) bool {
	for _, e := range ctx.EventManager().Events() {
		if e.Type != typ {
			continue
		}
		got := map[string]string{}
		for _, a := range e.Attributes {
			got[a.Key] = a.Value
		}
		ok := true
		for k, v := range attrs {
			if got[k] != v {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestNewKeeperRejectsBadAuthority(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	require.Panics(t, func() {
		keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), addresscodec.NewBech32Codec("sovra"),
			"cosmos1notanaddress", fakeAccountKeeper{}, newFakeBank(), &fakeDistr{})
	})
}
