package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/x/provider/keeper"
	"github.com/sovra-network/sovra/x/provider/types"
)

// badFixture has: provider 1 ACTIVE, provider 2 ACTIVE with one open job (locked
// collateral), provider 3 JAILED (until height 110), provider 4 UNBONDING; addr(9) is
// funded but unregistered.
func badFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.register(t, 1, 5)
	op2 := f.register(t, 2, 5)
	require.NoError(t, f.k.LockCollateral(f.ctx, op2, math.NewInt(700)))
	op3 := f.register(t, 3, 5)
	for i := 0; i < 3; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, op3))
	}
	op4 := f.register(t, 4, 5)
	_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: op4.String()})
	require.NoError(t, err)
	f.fund(op4, 1) // funds for the refused AddBond
	f.fund(addr(9), 100)
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	return f
}

func TestMsgBadInputChangesNothing(t *testing.T) {
	newOp := addr(9)
	op1, op2, op3, op4 := addr(1), addr(2), addr(3), addr(4)
	reg := func(mut func(m *types.MsgRegisterProvider)) func(*fixture) error {
		return func(f *fixture) error {
			m := f.registerMsg(newOp, addr(19), 2)
			mut(m)
			_, err := f.ms.RegisterProvider(f.ctx, m)
			return err
		}
	}
	upd := func(m types.MsgUpdateProvider) func(*fixture) error {
		return func(f *fixture) error {
			if m.Operator == "" {
				m.Operator = op1.String()
			}
			_, err := f.ms.UpdateProvider(f.ctx, &m)
			return err
		}
	}
	chg := func(m types.MsgChangeWorker) func(*fixture) error {
		return func(f *fixture) error {
			if m.Operator == "" {
				m.Operator = op1.String()
			}
			_, err := f.ms.ChangeWorker(f.ctx, &m)
			return err
		}
	}
	price := func(c sdk.Coin) *sdk.Coin { return &c }
	manyModels := make([]string, types.DefaultMaxModels+1)
	for i := range manyModels {
		manyModels[i] = "m" + strings.Repeat("x", i+1)
	}

	cases := []struct {
		name    string
		run     func(*fixture) error
		wantErr error
		wantMsg string
	}{
		// RegisterProvider
		{"register unknown model", reg(func(m *types.MsgRegisterProvider) { m.Models = []string{"llama-7b", "gpt-9"} }), types.ErrUnknownModel, `"gpt-9"`},
		{"register bond below minimum", reg(func(m *types.MsgRegisterProvider) { m.Bond = coin(999_999) }), types.ErrBondTooLow, "minimum 1000000usovra"},
		{"register zero price", reg(func(m *types.MsgRegisterProvider) { m.PricePerToken = coin(0) }), types.ErrInvalidPrice, "positive"},
		{"register foreign price denom", reg(func(m *types.MsgRegisterProvider) { m.PricePerToken = sdk.NewInt64Coin("uatom", 2) }), types.ErrInvalidPrice, "bond denom usovra"},
		{"register foreign bond denom", reg(func(m *types.MsgRegisterProvider) { m.Bond = sdk.NewInt64Coin("uatom", 5_000_000) }), types.ErrInvalidBond, "must be usovra"},
		{"register duplicate worker", reg(func(m *types.MsgRegisterProvider) { m.Worker = workerOf(1).String() }), types.ErrWorkerInUse, op1.String()},
		{"register existing operator", reg(func(m *types.MsgRegisterProvider) { m.Operator = op1.String() }), types.ErrProviderExists, op1.String()},
		{"register no models", reg(func(m *types.MsgRegisterProvider) { m.Models = nil }), types.ErrInvalidModel, "at least one"},
		{"register duplicate model", reg(func(m *types.MsgRegisterProvider) { m.Models = []string{"llama-7b", "llama-7b"} }), types.ErrInvalidModel, "duplicate"},
		{"register bad model id", reg(func(m *types.MsgRegisterProvider) { m.Models = []string{"Llama-7B"} }), types.ErrInvalidModel, "not in [a-z0-9._-]"},
		{"register too many models", reg(func(m *types.MsgRegisterProvider) { m.Models = manyModels }), types.ErrTooManyModels, "max_models is 16"},
		{"register empty profile", reg(func(m *types.MsgRegisterProvider) { m.Profile = "" }), types.ErrInvalidProvider, "profile"},
		{"register long profile", reg(func(m *types.MsgRegisterProvider) { m.Profile = strings.Repeat("p", 65) }), types.ErrInvalidProvider, "profile"},
		{"register max_jobs too high", reg(func(m *types.MsgRegisterProvider) { m.MaxJobs = 65537 }), types.ErrInvalidProvider, "at most 65536"},
		{"register endpoint not a URL", reg(func(m *types.MsgRegisterProvider) { m.Endpoint = "not a url" }), types.ErrInvalidProvider, "endpoint"},
		{"register endpoint too long", reg(func(m *types.MsgRegisterProvider) { m.Endpoint = "https://x.io/" + strings.Repeat("a", 250) }), types.ErrInvalidProvider, "longer than 256"},
		{"register bad worker address", reg(func(m *types.MsgRegisterProvider) { m.Worker = "cosmos1xyz" }), sdkerrors.ErrInvalidAddress, "worker"},
		{"register insufficient funds", reg(func(m *types.MsgRegisterProvider) { m.Bond = bigCoin(101) }), sdkerrors.ErrInsufficientFunds, ""},
		// UpdateProvider
		{"update unknown model", upd(types.MsgUpdateProvider{Models: []string{"gpt-9"}}), types.ErrUnknownModel, `"gpt-9"`},
		{"update zero price", upd(types.MsgUpdateProvider{PricePerToken: price(coin(0))}), types.ErrInvalidPrice, "positive"},
		{"update foreign price denom", upd(types.MsgUpdateProvider{PricePerToken: price(sdk.NewInt64Coin("uatom", 1))}), types.ErrInvalidPrice, "bond denom"},
		{"update sets nothing", upd(types.MsgUpdateProvider{}), types.ErrInvalidProvider, "no field"},
		{"update unregistered", upd(types.MsgUpdateProvider{Operator: newOp.String(), Profile: "x"}), types.ErrProviderNotFound, newOp.String()},
		{"update unbonding", upd(types.MsgUpdateProvider{Operator: op4.String(), Profile: "x"}), types.ErrAlreadyUnbonding, "unbonding"},
		{"update bad endpoint", upd(types.MsgUpdateProvider{Endpoint: "host-only"}), types.ErrInvalidProvider, "absolute URL"},
		{"update max_jobs too high", upd(types.MsgUpdateProvider{MaxJobs: 70000}), types.ErrInvalidProvider, "at most 65536"},
		// ChangeWorker
		{"change worker taken", chg(types.MsgChangeWorker{Worker: workerOf(2).String()}), types.ErrWorkerInUse, op2.String()},
		{"change worker to another provider's worker (own worker ok, other's not)", chg(types.MsgChangeWorker{Operator: op3.String(), Worker: workerOf(1).String()}), types.ErrWorkerInUse, ""},
		{"change worker unregistered", chg(types.MsgChangeWorker{Operator: newOp.String(), Worker: addr(50).String()}), types.ErrProviderNotFound, newOp.String()},
		{"change worker unbonding", chg(types.MsgChangeWorker{Operator: op4.String(), Worker: addr(50).String()}), types.ErrAlreadyUnbonding, "unbonding"},
		{"change worker bad address", chg(types.MsgChangeWorker{Worker: "cosmos1xyz"}), sdkerrors.ErrInvalidAddress, "worker"},
		{"change worker empty", chg(types.MsgChangeWorker{}), sdkerrors.ErrInvalidAddress, "worker"},
		// AddBond
		{"add bond foreign denom", func(f *fixture) error {
			_, err := f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: op1.String(), Amount: sdk.NewInt64Coin("uatom", 5)})
			return err
		}, types.ErrInvalidBond, "bond denom is usovra"},
		{"add bond zero", func(f *fixture) error {
			_, err := f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: op1.String(), Amount: coin(0)})
			return err
		}, types.ErrInvalidBond, "positive"},
		{"add bond unregistered", func(f *fixture) error {
			_, err := f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: newOp.String(), Amount: coin(5)})
			return err
		}, types.ErrProviderNotFound, ""},
		{"add bond insufficient funds", func(f *fixture) error {
			_, err := f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: op1.String(), Amount: coin(1)})
			return err
		}, sdkerrors.ErrInsufficientFunds, ""},
		{"add bond while unbonding", func(f *fixture) error {
			_, err := f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: op4.String(), Amount: coin(5)})
			return err
		}, types.ErrAlreadyUnbonding, ""},
		// Unbond
		{"unbond with locked collateral", func(f *fixture) error {
			_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: op2.String()})
			return err
		}, types.ErrCollateralLocked, "700usovra locked by 1 open jobs"},
		{"unbond twice", func(f *fixture) error {
			_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: op4.String()})
			return err
		}, types.ErrAlreadyUnbonding, ""},
		{"unbond unregistered", func(f *fixture) error {
			_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: newOp.String()})
			return err
		}, types.ErrProviderNotFound, ""},
		// Unjail
		{"unjail too early", func(f *fixture) error {
			_, err := f.ms.Unjail(f.ctx.WithBlockHeight(109), &types.MsgUnjail{Operator: op3.String()})
			return err
		}, types.ErrJailPeriodNotOver, "jailed until height 110, current height 109"},
		{"unjail not jailed", func(f *fixture) error {
			_, err := f.ms.Unjail(f.ctx, &types.MsgUnjail{Operator: op1.String()})
			return err
		}, types.ErrNotJailed, "PROVIDER_STATUS_ACTIVE"},
		{"unjail bond below new minimum", func(f *fixture) error {
			params := types.DefaultParams()
			params.MinBond = bigCoin(6)
			require.NoError(t, f.k.Params.Set(f.ctx, params))
			_, err := f.ms.Unjail(f.ctx.WithBlockHeight(200), &types.MsgUnjail{Operator: op3.String()})
			require.NoError(t, f.k.Params.Set(f.ctx, types.DefaultParams()))
			return err
		}, types.ErrBondTooLow, "add bond first"},
		// Authority messages
		{"register model by non-authority", func(f *fixture) error {
			_, err := f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{
				Authority: op1.String(),
				Model:     types.Model{Id: "new-model", Sha256: hexHash("n"), ContextLength: 1},
			})
			return err
		}, types.ErrInvalidAuthority, "expected " + authorityAddr()},
		{"register model bad sha256", func(f *fixture) error {
			_, err := f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{
				Authority: f.authority,
				Model:     types.Model{Id: "new-model", Sha256: strings.ToUpper(hexHash("n")), ContextLength: 1},
			})
			return err
		}, types.ErrInvalidModel, "lower-case hex"},
		{"register model zero context", func(f *fixture) error {
			_, err := f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{
				Authority: f.authority,
				Model:     types.Model{Id: "new-model", Sha256: hexHash("n")},
			})
			return err
		}, types.ErrInvalidModel, "context_length"},
		{"register model long id", func(f *fixture) error {
			_, err := f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{
				Authority: f.authority,
				Model:     types.Model{Id: strings.Repeat("a", 65), Sha256: hexHash("n"), ContextLength: 1},
			})
			return err
		}, types.ErrInvalidModel, "1-64"},
		{"register model unknown chat template", func(f *fixture) error {
			_, err := f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{
				Authority: f.authority,
				Model:     types.Model{Id: "new-model", Sha256: hexHash("n"), ContextLength: 1, ChatTemplate: "ChatML"},
			})
			return err
		}, types.ErrInvalidModel, `model new-model: chat_template: unknown chat template "ChatML": one of bailing`},
		{"replace model with unknown chat template", func(f *fixture) error {
			m := testModels[1]
			m.ChatTemplate = "{% for m in messages %}{{ m.content }}{% endfor %}" // Jinja, not a name
			_, err := f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{Authority: f.authority, Model: m})
			return err
		}, types.ErrInvalidModel, "chat_template: unknown chat template"},
		{"update params by non-authority", func(f *fixture) error {
			_, err := f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: op1.String(), Params: types.DefaultParams()})
			return err
		}, types.ErrInvalidAuthority, ""},
		{"update params zero unbonding period", func(f *fixture) error {
			p := types.DefaultParams()
			p.UnbondingPeriod = 0
			_, err := f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
			return err
		}, types.ErrInvalidParams, "unbonding_period"},
		{"update params zero min bond", func(f *fixture) error {
			p := types.DefaultParams()
			p.MinBond = coin(0)
			_, err := f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
			return err
		}, types.ErrInvalidParams, "positive"},
		{"update params change denom with providers", func(f *fixture) error {
			p := types.DefaultParams()
			p.MinBond = sdk.NewInt64Coin("uatom", 1)
			_, err := f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
			return err
		}, types.ErrInvalidParams, "cannot change the bond denom"},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := badFixture(t)
			store, bank := f.storeSnapshot(), f.bank.snapshot()
			err := tc.run(f)
			require.ErrorIs(t, err, tc.wantErr)
			require.Contains(t, err.Error(), tc.wantMsg)
			require.Equal(t, store, f.storeSnapshot(), "store changed")
			require.Equal(t, bank, f.bank.snapshot(), "balances changed")
			require.Empty(t, f.ctx.EventManager().Events(), "events emitted")
			require.NoError(t, f.k.CheckBonds(f.ctx))
		})
	}
}

func authorityAddr() string { return authtypes.NewModuleAddress("gov").String() }

func TestRegisterProvider(t *testing.T) {
	f := newFixture(t)
	op := addr(1)
	f.fund(op, 10)
	msg := f.registerMsg(op, op, 3, "llama-7b", "tiny_model") // worker = operator is allowed
	msg.Endpoint = "https://gpu.example.org:8443"
	msg.Hardware = "RTX 4090"
	_, err := f.ms.RegisterProvider(f.ctx, msg)
	require.NoError(t, err)

	p := f.provider(t, op)
	require.Equal(t, types.PROVIDER_STATUS_ACTIVE, p.Status)
	require.Equal(t, uint32(types.DefaultMaxJobs), p.MaxJobs, "max_jobs 0 means the default")
	require.Equal(t, bigCoin(3), p.Bond)
	require.True(t, p.Locked.IsZero())
	require.Equal(t, int64(10), p.RegisteredHeight)
	require.Equal(t, bigCoin(7).Amount, f.bank.GetBalance(f.ctx, op, denom).Amount)
	require.Equal(t, bigCoin(3).Amount, f.bank.GetBalance(f.ctx, f.k.ModuleAddress(), denom).Amount)
	byWorker, err := f.k.GetProviderByWorker(f.ctx, op)
	require.NoError(t, err)
	require.Equal(t, p, byWorker)
	total, err := f.k.TotalBonded(f.ctx)
	require.NoError(t, err)
	require.Equal(t, bigCoin(3).Amount, total)
	for _, m := range []string{"llama-7b", "tiny_model"} {
		w, err := f.k.ProviderWeight(f.ctx, m, op)
		require.NoError(t, err)
		require.Equal(t, bigCoin(3).Amount, w)
	}
	requireEvent(t, f.ctx, func(e *types.EventProviderRegistered) bool {
		return e.Operator == op.String() && e.Worker == op.String() && e.Bond.String() == "3000000usovra" &&
			strings.Join(e.Models, ",") == "llama-7b,tiny_model"
	})
	require.NoError(t, f.k.CheckBonds(f.ctx))
}

func TestUpdateProvider(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 4, "llama-7b", "tiny_model")
	newWorker := addr(77)
	price := coin(9)
	_, err := f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{
		Operator: op.String(), Models: []string{"qwen2.5-0.5b", "llama-7b"},
		PricePerToken: &price, MaxJobs: 2, Endpoint: "grpc://10.0.0.1:9090",
	})
	require.NoError(t, err)
	require.Equal(t, workerOf(1).String(), f.provider(t, op).Worker, "an update keeps the worker")
	_, err = f.ms.ChangeWorker(f.ctx, &types.MsgChangeWorker{Operator: op.String(), Worker: newWorker.String()})
	require.NoError(t, err)
	p := f.provider(t, op)
	require.Equal(t, newWorker.String(), p.Worker)
	require.Equal(t, []string{"qwen2.5-0.5b", "llama-7b"}, p.Models)
	require.Equal(t, price, p.PricePerToken)
	require.Equal(t, uint32(2), p.MaxJobs)
	require.Equal(t, types.DefaultProfile, p.Profile, "unset field keeps its value")

	_, err = f.k.GetProviderByWorker(f.ctx, workerOf(1))
	require.ErrorIs(t, err, types.ErrProviderNotFound, "old worker index entry removed")
	got, err := f.k.GetProviderByWorker(f.ctx, newWorker)
	require.NoError(t, err)
	require.Equal(t, p.Operator, got.Operator)

	w, err := f.k.ProviderWeight(f.ctx, "tiny_model", op)
	require.NoError(t, err)
	require.True(t, w.IsZero(), "dropped model has no weight")
	w, err = f.k.ProviderWeight(f.ctx, "qwen2.5-0.5b", op)
	require.NoError(t, err)
	require.Equal(t, bigCoin(4).Amount, w)
	minPrice, ok, err := f.k.MinPrice(f.ctx, "tiny_model")
	require.NoError(t, err)
	require.False(t, ok, "no provider left for tiny_model: %s", minPrice)

	requireEvent(t, f.ctx, func(e *types.EventProviderUpdated) bool {
		return e.Operator == op.String() && e.Worker == newWorker.String()
	})
	// Setting the worker to its current value (in any case) is a no-op, not a conflict.
	before := f.storeSnapshot()
	_, err = f.ms.ChangeWorker(f.ctx, &types.MsgChangeWorker{Operator: op.String(), Worker: strings.ToUpper(newWorker.String())})
	require.NoError(t, err)
	require.Equal(t, before, f.storeSnapshot())
}

func TestAddBondUnbondAndQueue(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 2)
	other := f.register(t, 2, 3)
	f.fund(op, 5)
	_, err := f.ms.AddBond(f.ctx, &types.MsgAddBond{Operator: op.String(), Amount: bigCoin(5)})
	require.NoError(t, err)
	require.Equal(t, bigCoin(7), f.provider(t, op).Bond)
	w, _ := f.k.ProviderWeight(f.ctx, "llama-7b", op)
	require.Equal(t, bigCoin(7).Amount, w, "weight follows the bond")
	requireEvent(t, f.ctx, func(e *types.EventBondAdded) bool {
		return e.Amount.String() == "5000000usovra" && e.Bond.String() == "7000000usovra"
	})

	res, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: op.String()})
	require.NoError(t, err)
	require.Equal(t, int64(110), res.CompletionHeight)
	p := f.provider(t, op)
	require.Equal(t, types.PROVIDER_STATUS_UNBONDING, p.Status)
	w, _ = f.k.ProviderWeight(f.ctx, "llama-7b", op)
	require.True(t, w.IsZero(), "unbonding providers are not drawn")
	requireEvent(t, f.ctx, func(e *types.EventUnbondingStarted) bool { return e.CompletionHeight == 110 })

	// One block early: nothing happens.
	require.NoError(t, f.k.EndBlocker(f.ctx.WithBlockHeight(109)))
	require.Equal(t, types.PROVIDER_STATUS_UNBONDING, f.provider(t, op).Status)
	require.True(t, f.bank.GetBalance(f.ctx, op, denom).IsZero())

	ctx := f.ctx.WithBlockHeight(110).WithEventManager(sdk.NewEventManager())
	require.NoError(t, f.k.EndBlocker(ctx))
	_, err = f.k.GetProvider(ctx, op)
	require.ErrorIs(t, err, types.ErrProviderNotFound)
	_, err = f.k.GetProviderByWorker(ctx, workerOf(1))
	require.ErrorIs(t, err, types.ErrProviderNotFound)
	require.Equal(t, bigCoin(7).Amount, f.bank.GetBalance(ctx, op, denom).Amount, "bond returned")
	requireEvent(t, ctx, func(e *types.EventUnbondingCompleted) bool {
		return e.Operator == op.String() && e.Amount.String() == "7000000usovra"
	})
	has, err := f.k.UnbondingQueue.Has(ctx, collections.Join(int64(110), op))
	require.NoError(t, err)
	require.False(t, has)
	res2, err := f.qs.Providers(ctx, &types.QueryProvidersRequest{Model: "llama-7b"})
	require.NoError(t, err)
	require.Len(t, res2.Providers, 1)
	require.Equal(t, other.String(), res2.Providers[0].Operator)
	total, _ := f.k.TotalBonded(ctx)
	require.Equal(t, bigCoin(3).Amount, total)
	require.NoError(t, f.k.CheckBonds(ctx))
	checkTree(t, f, "llama-7b")

	// The operator can register again after unbonding, and reuses the freed slot.
	meta, _ := f.k.TreeMeta.Get(ctx, "llama-7b")
	f.ctx = ctx
	f.register(t, 1, 2)
	meta2, _ := f.k.TreeMeta.Get(ctx, "llama-7b")
	require.Equal(t, uint64(1), meta.Free)
	require.Equal(t, keeper.TreeMeta{Size: meta.Size, NextSlot: meta.NextSlot, Free: 0}, meta2, "freed slot reused, tree did not grow")
	checkTree(t, f, "llama-7b")
}

func TestUnjail(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 2)
	for i := 0; i < 2; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, op))
	}
	require.Equal(t, types.PROVIDER_STATUS_ACTIVE, f.provider(t, op).Status, "2 misses < max_misses")
	require.NoError(t, f.k.RecordMiss(f.ctx, op))
	p := f.provider(t, op)
	require.Equal(t, types.PROVIDER_STATUS_JAILED, p.Status)
	require.Equal(t, int64(110), p.JailedUntil)
	require.Equal(t, uint64(3), p.JobsMissed)
	requireEvent(t, f.ctx, func(e *types.EventProviderJailed) bool { return e.Operator == op.String() && e.JailedUntil == 110 })
	w, _ := f.k.ProviderWeight(f.ctx, "llama-7b", op)
	require.True(t, w.IsZero())

	ctx := f.ctx.WithBlockHeight(110)
	_, err := f.ms.Unjail(ctx, &types.MsgUnjail{Operator: op.String()})
	require.NoError(t, err)
	p = f.provider(t, op)
	require.Equal(t, types.PROVIDER_STATUS_ACTIVE, p.Status)
	require.Zero(t, p.Misses)
	w, _ = f.k.ProviderWeight(f.ctx, "llama-7b", op)
	require.Equal(t, bigCoin(2).Amount, w)
	requireEvent(t, ctx, func(e *types.EventProviderUnjailed) bool { return e.Operator == op.String() })
}

func TestAuthorityMessages(t *testing.T) {
	f := newFixture(t)
	m := types.Model{Id: "mistral-7b-q4_k_m", Sha256: hexHash("m"), ContextLength: 8192, Tokenizer: "llama", ChatTemplate: "mistral-v3"}
	_, err := f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{Authority: f.authority, Model: m})
	require.NoError(t, err)
	got, err := f.k.GetModel(f.ctx, m.Id)
	require.NoError(t, err)
	require.Equal(t, m, got)
	requireEvent(t, f.ctx, func(e *types.EventModelRegistered) bool {
		return e.ModelId == m.Id && e.ChatTemplate == "mistral-v3"
	})
	// Registering again replaces the model: here its chat template is removed.
	m.ChatTemplate = ""
	_, err = f.ms.RegisterModel(f.ctx, &types.MsgRegisterModel{Authority: f.authority, Model: m})
	require.NoError(t, err)
	got, err = f.k.GetModel(f.ctx, m.Id)
	require.NoError(t, err)
	require.Empty(t, got.ChatTemplate)
	_, err = f.k.GetModel(f.ctx, "nope")
	require.ErrorIs(t, err, types.ErrUnknownModel)

	p := types.DefaultParams()
	p.MinBond = sdk.NewInt64Coin("uother", 5) // allowed: no provider yet
	p.MaxModels = 2
	_, err = f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	d, err := f.k.BondDenom(f.ctx)
	require.NoError(t, err)
	require.Equal(t, "uother", d)
}

func TestCollateral(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 1)
	msgMax := types.MsgUpdateProvider{Operator: op.String(), MaxJobs: 2}
	_, err := f.ms.UpdateProvider(f.ctx, &msgMax)
	require.NoError(t, err)

	require.ErrorIs(t, f.k.LockCollateral(f.ctx, op, math.NewInt(1_000_001)), types.ErrInsufficientCollateral)
	require.NoError(t, f.k.LockCollateral(f.ctx, op, math.NewInt(600_000)))
	err = f.k.LockCollateral(f.ctx, op, math.NewInt(400_001))
	require.ErrorIs(t, err, types.ErrInsufficientCollateral)
	require.Contains(t, err.Error(), "400000usovra free")
	require.NoError(t, f.k.LockCollateral(f.ctx, op, math.NewInt(400_000)))
	p := f.provider(t, op)
	require.Equal(t, uint32(2), p.ActiveJobs)
	require.Equal(t, math.NewInt(1_000_000), p.Locked)
	w, _ := f.k.ProviderWeight(f.ctx, "llama-7b", op)
	require.True(t, w.IsZero(), "full provider is not drawn")
	require.ErrorIs(t, f.k.LockCollateral(f.ctx, op, math.ZeroInt()), types.ErrAtCapacity)

	require.NoError(t, f.k.ReleaseCollateral(f.ctx, op, math.NewInt(600_000)))
	w, _ = f.k.ProviderWeight(f.ctx, "llama-7b", op)
	require.Equal(t, math.NewInt(1_000_000), w, "capacity freed, weight back")
	// Releasing more than is locked (or more jobs than are open) never goes below zero.
	require.NoError(t, f.k.ReleaseCollateral(f.ctx, op, math.NewInt(5_000_000)))
	require.NoError(t, f.k.ReleaseCollateral(f.ctx, op, math.NewInt(1)))
	p = f.provider(t, op)
	require.True(t, p.Locked.IsZero())
	require.Zero(t, p.ActiveJobs)

	require.NoError(t, f.k.RecordMiss(f.ctx, op))
	require.NoError(t, f.k.RecordJobDone(f.ctx, op))
	p = f.provider(t, op)
	require.Zero(t, p.Misses)
	require.Equal(t, uint64(1), p.JobsDone)
	require.Equal(t, uint64(1), p.JobsMissed)

	for i := 0; i < 3; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, op))
	}
	require.ErrorIs(t, f.k.LockCollateral(f.ctx, op, math.NewInt(1)), types.ErrProviderNotActive)
	require.ErrorIs(t, f.k.LockCollateral(f.ctx, addr(55), math.NewInt(1)), types.ErrProviderNotFound)
	require.ErrorIs(t, f.k.RecordMiss(f.ctx, addr(55)), types.ErrProviderNotFound)
}

func TestMinPrice(t *testing.T) {
	f := newFixture(t)
	_, ok, err := f.k.MinPrice(f.ctx, "llama-7b")
	require.NoError(t, err)
	require.False(t, ok)

	prices := []math.Int{math.NewInt(300), math.NewInt(7), math.NewIntFromUint64(1 << 63).MulRaw(4), math.NewInt(40)}
	ops := make([]sdk.AccAddress, len(prices))
	for i, pr := range prices {
		ops[i] = f.register(t, i+1, 1)
		c := sdk.NewCoin(denom, pr)
		_, err := f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: ops[i].String(), PricePerToken: &c})
		require.NoError(t, err)
	}
	requireMin := func(want int64) {
		t.Helper()
		got, ok, err := f.k.MinPrice(f.ctx, "llama-7b")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, math.NewInt(want), got)
	}
	requireMin(7)
	for i := 0; i < 3; i++ { // jail the cheapest
		require.NoError(t, f.k.RecordMiss(f.ctx, ops[1]))
	}
	requireMin(40)
	c := sdk.NewCoin(denom, math.NewInt(3))
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: ops[2].String(), PricePerToken: &c})
	require.NoError(t, err)
	requireMin(3)
	_, ok, err = f.k.MinPrice(f.ctx, "qwen2.5-0.5b")
	require.NoError(t, err)
	require.False(t, ok)
}

func TestCheckBondsDetectsMismatch(t *testing.T) {
	f := newFixture(t)
	f.register(t, 1, 2)
	require.NoError(t, f.k.CheckBonds(f.ctx))
	_, broken := f.k.BondsInvariant(f.ctx)
	require.False(t, broken)
	f.bank.add(f.k.ModuleAddress(), sdk.NewCoins(coin(1)))
	require.ErrorIs(t, f.k.CheckBonds(f.ctx), types.ErrInvariantBroken)
	msg, broken := f.k.BondsInvariant(f.ctx)
	require.True(t, broken)
	require.Contains(t, msg, "module account holds 2000001usovra")
}

// requireEvent asserts that an event of type T for which match holds was emitted (decoded
// from the context's ABCI events, as a client decodes them).
func requireEvent[T proto.Message](t *testing.T, ctx sdk.Context, match func(T) bool) {
	t.Helper()
	evs, err := types.ParseEvents(ctx.EventManager().ABCIEvents())
	require.NoError(t, err)
	for _, e := range evs {
		if ev, ok := e.(T); ok && match(ev) {
			return
		}
	}
	var zero T
	t.Fatalf("no matching %T in %v", zero, evs)
}
