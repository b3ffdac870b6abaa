package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/x/rewards/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	f := setup(t)
	params := types.DefaultParams()
	params.BurnShare, params.CommunityShare = dec("0.05"), dec("0")
	gs := &types.GenesisState{
		Params: params,
		Accruals: []types.Accrual{
			{Address: addr(1).String(), Source: types.SourceAudits, Amount: coins(t, "3stake")},
			{Address: addr(1).String(), Source: types.SourceJobs, Amount: coins(t, "10stake,2uatom")},
			{Address: addr(2).String(), Source: types.SourceBounties, Amount: coins(t, "1stake")},
		},
	}
	require.NoError(t, f.k.InitGenesis(f.ctx, gs))
	got, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, gs, got)

	total, _, err := f.k.Pending(f.ctx, addr(1))
	require.NoError(t, err)
	require.Equal(t, coins(t, "13stake,2uatom"), total)

	// The bank genesis must hold exactly the accruals in the rewards account.
	require.ErrorIs(t, f.k.CheckUnclaimed(f.ctx), types.ErrUnclaimedMismatch)
	f.bank.fund(modAddr(types.ModuleName), coins(t, "14stake,2uatom"))
	require.NoError(t, f.k.CheckUnclaimed(f.ctx))
}

func TestInitGenesisRejectsInvalid(t *testing.T) {
	f := setup(t)
	bad := types.DefaultGenesis()
	bad.Accruals = []types.Accrual{{Address: addr(1).String(), Source: "tips", Amount: coins(t, "1stake")}}
	require.Error(t, f.k.InitGenesis(f.ctx, bad))
	sum, err := f.k.TotalUnclaimed(f.ctx)
	require.NoError(t, err)
	require.True(t, sum.IsZero())
}
