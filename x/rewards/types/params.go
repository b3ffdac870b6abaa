package types

import (
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
)

// DefaultParams: provider 0.80, verification pool 0.10, validators 0.05, community 0.05, burn 0.
func DefaultParams() Params {
	return Params{
		ProviderShare:     math.LegacyNewDecWithPrec(80, 2),
		VerificationShare: math.LegacyNewDecWithPrec(10, 2),
		ValidatorShare:    math.LegacyNewDecWithPrec(5, 2),
		CommunityShare:    math.LegacyNewDecWithPrec(5, 2),
		BurnShare:         math.LegacyZeroDec(),
	}
}

// Validate checks that every share is in [0,1], the provider share is positive and the five shares
// sum to exactly 1, so a split never creates or loses coins.
func (p Params) Validate() error {
	shares := []struct {
		name string
		v    math.LegacyDec
	}{
		{"provider_share", p.ProviderShare},
		{"verification_share", p.VerificationShare},
		{"validator_share", p.ValidatorShare},
		{"community_share", p.CommunityShare},
		{"burn_share", p.BurnShare},
	}
	sum := math.LegacyZeroDec()
	for _, s := range shares {
		if s.v.IsNil() {
			return errorsmod.Wrapf(ErrInvalidParams, "%s is not set", s.name)
		}
		if s.v.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidParams, "%s must not be negative, got %s", s.name, s.v)
		}
		if s.v.GT(math.LegacyOneDec()) {
			return errorsmod.Wrapf(ErrInvalidParams, "%s must be at most 1, got %s", s.name, s.v)
		}
		sum = sum.Add(s.v)
	}
	if !p.ProviderShare.IsPositive() {
		return errorsmod.Wrap(ErrInvalidParams, "provider_share must be positive")
	}
	if !sum.Equal(math.LegacyOneDec()) {
		return errorsmod.Wrap(ErrInvalidParams, fmt.Sprintf("shares must sum to exactly 1, got %s", sum))
	}
	return nil
}
