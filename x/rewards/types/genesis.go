package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultGenesis has default params and no accruals.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), Accruals: []Accrual{}}
}

// Validate checks the params and that every accrual has a valid address, a known source, a positive
// valid amount and appears once per (address, source).
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	seen := make(map[string]struct{}, len(gs.Accruals))
	for i, a := range gs.Accruals {
		if err := a.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "accrual %d: %s", i, err)
		}
		addr, _ := sdk.AccAddressFromBech32(a.Address) // checked by a.Validate
		key := string(addr) + "/" + a.Source
		if _, dup := seen[key]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate accrual for %s from %q", a.Address, a.Source)
		}
		seen[key] = struct{}{}
	}
	return nil
}

// Validate checks one accrual statelessly.
func (a Accrual) Validate() error {
	if _, err := sdk.AccAddressFromBech32(a.Address); err != nil {
		return errorsmod.Wrapf(err, "address %q", a.Address)
	}
	if !ValidSource(a.Source) {
		return errorsmod.Wrapf(ErrInvalidSource, "%q", a.Source)
	}
	if !a.Amount.IsValid() || a.Amount.IsZero() {
		return errorsmod.Wrapf(ErrInvalidAmount, "amount %q must be valid and positive", a.Amount)
	}
	return nil
}
