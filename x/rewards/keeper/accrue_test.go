package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

const verifyModule = "verify"

func TestAccrueAndPendingBySource(t *testing.T) {
	f := setup(t)
	f.bank.fund(modAddr(verifyModule), coins(t, "100stake"))
	f.bank.fund(modAddr(taskModule), coins(t, "1000stake"))
	a, other := addr(1), addr(2)

	require.NoError(t, f.k.Accrue(f.ctx, verifyModule, a, types.SourceBounties, coins(t, "30stake")))
	require.NoError(t, f.k.Accrue(f.ctx, verifyModule, a, types.SourceAudits, coins(t, "20stake")))
	require.NoError(t, f.k.Accrue(f.ctx, verifyModule, other, types.SourceAudits, coins(t, "5stake")))
	_, err := f.k.DistributeFee(f.ctx, taskModule, a, coins(t, "100stake"))
	require.NoError(t, err)

	total, bySource, err := f.k.Pending(f.ctx, a)
	require.NoError(t, err)
	require.Equal(t, coins(t, "130stake"), total)
	require.Equal(t, []types.Accrual{
		{Address: a.String(), Source: types.SourceAudits, Amount: coins(t, "20stake")},
		{Address: a.String(), Source: types.SourceBounties, Amount: coins(t, "30stake")},
		{Address: a.String(), Source: types.SourceJobs, Amount: coins(t, "80stake")},
	}, bySource)
	require.Equal(t, coins(t, "45stake"), f.bank.moduleBalance(verifyModule))
	require.NoError(t, f.k.CheckUnclaimed(f.ctx))
	require.True(t, hasEvent(t, f.ctx, &types.EventRewardsAccrued{Address: a.String(), Source: types.SourceAudits, Amount: coins(t, "20stake")}))

	total, bySource, err = f.k.Pending(f.ctx, addr(3))
	require.NoError(t, err)
	require.True(t, total.IsZero())
	require.NotNil(t, total)
	require.Empty(t, bySource)
}

func TestAccrueBadInputMovesNothing(t *testing.T) {
	cases := []struct {
		name   string
		from   string
		addr   sdk.AccAddress
		source string
		amount sdk.Coins
	}{
		{"unknown source", verifyModule, addr(1), "tips", sdk.NewCoins(sdk.NewInt64Coin("stake", 1))},
		{"empty source", verifyModule, addr(1), "", sdk.NewCoins(sdk.NewInt64Coin("stake", 1))},
		{"empty address", verifyModule, nil, types.SourceAudits, sdk.NewCoins(sdk.NewInt64Coin("stake", 1))},
		{"from rewards itself", types.ModuleName, addr(1), types.SourceAudits, sdk.NewCoins(sdk.NewInt64Coin("stake", 1))},
		{"unsorted coins", verifyModule, addr(1), types.SourceAudits, sdk.Coins{sdk.NewInt64Coin("zzz", 1), sdk.NewInt64Coin("aaa", 1)}},
		{"source module short", verifyModule, addr(1), types.SourceAudits, sdk.NewCoins(sdk.NewInt64Coin("stake", 11))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.bank.fund(modAddr(verifyModule), coins(t, "10stake,10zzz,10aaa"))
			before := f.bank.snapshot()
			require.Error(t, f.k.Accrue(f.ctx, tc.from, tc.addr, tc.source, tc.amount))
			require.Equal(t, before, f.bank.snapshot())
			sum, err := f.k.TotalUnclaimed(f.ctx)
			require.NoError(t, err)
			require.True(t, sum.IsZero())
		})
	}
}

func TestPayFromVerificationPool(t *testing.T) {
	f := setup(t)
	f.bank.fund(modAddr(taskModule), coins(t, "1000stake"))
	_, err := f.k.DistributeFee(f.ctx, taskModule, addr(1), coins(t, "1000stake"))
	require.NoError(t, err)
	require.Equal(t, coins(t, "100stake"), f.bank.moduleBalance(types.VerificationPoolName))

	auditor := addr(2)
	require.NoError(t, f.k.PayFromVerificationPool(f.ctx, auditor, types.SourceAudits, coins(t, "60stake")))
	require.Equal(t, coins(t, "40stake"), f.bank.moduleBalance(types.VerificationPoolName))
	total, _, err := f.k.Pending(f.ctx, auditor)
	require.NoError(t, err)
	require.Equal(t, coins(t, "60stake"), total)
	require.NoError(t, f.k.CheckUnclaimed(f.ctx))

	// The pool is short: an error and nothing moves.
	before := f.bank.snapshot()
	err = f.k.PayFromVerificationPool(f.ctx, auditor, types.SourceAudits, coins(t, "41stake"))
	require.ErrorIs(t, err, types.ErrInsufficientPool)
	err = f.k.PayFromVerificationPool(f.ctx, auditor, types.SourceAudits, coins(t, "1uatom"))
	require.ErrorIs(t, err, types.ErrInsufficientPool)
	err = f.k.PayFromVerificationPool(f.ctx, auditor, "tips", coins(t, "1stake"))
	require.ErrorIs(t, err, types.ErrInvalidSource)
	require.Equal(t, before, f.bank.snapshot())
	total, _, err = f.k.Pending(f.ctx, auditor)
	require.NoError(t, err)
	require.Equal(t, coins(t, "60stake"), total)

	// Zero is a no-op.
	require.NoError(t, f.k.PayFromVerificationPool(f.ctx, auditor, types.SourceAudits, sdk.NewCoins()))
	require.Equal(t, before, f.bank.snapshot())
}
