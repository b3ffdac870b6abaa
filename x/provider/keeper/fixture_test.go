package keeper_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/x/provider"
	"github.com/sovra-network/sovra/x/provider/keeper"
	"github.com/sovra-network/sovra/x/provider/types"
)

const denom = "usovra"

func init() {
	sdk.GetConfig().SetBech32PrefixForAccount("sovra", "sovrapub")
}

// fakeBank keeps balances in memory; it refuses to overdraw, like x/bank.
type fakeBank struct {
	balances map[string]sdk.Coins
}

func newFakeBank() *fakeBank { return &fakeBank{balances: map[string]sdk.Coins{}} }

func (b *fakeBank) sub(addr sdk.AccAddress, amt sdk.Coins) error {
	have := b.balances[string(addr)]
	left, neg := have.SafeSub(amt...)
	if neg {
		return sdkerrors.ErrInsufficientFunds.Wrapf("%s is smaller than %s", have, amt)
	}
	b.balances[string(addr)] = left
	return nil
}

func (b *fakeBank) add(addr sdk.AccAddress, amt sdk.Coins) {
	b.balances[string(addr)] = b.balances[string(addr)].Add(amt...)
}

func (b *fakeBank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error {
	if err := b.sub(from, amt); err != nil {
		return err
	}
	b.add(authtypes.NewModuleAddress(module), amt)
	return nil
}

func (b *fakeBank) SendCoinsFromModuleToAccount(_ context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error {
	if err := b.sub(authtypes.NewModuleAddress(module), amt); err != nil {
		return err
	}
	b.add(to, amt)
	return nil
}

func (b *fakeBank) SendCoinsFromModuleToModule(_ context.Context, from, to string, amt sdk.Coins) error {
	if err := b.sub(authtypes.NewModuleAddress(from), amt); err != nil {
		return err
	}
	b.add(authtypes.NewModuleAddress(to), amt)
	return nil
}

func (b *fakeBank) BurnCoins(_ context.Context, module string, amt sdk.Coins) error {
	return b.sub(authtypes.NewModuleAddress(module), amt)
}

func (b *fakeBank) GetBalance(_ context.Context, addr sdk.AccAddress, d string) sdk.Coin {
	return sdk.NewCoin(d, b.balances[string(addr)].AmountOf(d))
}

// snapshot is a deterministic copy of all balances.
func (b *fakeBank) snapshot() string {
	keys := make([]string, 0, len(b.balances))
	for k := range b.balances {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&buf, "%x=%s;", k, b.balances[k])
	}
	return buf.String()
}

type fakeAccounts struct{}

func (fakeAccounts) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

type fixture struct {
	ctx       sdk.Context
	key       *storetypes.KVStoreKey
	k         keeper.Keeper
	ms        types.MsgServer
	qs        types.QueryServer
	bank      *fakeBank
	authority string
}

var testModels = []types.Model{
	{Id: "llama-7b", Sha256: hexHash("llama-7b"), ContextLength: 4096, Tokenizer: "llama", ChatTemplate: "llama2-sys"},
	{Id: "qwen2.5-0.5b", Sha256: hexHash("qwen"), ContextLength: 32768, Tokenizer: "qwen2", ChatTemplate: "chatml"},
	{Id: "tiny_model", Sha256: hexHash("tiny"), ContextLength: 512},
}

func hexHash(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }

func newFixture(t testing.TB) *fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	enc := moduletestutil.MakeTestEncodingConfig(provider.AppModule{})
	bank := newFakeBank()
	authority := authtypes.NewModuleAddress("gov").String()
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), runtime.EventService{}, addresscodec.NewBech32Codec("sovra"),
		authority, bank, fakeAccounts{})
	ctx := tc.Ctx.WithBlockHeight(10)
	gs := types.DefaultGenesis()
	gs.Models = testModels
	require.NoError(t, k.InitGenesis(ctx, gs))
	return &fixture{
		ctx: ctx, key: key, k: k, ms: keeper.NewMsgServerImpl(k), qs: keeper.NewQueryServerImpl(k),
		bank: bank, authority: authority,
	}
}

// addr returns a deterministic test address.
func addr(i int) sdk.AccAddress {
	h := sha256.Sum256([]byte(fmt.Sprintf("addr-%d", i)))
	return sdk.AccAddress(h[:20])
}

func coin(n int64) sdk.Coin { return sdk.NewInt64Coin(denom, n) }

func bigCoin(n int64) sdk.Coin { return sdk.NewCoin(denom, math.NewInt(n).MulRaw(1_000_000)) }

// fund gives an address n SOVRA.
func (f *fixture) fund(a sdk.AccAddress, n int64) { f.bank.add(a, sdk.NewCoins(bigCoin(n))) }

func (f *fixture) registerMsg(op, worker sdk.AccAddress, bondSovra int64, models ...string) *types.MsgRegisterProvider {
	if len(models) == 0 {
		models = []string{"llama-7b"}
	}
	return &types.MsgRegisterProvider{
		Operator: op.String(), Worker: worker.String(), Models: models,
		Bond: bigCoin(bondSovra), PricePerToken: coin(2), Profile: types.DefaultProfile,
	}
}

// register funds and registers a provider whose worker is derived from its operator.
func (f *fixture) register(t testing.TB, i int, bondSovra int64, models ...string) sdk.AccAddress {
	t.Helper()
	op := addr(i)
	f.fund(op, bondSovra)
	_, err := f.ms.RegisterProvider(f.ctx, f.registerMsg(op, workerOf(i), bondSovra, models...))
	require.NoError(t, err)
	f.setAuditKey(t, workerOf(i))
	return op
}

// setAuditKey publishes a worker's audit key (what sovra-worker does at its start): a
// provider without one is never drawn as a verifier.
func (f *fixture) setAuditKey(t testing.TB, worker sdk.AccAddress) {
	t.Helper()
	key := make([]byte, types.AuditKeySize)
	copy(key, worker)
	key[31] = 1
	_, err := f.ms.SetAuditKey(f.ctx, &types.MsgSetAuditKey{Worker: worker.String(), AuditKey: key})
	require.NoError(t, err)
}

func workerOf(i int) sdk.AccAddress { return addr(100_000 + i) }

func (f *fixture) provider(t testing.TB, op sdk.AccAddress) types.Provider {
	t.Helper()
	p, err := f.k.GetProvider(f.ctx, op)
	require.NoError(t, err)
	return p
}

// storeSnapshot returns every key and value of the module store.
func (f *fixture) storeSnapshot() [][2][]byte {
	it := f.ctx.KVStore(f.key).Iterator(nil, nil)
	defer it.Close()
	var out [][2][]byte
	for ; it.Valid(); it.Next() {
		out = append(out, [2][]byte{append([]byte(nil), it.Key()...), append([]byte(nil), it.Value()...)})
	}
	return out
}
