package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultGenesis has the default params and no audits.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the params and every audit: one per job, parties with valid addresses,
// a known status and round.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidGenesis, err.Error())
	}
	seen := map[uint64]bool{}
	for _, a := range gs.Audits {
		if a.JobId == 0 || seen[a.JobId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit with a zero or duplicate job id %d", a.JobId)
		}
		seen[a.JobId] = true
		if _, err := sdk.AccAddressFromBech32(a.Provider); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit %d: provider: %s", a.JobId, err)
		}
		if _, ok := AuditStatus_name[int32(a.Status)]; !ok || a.Status == AUDIT_STATUS_UNSPECIFIED {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit %d: status %d", a.JobId, a.Status)
		}
		if a.Round != 1 && a.Round != 2 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit %d: round %d", a.JobId, a.Round)
		}
		for _, v := range a.Verifiers {
			if _, err := sdk.AccAddressFromBech32(v.Operator); err != nil {
				return errorsmod.Wrapf(ErrInvalidGenesis, "audit %d: verifier: %s", a.JobId, err)
			}
			if v.Stake.IsNil() || v.Stake.IsNegative() {
				return errorsmod.Wrapf(ErrInvalidGenesis, "audit %d: verifier %s: the stake must be set and not negative", a.JobId, v.Operator)
			}
		}
	}
	return nil
}
