package types_test

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// truncShare computes amount × share with plain big integers (share has 18 decimals), independent of
// the LegacyDec arithmetic SplitFee uses.
func truncShare(amount math.Int, share math.LegacyDec) math.Int {
	n := new(big.Int).Mul(amount.BigInt(), share.BigInt())
	n.Quo(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	return math.NewIntFromBigInt(n)
}

func TestSplitFeeRounding(t *testing.T) {
	d := math.LegacyMustNewDecFromStr
	withBurn := types.Params{
		ProviderShare: d("0.7"), VerificationShare: d("0.1"), ValidatorShare: d("0.1"),
		CommunityShare: d("0.05"), BurnShare: d("0.05"),
	}
	thirds := types.Params{ // awkward shares that never divide evenly
		ProviderShare: d("0.333333333333333334"), VerificationShare: d("0.333333333333333333"),
		ValidatorShare: d("0.222222222222222222"), CommunityShare: d("0.111111111111111111"),
		BurnShare: d("0"),
	}
	allProvider := types.Params{
		ProviderShare: d("1"), VerificationShare: d("0"), ValidatorShare: d("0"),
		CommunityShare: d("0"), BurnShare: d("0"),
	}
	fees := []string{
		"1stake", "7stake", "9stake", "10stake", "19stake", "20stake", "100stake", "999999stake",
		"1000000stake", "1aaa,7bbb,999999stake", "3uatom,13ufoo,1000001stake",
		"340282366920938463463374607431768211455stake",
	}
	paramSets := map[string]types.Params{
		"default": types.DefaultParams(), "with burn": withBurn, "thirds": thirds, "all provider": allProvider,
	}
	for name, p := range paramSets {
		require.NoError(t, p.Validate(), name)
		for _, feeStr := range fees {
			fee, err := sdk.ParseCoinsNormalized(feeStr)
			require.NoError(t, err)
			t.Run(name+"/"+feeStr, func(t *testing.T) {
				split := types.SplitFee(fee, p)
				require.Equal(t, fee, split.Total(), "parts must add up to the fee exactly")

				others := sdk.NewCoins()
				for _, part := range []struct {
					got   sdk.Coins
					share math.LegacyDec
				}{
					{split.VerificationPool, p.VerificationShare},
					{split.Validators, p.ValidatorShare},
					{split.Community, p.CommunityShare},
					{split.Burned, p.BurnShare},
				} {
					require.True(t, part.got.IsValid() || part.got.Empty())
					for _, c := range fee {
						require.Equal(t, truncShare(c.Amount, part.share).String(), part.got.AmountOf(c.Denom).String(),
							"denom %s share %s", c.Denom, part.share)
					}
					others = others.Add(part.got...)
				}
				require.Equal(t, fee.Sub(others...), split.Provider, "provider gets fee minus the truncated others")
				for _, c := range fee {
					require.True(t, split.Provider.AmountOf(c.Denom).IsPositive(), "provider part of %s is positive", c.Denom)
				}
			})
		}
	}
}

func TestSplitFeeDefaultExample(t *testing.T) {
	fee := sdk.NewCoins(sdk.NewInt64Coin("stake", 999999))
	split := types.SplitFee(fee, types.DefaultParams())
	require.Equal(t, "99999stake", split.VerificationPool.String())
	require.Equal(t, "49999stake", split.Validators.String())
	require.Equal(t, "49999stake", split.Community.String())
	require.True(t, split.Burned.Empty())
	require.Equal(t, "800002stake", split.Provider.String())
}
