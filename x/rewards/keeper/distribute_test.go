package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

func TestDistributeFeeMovesEveryPart(t *testing.T) {
	f := setup(t)
	params := types.DefaultParams()
	params.CommunityShare = dec("0.03")
	params.BurnShare = dec("0.02")
	require.NoError(t, f.k.Params.Set(f.ctx, params))

	fee := coins(t, "999999stake,7uatom")
	f.bank.fund(modAddr(taskModule), coins(t, "1000000stake,10uatom"))
	provider := addr(1)

	split, err := f.k.DistributeFee(f.ctx, taskModule, provider, fee)
	require.NoError(t, err)

	// 999999 × 0.10 = 99999.9 → 99999; × 0.05 = 49999.95 → 49999; × 0.03 → 29999; × 0.02 → 19999.
	// 7 × every non-provider share truncates to 0, so the provider gets all 7uatom.
	require.Equal(t, coins(t, "99999stake"), split.VerificationPool)
	require.Equal(t, coins(t, "49999stake"), split.Validators)
	require.Equal(t, coins(t, "29999stake"), split.Community)
	require.Equal(t, coins(t, "19999stake"), split.Burned)
	require.Equal(t, coins(t, "800003stake,7uatom"), split.Provider)
	require.Equal(t, fee, split.Total())

	require.Equal(t, coins(t, "1stake,3uatom"), f.bank.moduleBalance(taskModule))
	require.Equal(t, split.Provider, f.bank.moduleBalance(types.ModuleName))
	require.Equal(t, split.VerificationPool, f.bank.moduleBalance(types.VerificationPoolName))
	require.Equal(t, split.Validators, f.bank.moduleBalance(authtypes.FeeCollectorName))
	require.Equal(t, split.Community, f.bank.moduleBalance(distrModule))
	require.Equal(t, split.Community, f.distr.communityPool)
	require.Equal(t, split.Burned, f.bank.burned)

	total, bySource, err := f.k.Pending(f.ctx, provider)
	require.NoError(t, err)
	require.Equal(t, split.Provider, total)
	require.Equal(t, []types.Accrual{{Address: provider.String(), Source: types.SourceJobs, Amount: split.Provider}}, bySource)
	require.NoError(t, f.k.CheckUnclaimed(f.ctx))

	require.True(t, hasEvent(t, f.ctx, &types.EventFeeDistributed{
		FromModule:       taskModule,
		Provider:         provider.String(),
		Fee:              fee,
		ProviderAmount:   coins(t, "800003stake,7uatom"),
		VerificationPool: coins(t, "99999stake"),
		Validators:       coins(t, "49999stake"),
		Community:        coins(t, "29999stake"),
		Burned:           coins(t, "19999stake"),
	}))

	// A second fee adds to the same accrual.
	split2, err := f.k.DistributeFee(f.ctx, taskModule, provider, coins(t, "1stake"))
	require.NoError(t, err)
	require.Equal(t, coins(t, "1stake"), split2.Provider)
	total, _, err = f.k.Pending(f.ctx, provider)
	require.NoError(t, err)
	require.Equal(t, coins(t, "800004stake,7uatom"), total)
	require.NoError(t, f.k.CheckUnclaimed(f.ctx))
}

func TestDistributeFeeZeroIsNoop(t *testing.T) {
	f := setup(t)
	f.bank.fund(modAddr(taskModule), coins(t, "10stake"))
	before := f.bank.snapshot()
	for _, fee := range []sdk.Coins{nil, sdk.NewCoins(), {sdk.NewInt64Coin("stake", 0)}} {
		split, err := f.k.DistributeFee(f.ctx, taskModule, addr(1), fee)
		require.NoError(t, err)
		require.True(t, split.Total().IsZero())
	}
	require.Equal(t, before, f.bank.snapshot())
	total, _, err := f.k.Pending(f.ctx, addr(1))
	require.NoError(t, err)
	require.True(t, total.IsZero())
	require.Empty(t, f.ctx.EventManager().Events())
}

func TestDistributeFeeBadInputMovesNothing(t *testing.T) {
	cases := []struct {
		name     string
		from     string
		provider sdk.AccAddress
		fee      sdk.Coins
		failOn   string
	}{
		{"empty provider", taskModule, nil, sdk.NewCoins(sdk.NewInt64Coin("stake", 10)), ""},
		{"empty source module", "", addr(1), sdk.NewCoins(sdk.NewInt64Coin("stake", 10)), ""},
		{"from the rewards module itself", types.ModuleName, addr(1), sdk.NewCoins(sdk.NewInt64Coin("stake", 10)), ""},
		{"negative coin", taskModule, addr(1), sdk.Coins{sdk.Coin{Denom: "stake", Amount: sdk.NewInt64Coin("stake", 10).Amount.Neg()}}, ""},
		{"unsorted coins", taskModule, addr(1), sdk.Coins{sdk.NewInt64Coin("zzz", 1), sdk.NewInt64Coin("aaa", 1)}, ""},
		{"more than the source holds", taskModule, addr(1), sdk.NewCoins(sdk.NewInt64Coin("stake", 101)), ""},
		{"bank fails moving the fee in", taskModule, addr(1), sdk.NewCoins(sdk.NewInt64Coin("stake", 10)), "SendCoinsFromModuleToModule"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.bank.fund(modAddr(taskModule), coins(t, "100stake,100zzz,100aaa"))
			f.bank.failOn = tc.failOn
			before := f.bank.snapshot()
			_, err := f.k.DistributeFee(f.ctx, tc.from, tc.provider, tc.fee)
			require.Error(t, err)
			require.Equal(t, before, f.bank.snapshot())
			sum, err := f.k.TotalUnclaimed(f.ctx)
			require.NoError(t, err)
			require.True(t, sum.IsZero())
			require.Empty(t, f.ctx.EventManager().Events())
		})
	}
}

// A failure after some coins moved must leave no accrual and no event behind: the store writes are
// cached until every step succeeded.
func TestDistributeFeeFailureLeavesNoAccrual(t *testing.T) {
	f := setup(t)
	f.bank.fund(modAddr(taskModule), coins(t, "1000stake"))
	f.bank.failOn = "FundCommunityPool"
	_, err := f.k.DistributeFee(f.ctx, taskModule, addr(1), coins(t, "1000stake"))
	require.ErrorContains(t, err, "injected failure")
	sum, err := f.k.TotalUnclaimed(f.ctx)
	require.NoError(t, err)
	require.True(t, sum.IsZero())
	require.Empty(t, f.ctx.EventManager().Events())
}

// DistributeFees moves exactly what one DistributeFee per fee moves (every fee split on its
// own, so the truncations add up as they would one by one), in one transfer per recipient,
// with one accrual and one EventFeeDistributed per provider holding its sums.
func TestDistributeFeesEqualsOneCallPerFee(t *testing.T) {
	params := types.DefaultParams()
	params.CommunityShare = dec("0.03")
	params.BurnShare = dec("0.02")
	fees := []types.ProviderFee{
		{Provider: addr(1), Fee: coins(t, "157stake")},
		{Provider: addr(2), Fee: coins(t, "163stake,3uatom")},
		{Provider: addr(1), Fee: sdk.NewCoins()}, // skipped
		{Provider: addr(1), Fee: coins(t, "99stake")},
		{Provider: addr(3), Fee: coins(t, "1stake")},
		{Provider: addr(2), Fee: coins(t, "41stake")},
	}
	one, many := setup(t), setup(t)
	for _, f := range []*fixture{one, many} {
		require.NoError(t, f.k.Params.Set(f.ctx, params))
		f.bank.fund(modAddr(taskModule), coins(t, "1000stake,10uatom"))
	}
	var want types.FeeSplit
	for _, fee := range fees {
		split, err := one.k.DistributeFee(one.ctx, taskModule, fee.Provider, fee.Fee)
		require.NoError(t, err)
		want = want.Add(split)
	}
	got, err := many.k.DistributeFees(many.ctx, taskModule, fees)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, one.bank.snapshot(), many.bank.snapshot())
	require.Equal(t, one.distr.communityPool, many.distr.communityPool)
	// The fees' own splits truncate: the split of their sum would differ.
	require.NotEqual(t, types.SplitFee(coins(t, "461stake,3uatom"), params).Validators, got.Validators)
	for _, p := range []sdk.AccAddress{addr(1), addr(2), addr(3)} {
		a, _, err := one.k.Pending(one.ctx, p)
		require.NoError(t, err)
		b, _, err := many.k.Pending(many.ctx, p)
		require.NoError(t, err)
		require.Equal(t, a, b)
	}
	require.NoError(t, many.k.CheckUnclaimed(many.ctx))

	evs, err := types.ParseEvents(many.ctx.EventManager().ABCIEvents())
	require.NoError(t, err)
	var providers []string
	for _, e := range evs {
		if fd, ok := e.(*types.EventFeeDistributed); ok {
			providers = append(providers, fd.Provider)
		}
	}
	require.Equal(t, []string{addr(1).String(), addr(2).String(), addr(3).String()}, providers)
	s1 := types.SplitFee(coins(t, "157stake"), params).Add(types.SplitFee(coins(t, "99stake"), params))
	require.True(t, hasEvent(t, many.ctx, &types.EventFeeDistributed{
		FromModule: taskModule, Provider: addr(1).String(), Fee: coins(t, "256stake"), ProviderAmount: s1.Provider,
		VerificationPool: s1.VerificationPool, Validators: s1.Validators, Community: s1.Community, Burned: s1.Burned,
	}))
}

// One bad entry moves nothing; a bank failure after some coins moved leaves no accrual and no
// event (the fake bank is no store, so the cached context cannot undo its transfers: the
// real one's are, TestDistributeFeeFailureLeavesNoAccrual's case).
func TestDistributeFeesAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fees   []types.ProviderFee
		failOn string
	}{
		{"an empty provider", []types.ProviderFee{{Provider: addr(1), Fee: coins(t, "10stake")}, {Fee: coins(t, "10stake")}}, ""},
		{"more than the source holds", []types.ProviderFee{{Provider: addr(1), Fee: coins(t, "60stake")}, {Provider: addr(2), Fee: coins(t, "60stake")}}, ""},
		{"the community pool fails", []types.ProviderFee{{Provider: addr(1), Fee: coins(t, "60stake")}, {Provider: addr(2), Fee: coins(t, "30stake")}}, "FundCommunityPool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.bank.fund(modAddr(taskModule), coins(t, "100stake"))
			f.bank.failOn = tc.failOn
			before := f.bank.snapshot()
			_, err := f.k.DistributeFees(f.ctx, taskModule, tc.fees)
			require.Error(t, err)
			if tc.failOn == "" {
				require.Equal(t, before, f.bank.snapshot())
			}
			sum, err := f.k.TotalUnclaimed(f.ctx)
			require.NoError(t, err)
			require.True(t, sum.IsZero())
			require.Empty(t, f.ctx.EventManager().Events())
		})
	}
}
