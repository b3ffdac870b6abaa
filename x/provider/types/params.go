package types

import (
	"fmt"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Default parameter values.
const (
	DefaultBondDenom       = "usovra"
	DefaultUnbondingPeriod = uint64(100)
	DefaultMaxMisses       = uint32(3)
	DefaultJailBlocks      = uint64(100)
	DefaultMaxModels       = uint32(16)
)

// DefaultMinBond is 1 SOVRA.
var DefaultMinBond = sdk.NewCoin(DefaultBondDenom, math.NewInt(1_000_000))

// DefaultParams returns the default provider registry parameters.
func DefaultParams() Params {
	return Params{
		MinBond:         DefaultMinBond,
		UnbondingPeriod: DefaultUnbondingPeriod,
		MaxMisses:       DefaultMaxMisses,
		JailBlocks:      DefaultJailBlocks,
		MaxModels:       DefaultMaxModels,
	}
}

// Validate checks every parameter.
func (p Params) Validate() error {
	if err := p.MinBond.Validate(); err != nil {
		return fmt.Errorf("min_bond: %w", err)
	}
	if !p.MinBond.Amount.IsPositive() {
		return fmt.Errorf("min_bond must be positive, got %s", p.MinBond)
	}
	if p.UnbondingPeriod == 0 {
		return fmt.Errorf("unbonding_period must be > 0")
	}
	if p.MaxMisses == 0 {
		return fmt.Errorf("max_misses must be > 0")
	}
	if p.JailBlocks == 0 {
		return fmt.Errorf("jail_blocks must be > 0")
	}
	if p.MaxModels == 0 {
		return fmt.Errorf("max_models must be > 0")
	}
	return nil
}
