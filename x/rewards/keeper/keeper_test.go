package keeper_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/cosmos/gogoproto/proto"

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

	cdc          codec.Codec
	storeService corestore.KVStoreService
	ac           address.Codec
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
	storeService := runtime.NewKVStoreService(key)
	k := keeper.NewKeeper(cdc, storeService, runtime.EventService{}, ac, authority, fakeAccountKeeper{}, bank, distr, nil)
	require.NoError(t, k.Params.Set(ctx, types.DefaultParams()))
	return &fixture{
		ctx: ctx, k: k, bank: bank, distr: distr,
		msg: keeper.NewMsgServerImpl(k), query: keeper.NewQueryServerImpl(k),
		authority: authority,
		cdc:       cdc, storeService: storeService, ac: ac,
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

// hasEvent reports whether ctx emitted want, decoded from its ABCI events (compared as
// proto JSON, which compares amounts by value).
func hasEvent(t *testing.T, ctx sdk.Context, want proto.Message) bool {
	t.Helper()
	evs, err := types.ParseEvents(ctx.EventManager().ABCIEvents())
	require.NoError(t, err)
	wantJSON, err := codec.ProtoMarshalJSON(want, nil)
	require.NoError(t, err)
	for _, e := range evs {
		got, err := codec.ProtoMarshalJSON(e, nil)
		require.NoError(t, err)
		if string(got) == string(wantJSON) {
			return true
		}
	}
	return false
}

func TestNewKeeperRejectsBadAuthority(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	require.Panics(t, func() {
		keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), runtime.EventService{}, addresscodec.NewBech32Codec("sovra"),
			"cosmos1notanaddress", fakeAccountKeeper{}, newFakeBank(), &fakeDistr{}, nil)
	})
}
