package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/x/rewards/types"
)

func TestClaimPaysExactlyPendingAndEmptiesIt(t *testing.T) {
	f := setup(t)
	f.bank.fund(modAddr(taskModule), coins(t, "10000stake,9uatom"))
	f.bank.fund(modAddr(verifyModule), coins(t, "50stake"))
	claimer, other := addr(1), addr(2)

	_, err := f.k.DistributeFee(f.ctx, taskModule, claimer, coins(t, "999stake,9uatom"))
	require.NoError(t, err)
	require.NoError(t, f.k.Accrue(f.ctx, verifyModule, claimer, types.SourceAudits, coins(t, "50stake")))
	_, err = f.k.DistributeFee(f.ctx, taskModule, other, coins(t, "1000stake"))
	require.NoError(t, err)

	pending, _, err := f.k.Pending(f.ctx, claimer)
	require.NoError(t, err)
	// 999 × 0.80 share: others are 99 + 49 + 49 = 197, so the provider gets 802; plus 9uatom and 50.
	require.Equal(t, coins(t, "852stake,9uatom"), pending)
	rewardsBefore := f.bank.moduleBalance(types.ModuleName)

	resp, err := f.msg.ClaimRewards(f.ctx, &types.MsgClaimRewards{Address: claimer.String()})
	require.NoError(t, err)
	require.Equal(t, pending, resp.Amount)
	require.Equal(t, pending, f.bank.balance(claimer))
	require.Equal(t, rewardsBefore.Sub(pending...), f.bank.moduleBalance(types.ModuleName))

	after, bySource, err := f.k.Pending(f.ctx, claimer)
	require.NoError(t, err)
	require.True(t, after.IsZero())
	require.Empty(t, bySource)
	otherPending, _, err := f.k.Pending(f.ctx, other)
	require.NoError(t, err)
	require.Equal(t, coins(t, "800stake"), otherPending)
	require.NoError(t, f.k.CheckUnclaimed(f.ctx))
	require.True(t, hasEvent(t, f.ctx, &types.EventRewardsClaimed{Address: claimer.String(), Amount: pending}))

	// A second claim has nothing left.
	_, err = f.msg.ClaimRewards(f.ctx, &types.MsgClaimRewards{Address: claimer.String()})
	require.ErrorIs(t, err, types.ErrNothingToClaim)
}

func TestClaimBadInputMovesNothing(t *testing.T) {
	cases := []struct {
		name    string
		address string
		failOn  string
		wantErr error
	}{
		{"nothing pending", addr(9).String(), "", types.ErrNothingToClaim},
		{"malformed address", "sovra1notbech32", "", nil},
		{"empty address", "", "", nil},
		{"wrong prefix", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", "", nil},
		{"bank refuses the payout", addr(1).String(), "SendCoinsFromModuleToAccount", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.bank.fund(modAddr(taskModule), coins(t, "100stake"))
			_, err := f.k.DistributeFee(f.ctx, taskModule, addr(1), coins(t, "100stake"))
			require.NoError(t, err)
			f.bank.failOn = tc.failOn
			before := f.bank.snapshot()
			unclaimed, err := f.k.TotalUnclaimed(f.ctx)
			require.NoError(t, err)

			_, err = f.msg.ClaimRewards(f.ctx, &types.MsgClaimRewards{Address: tc.address})
			require.Error(t, err)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
			require.Equal(t, before, f.bank.snapshot())
			after, err := f.k.TotalUnclaimed(f.ctx)
			require.NoError(t, err)
			require.Equal(t, unclaimed, after)
		})
	}
}

func TestCheckUnclaimedDetectsMismatch(t *testing.T) {
	f := setup(t)
	f.bank.fund(modAddr(taskModule), coins(t, "100stake"))
	_, err := f.k.DistributeFee(f.ctx, taskModule, addr(1), coins(t, "100stake"))
	require.NoError(t, err)
	require.NoError(t, f.k.CheckUnclaimed(f.ctx))

	// Coins reach the rewards account without an accrual: a surplus.
	f.bank.fund(modAddr(types.ModuleName), coins(t, "3uatom"))
	err = f.k.CheckUnclaimed(f.ctx)
	require.ErrorIs(t, err, types.ErrUnclaimedMismatch)
	require.ErrorContains(t, err, `surplus "3uatom"`)

	// An accrual without coins behind it: a shortfall.
	f2 := setup(t)
	require.NoError(t, f2.k.Accruals.Set(f2.ctx, accrualKey(addr(2), types.SourceAudits),
		types.Accrual{Address: addr(2).String(), Source: types.SourceAudits, Amount: coins(t, "5stake")}))
	err = f2.k.CheckUnclaimed(f2.ctx)
	require.ErrorIs(t, err, types.ErrUnclaimedMismatch)
	require.ErrorContains(t, err, `shortfall "5stake"`)
}
