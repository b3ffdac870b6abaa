package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/x/provider/types"
)

// TestGenesisAfterMaxModelsLowered: governance lowers max_models below the models a
// provider serves. The provider keeps them (and can add none), and the chain exports that
// state, so the exported genesis must validate and import as it is. It did not ("3 models,
// max_models is 2": found by the app simulation's export at the end of a run).
func TestGenesisAfterMaxModelsLowered(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5, "llama-7b", "tiny_model")
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	params.MaxModels = 1
	_, err = f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.k.GetAuthority(), Params: params})
	require.NoError(t, err)
	p, err := f.k.GetProvider(f.ctx, op)
	require.NoError(t, err)
	require.Len(t, p.Models, 2, "a provider keeps its models")
	// It cannot list two models again, but may change its other fields.
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: op.String(), Models: []string{"tiny_model", "llama-7b"}})
	require.ErrorIs(t, err, types.ErrTooManyModels)
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: op.String(), MaxJobs: 2})
	require.NoError(t, err)

	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	g := newFixture(t)
	g.bank.balances = f.bank.balances
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	gs2, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, gs, gs2)
}
