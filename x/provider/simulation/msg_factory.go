package simulation

import (
	"context"
	"fmt"
	"slices"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/simworld"
	"github.com/sovra-network/sovra/x/provider/keeper"
	"github.com/sovra-network/sovra/x/provider/types"
)

// Factories read the keeper's state to build messages that should succeed; a factory
// that finds nothing to act on skips with the reason (the run's summary counts them).
// They iterate collections only (ordered), never Go maps, so a seed replays exactly.

// providers returns the providers that keep, in operator order.
func providers(ctx context.Context, k keeper.Keeper, reporter simsx.SimulationReporter, keep func(types.Provider) bool) []types.Provider {
	var out []types.Provider
	err := k.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Provider) (bool, error) {
		if keep(p) {
			out = append(out, p)
		}
		return false, nil
	})
	if err != nil {
		reporter.Skipf("read providers: %s", err)
		return nil
	}
	return out
}

// anyProvider picks one of the providers that keep, with its operator's sim account.
func anyProvider(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter,
	what string, keep func(types.Provider) bool,
) (types.Provider, simsx.SimAccount) {
	ps := providers(ctx, k, reporter, keep)
	if reporter.IsSkipped() {
		return types.Provider{}, simsx.SimAccount{}
	}
	if len(ps) == 0 {
		reporter.Skipf("no provider %s", what)
		return types.Provider{}, simsx.SimAccount{}
	}
	p := simsx.OneOf(testData.Rand(), ps)
	return p, testData.GetAccount(reporter, p.Operator)
}

// modelIDs lists the registered models.
func modelIDs(ctx context.Context, k keeper.Keeper, reporter simsx.SimulationReporter) []string {
	var ids []string
	err := k.Models.Walk(ctx, nil, func(id string, _ types.Model) (bool, error) {
		ids = append(ids, id)
		return false, nil
	})
	if err != nil {
		reporter.Skipf("read models: %s", err)
	}
	return ids
}

// randomModels picks 1 to max of the registered models, in a random order.
func randomModels(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter, maxModels uint32) []string {
	ids := modelIDs(ctx, k, reporter)
	if len(ids) == 0 {
		reporter.Skip("no model registered")
		return nil
	}
	r := testData.Rand()
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids[:1+r.Intn(min(len(ids), int(maxModels)))]
}

// freeWorker picks an account that is no provider's worker (operator itself, at times).
func freeWorker(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter, operator simsx.SimAccount) simsx.SimAccount {
	free := simsx.SimAccountFilterFn(func(a simsx.SimAccount) bool {
		has, err := k.ProviderByWorker.Has(ctx, a.Address)
		return err == nil && !has
	})
	if testData.Rand().Intn(2) == 0 && free.Accept(operator) {
		return operator
	}
	return testData.AnyAccountN(5, reporter, free)
}

// signers lists the operator and, when it is another account, the worker: both sign a
// registration or a worker change.
func signers(operator, worker simsx.SimAccount) []simsx.SimAccount {
	if operator.Address.Equals(worker.Address) {
		return []simsx.SimAccount{operator}
	}
	return []simsx.SimAccount{operator, worker}
}

func randomPrice(testData *simsx.ChainDataSource, denom string) sdk.Coin {
	return sdk.NewCoin(denom, math.NewInt(1+testData.Rand().Int63n(200)))
}

// MsgRegisterProviderFactory registers an account that runs no provider, bonding at
// least min_bond, with its own key or another free account as worker (both sign).
func MsgRegisterProviderFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRegisterProvider] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegisterProvider) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		denom := params.MinBond.Denom
		noProvider := simsx.SimAccountFilterFn(func(a simsx.SimAccount) bool {
			has, err := k.Providers.Has(ctx, a.Address)
			return err == nil && !has
		})
		op := testData.AnyAccountN(5, reporter, noProvider, simsx.WithLiquidBalanceGTE(params.MinBond.AddAmount(params.MinBond.Amount)))
		if reporter.IsSkipped() {
			return nil, nil
		}
		worker := freeWorker(ctx, k, testData, reporter, op)
		models := randomModels(ctx, k, testData, reporter, params.MaxModels)
		if reporter.IsSkipped() {
			return nil, nil
		}
		r := testData.Rand()
		// min_bond and up to a tenth of what is left: enough free bond for collateral.
		extra := op.LiquidBalance().AmountOf(denom).Sub(params.MinBond.Amount).QuoRaw(10)
		bond := params.MinBond.AddAmount(r.Amount(extra))
		if !op.LiquidBalance().BlockAmount(bond) {
			reporter.Skip("operator cannot pay the bond")
			return nil, nil
		}
		msg := &types.MsgRegisterProvider{
			Operator:      op.AddressBech32,
			Worker:        worker.AddressBech32,
			Models:        models,
			Bond:          bond,
			PricePerToken: randomPrice(testData, denom),
			Profile:       simsx.OneOf(r, Profiles),
			MaxJobs:       uint32(r.Intn(17)), //nolint:gosec // G115: small
		}
		if r.Intn(2) == 0 {
			msg.Endpoint = fmt.Sprintf("https://provider-%d.sim:8443", r.Intn(1000))
			msg.Hardware = r.StringN(1 + r.Intn(30))
		}
		return signers(op, worker), msg
	}
}

// MsgUpdateProviderFactory changes some of a provider's listing: price, capacity,
// endpoint, hardware, and its models or profile when no audit of it is open.
func MsgUpdateProviderFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateProvider] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateProvider) {
		p, op := anyProvider(ctx, k, testData, reporter, "that is not unbonding", func(p types.Provider) bool {
			return p.Status != types.PROVIDER_STATUS_UNBONDING
		})
		if reporter.IsSkipped() {
			return nil, nil
		}
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		r := testData.Rand()
		msg := &types.MsgUpdateProvider{Operator: p.Operator}
		for msg.ValidateBasic() != nil { // until it sets a field
			switch r.Intn(6) {
			case 0:
				price := randomPrice(testData, params.MinBond.Denom)
				msg.PricePerToken = &price
			case 1:
				msg.MaxJobs = uint32(1 + r.Intn(16)) //nolint:gosec // G115: small
			case 2:
				msg.Endpoint = fmt.Sprintf("https://provider-%d.sim:8443", r.Intn(1000))
			case 3:
				msg.Hardware = r.StringN(1 + r.Intn(30))
			case 4:
				if p.OpenAudits == 0 {
					msg.Models = randomModels(ctx, k, testData, reporter, params.MaxModels)
					if reporter.IsSkipped() {
						return nil, nil
					}
				}
			case 5:
				if p.OpenAudits == 0 {
					msg.Profile = simsx.OneOf(r, Profiles)
				}
			}
		}
		return []simsx.SimAccount{op}, msg
	}
}

// MsgChangeWorkerFactory binds another free account (or the operator) as a provider's
// worker, when no audit of it is open; operator and new worker sign.
func MsgChangeWorkerFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgChangeWorker] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgChangeWorker) {
		p, op := anyProvider(ctx, k, testData, reporter, "without open audits", func(p types.Provider) bool {
			return p.Status != types.PROVIDER_STATUS_UNBONDING && p.OpenAudits == 0
		})
		if reporter.IsSkipped() {
			return nil, nil
		}
		worker := freeWorker(ctx, k, testData, reporter, op)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return signers(op, worker), &types.MsgChangeWorker{Operator: p.Operator, Worker: worker.AddressBech32}
	}
}

// MsgAddBondFactory adds up to a tenth of the operator's balance to a provider's bond.
func MsgAddBondFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgAddBond] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAddBond) {
		p, op := anyProvider(ctx, k, testData, reporter, "that is not unbonding", func(p types.Provider) bool {
			return p.Status != types.PROVIDER_STATUS_UNBONDING
		})
		if reporter.IsSkipped() {
			return nil, nil
		}
		avail := op.LiquidBalance().AmountOf(p.Bond.Denom).QuoRaw(10)
		if !avail.IsPositive() {
			reporter.Skip("operator has nothing to add")
			return nil, nil
		}
		amount := sdk.NewCoin(p.Bond.Denom, testData.Rand().Amount(avail).AddRaw(1))
		if !op.LiquidBalance().BlockAmount(amount) {
			reporter.Skip("operator cannot pay")
			return nil, nil
		}
		return []simsx.SimAccount{op}, &types.MsgAddBond{Operator: p.Operator, Amount: amount}
	}
}

// MsgUnbondFactory starts the unbonding of a provider with nothing locked.
func MsgUnbondFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUnbond] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUnbond) {
		p, op := anyProvider(ctx, k, testData, reporter, "with nothing locked", func(p types.Provider) bool {
			return p.Status != types.PROVIDER_STATUS_UNBONDING && p.LockedAmount().IsZero() && p.ActiveJobs == 0
		})
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{op}, &types.MsgUnbond{Operator: p.Operator}
	}
}

// MsgUnjailFactory unjails a provider whose jail period is over and whose bond is at
// least min_bond.
func MsgUnjailFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUnjail] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUnjail) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		h := sdk.UnwrapSDKContext(ctx).BlockHeight()
		p, op := anyProvider(ctx, k, testData, reporter, "jailed, out of jail time, with min_bond", func(p types.Provider) bool {
			return p.Status == types.PROVIDER_STATUS_JAILED && p.JailedUntil <= h && p.Bond.Amount.GTE(params.MinBond.Amount)
		})
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{op}, &types.MsgUnjail{Operator: p.Operator}
	}
}

// MsgSetAuditKeyFactory publishes, from a provider's worker, the provider's simulated
// audit key (x/internal/simworld), without which it is never drawn as a verifier; only
// when no audit of it is open. Providers without a key are picked first.
func MsgSetAuditKeyFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgSetAuditKey] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgSetAuditKey) {
		noKey := func(p types.Provider) bool { return p.OpenAudits == 0 && len(p.AuditKey) == 0 }
		if testData.Rand().Intn(4) == 0 || len(providers(ctx, k, reporter, noKey)) == 0 {
			noKey = func(p types.Provider) bool { return p.OpenAudits == 0 }
		}
		p, _ := anyProvider(ctx, k, testData, reporter, "without open audits", noKey)
		if reporter.IsSkipped() {
			return nil, nil
		}
		worker := testData.GetAccount(reporter, p.Worker)
		opBytes, err := testData.AddressCodec().StringToBytes(p.Operator)
		if err != nil {
			reporter.Skipf("operator %s: %s", p.Operator, err)
			return nil, nil
		}
		_, pub := simworld.AuditKey(opBytes)
		return []simsx.SimAccount{worker}, &types.MsgSetAuditKey{Worker: p.Worker, AuditKey: slices.Clone(pub[:])}
	}
}

// MsgUpdateParamsFactory proposes random valid params (a governance proposal's message).
func MsgUpdateParamsFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params:    RandomParams(testData.Rand().Rand, params.MinBond.Denom),
		}
	}
}

// MsgRegisterModelFactory proposes a new model (a governance proposal's message).
func MsgRegisterModelFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRegisterModel] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegisterModel) {
		r := testData.Rand()
		id := fmt.Sprintf("sim-model-g%d", r.Intn(1_000_000))
		if has, err := k.Models.Has(ctx, id); err != nil || has {
			reporter.Skipf("model %s exists", id)
			return nil, nil
		}
		return nil, &types.MsgRegisterModel{Authority: testData.ModuleAccountAddress(reporter, "gov"), Model: RandomModel(r.Rand, id)}
	}
}
