package types

import (
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// FeeSplit is how one fee was divided. The five parts always add up to the fee exactly.
type FeeSplit struct {
	Provider         sdk.Coins
	VerificationPool sdk.Coins
	Validators       sdk.Coins
	Community        sdk.Coins
	Burned           sdk.Coins
}

// Add returns the part-by-part sum of two splits.
func (s FeeSplit) Add(o FeeSplit) FeeSplit {
	return FeeSplit{
		Provider:         s.Provider.Add(o.Provider...),
		VerificationPool: s.VerificationPool.Add(o.VerificationPool...),
		Validators:       s.Validators.Add(o.Validators...),
		Community:        s.Community.Add(o.Community...),
		Burned:           s.Burned.Add(o.Burned...),
	}
}

// ProviderFee is one settled job's fee and the provider it pays (x/task hands a block's
// settlements to DistributeFees as a list of these).
type ProviderFee struct {
	Provider sdk.AccAddress
	Fee      sdk.Coins
}

// Total is the sum of all parts (equal to the split fee).
func (s FeeSplit) Total() sdk.Coins {
	return sdk.NewCoins().Add(s.Provider...).Add(s.VerificationPool...).Add(s.Validators...).
		Add(s.Community...).Add(s.Burned...)
}

// SplitFee divides fee by params: every non-provider part is fee × share truncated per denom, and
// the provider gets the remainder, so nothing is created or lost to rounding. fee must be valid.
func SplitFee(fee sdk.Coins, p Params) FeeSplit {
	split := FeeSplit{
		VerificationPool: mulTruncate(fee, p.VerificationShare),
		Validators:       mulTruncate(fee, p.ValidatorShare),
		Community:        mulTruncate(fee, p.CommunityShare),
		Burned:           mulTruncate(fee, p.BurnShare),
	}
	others := sdk.NewCoins().Add(split.VerificationPool...).Add(split.Validators...).
		Add(split.Community...).Add(split.Burned...)
	// With valid params the truncated others never exceed the fee; Sub panics if that ever breaks.
	split.Provider = fee.Sub(others...)
	return split
}

// mulTruncate returns coins × share, truncated per denom, zero denoms dropped.
func mulTruncate(coins sdk.Coins, share math.LegacyDec) sdk.Coins {
	out := sdk.NewCoins()
	for _, c := range coins {
		amt := share.MulInt(c.Amount).TruncateInt()
		if amt.IsPositive() {
			out = out.Add(sdk.NewCoin(c.Denom, amt))
		}
	}
	return out
}
