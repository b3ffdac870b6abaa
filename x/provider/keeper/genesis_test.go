package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/sovra-network/sovra/x/provider/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 6; i++ {
		f.register(t, i, int64(i), "llama-7b", "tiny_model")
	}
	require.NoError(t, f.k.LockCollateral(f.ctx, addr(2), math.NewInt(5)))
	for i := 0; i < 3; i++ {
		require.NoError(t, f.k.RecordMiss(f.ctx, addr(3)))
	}
	_, err := f.ms.Unbond(f.ctx, &types.MsgUnbond{Operator: addr(4).String()})
	require.NoError(t, err)
	// Provider 6 lowers its capacity below the jobs it runs: valid state, and so valid genesis.
	require.NoError(t, f.k.LockCollateral(f.ctx, addr(6), math.NewInt(1)))
	require.NoError(t, f.k.LockCollateral(f.ctx, addr(6), math.NewInt(1)))
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: addr(6).String(), MaxJobs: 1})
	require.NoError(t, err)
	p6, err := f.k.GetProvider(f.ctx, addr(6))
	require.NoError(t, err)
	require.Equal(t, uint32(2), p6.ActiveJobs)
	require.Equal(t, uint32(1), p6.MaxJobs)

	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	require.Len(t, gs.Providers, 6)
	require.Equal(t, testModels, gs.Models, "models with their chat templates")

	g := newFixture(t)
	g.bank.balances = f.bank.balances
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	gs2, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, gs, gs2)

	// Derived state is rebuilt (slots follow the genesis order, so individual draws may
	// differ from the exporting chain; the weights and totals do not).
	for _, m := range []string{"llama-7b", "tiny_model"} {
		a, err := f.k.TotalWeight(f.ctx, m)
		require.NoError(t, err)
		b, err := g.k.TotalWeight(g.ctx, m)
		require.NoError(t, err)
		require.Equal(t, a, b)
		p, ok, err := g.k.DrawProvider(g.ctx, m, seedOf(1), nil, 1)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, types.PROVIDER_STATUS_ACTIVE, p.Status)
	}
	minA, _, err := f.k.MinPrice(f.ctx, "llama-7b")
	require.NoError(t, err)
	minB, _, err := g.k.MinPrice(g.ctx, "llama-7b")
	require.NoError(t, err)
	require.Equal(t, minA, minB)
	checkTree(t, g, "llama-7b")
	checkTree(t, g, "tiny_model")
	w, err := g.k.GetProviderByWorker(g.ctx, workerOf(5))
	require.NoError(t, err)
	require.Equal(t, addr(5).String(), w.Operator)
	total, err := g.k.TotalBonded(g.ctx)
	require.NoError(t, err)
	require.Equal(t, bigCoin(21).Amount, total)
	require.NoError(t, g.k.CheckBonds(g.ctx))
	require.NoError(t, g.k.EndBlocker(g.ctx.WithBlockHeight(110)))
	_, err = g.k.GetProvider(g.ctx, addr(4))
	require.ErrorIs(t, err, types.ErrProviderNotFound)
}

func TestInitGenesisRejectsInvalid(t *testing.T) {
	f := newFixture(t)
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	gs.Providers = []types.Provider{{
		Operator: addr(1).String(), Worker: addr(2).String(), Models: []string{"not-registered"},
		Bond: bigCoin(1), PricePerToken: coin(1), Profile: "p", MaxJobs: 1, Status: types.PROVIDER_STATUS_ACTIVE,
	}}
	require.ErrorIs(t, f.k.InitGenesis(f.ctx, gs), types.ErrUnknownModel)
}
