//go:build sovra_testupgrade

package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/sovra-network/sovra/x/rewards/keeper"
	"github.com/sovra-network/sovra/x/rewards/types"
)

// TestMigrate1to2BurnsTheCommunityShare: the test upgrade's migration moves
// community_share into burn_share and nothing else (accruals untouched); params that the
// migration would make invalid are refused and left as they were.
func TestMigrate1to2BurnsTheCommunityShare(t *testing.T) {
	f := setup(t)
	dec := math.LegacyMustNewDecFromStr
	before := types.Params{
		ProviderShare: dec("0.4"), VerificationShare: dec("0.5"), ValidatorShare: dec("0.04"),
		CommunityShare: dec("0.05"), BurnShare: dec("0.01"),
	}
	require.NoError(t, f.k.Params.Set(f.ctx, before))
	accrual := types.Accrual{Address: addr(1).String(), Source: "jobs", Amount: coins(t, "123usovra")}
	require.NoError(t, f.k.Accruals.Set(f.ctx, accrualKey(addr(1), "jobs"), accrual))

	require.NoError(t, keeper.NewMigrator(f.k).Migrate1to2(f.ctx))

	after, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	want := before
	want.CommunityShare, want.BurnShare = math.LegacyZeroDec(), dec("0.06")
	require.Equal(t, want.String(), after.String())
	got, err := f.k.Accruals.Get(f.ctx, accrualKey(addr(1), "jobs"))
	require.NoError(t, err)
	require.Equal(t, accrual.String(), got.String())

	// Stored params that do not validate (a share above 1) are not rewritten.
	bad := before
	bad.ProviderShare = dec("1.5")
	require.NoError(t, f.k.Params.Set(f.ctx, bad))
	err = keeper.NewMigrator(f.k).Migrate1to2(f.ctx)
	require.ErrorIs(t, err, types.ErrInvalidParams)
	stored, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, bad.String(), stored.String())
}
