package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultGenesis returns the default genesis: default params, no models, no providers.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis state as a whole: params, unique valid models, and providers
// that reference known models, use the bond denom and have unique operator and worker keys.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return ErrInvalidParams.Wrapf("genesis params: %s", err)
	}
	models := make(map[string]struct{}, len(gs.Models))
	for _, m := range gs.Models {
		if err := m.Validate(); err != nil {
			return errorsmod.Wrap(err, "genesis model")
		}
		if _, dup := models[m.Id]; dup {
			return ErrInvalidGenesis.Wrapf("duplicate model %s", m.Id)
		}
		models[m.Id] = struct{}{}
	}
	operators := make(map[string]struct{}, len(gs.Providers))
	workers := make(map[string]struct{}, len(gs.Providers))
	for i, p := range gs.Providers {
		if err := validateGenesisProvider(gs.Params, models, p); err != nil {
			return errorsmod.Wrapf(err, "genesis provider %d (%s)", i, p.Operator)
		}
		if _, dup := operators[p.Operator]; dup {
			return ErrInvalidGenesis.Wrapf("duplicate provider %s", p.Operator)
		}
		operators[p.Operator] = struct{}{}
		if _, dup := workers[p.Worker]; dup {
			return ErrInvalidGenesis.Wrapf("worker %s used by two providers", p.Worker)
		}
		workers[p.Worker] = struct{}{}
	}
	return nil
}

func validateGenesisProvider(params Params, models map[string]struct{}, p Provider) error {
	if _, err := sdk.AccAddressFromBech32(p.Operator); err != nil {
		return ErrInvalidGenesis.Wrapf("operator: %s", err)
	}
	if _, err := sdk.AccAddressFromBech32(p.Worker); err != nil {
		return ErrInvalidGenesis.Wrapf("worker: %s", err)
	}
	if err := ValidateModelList(p.Models); err != nil {
		return err
	}
	// A provider may serve more than max_models: governance may lower it below what a
	// provider registered with (it keeps its models, and cannot add any), and the chain
	// exports that state. The list is bounded by the registered models: each is one, once.
	for _, id := range p.Models {
		if _, ok := models[id]; !ok {
			return ErrUnknownModel.Wrapf("model %s is not registered", id)
		}
	}
	bondDenom := params.MinBond.Denom
	// A bond may be zero (or below min_bond): a slash can take all of it.
	if err := p.Bond.Validate(); err != nil {
		return ErrInvalidBond.Wrapf("bond: %s", err)
	}
	if p.Bond.Denom != bondDenom {
		return ErrInvalidBond.Wrapf("bond denom %s, expected %s", p.Bond.Denom, bondDenom)
	}
	if err := ValidatePrice(p.PricePerToken); err != nil {
		return err
	}
	if p.PricePerToken.Denom != bondDenom {
		return ErrInvalidPrice.Wrapf("price denom %s, expected %s", p.PricePerToken.Denom, bondDenom)
	}
	if err := ValidateProfile(p.Profile); err != nil {
		return err
	}
	if err := ValidateEndpoint(p.Endpoint); err != nil {
		return err
	}
	if err := ValidateHardware(p.Hardware); err != nil {
		return err
	}
	if p.MaxJobs == 0 || p.MaxJobs > MaxMaxJobs {
		return ErrInvalidProvider.Wrapf("max_jobs must be 1-%d, got %d", MaxMaxJobs, p.MaxJobs)
	}
	if locked := p.LockedAmount(); locked.IsNegative() || locked.GT(p.Bond.Amount) {
		return ErrInvalidProvider.Wrapf("locked %s must be between 0 and the bond %s", locked, p.Bond.Amount)
	}
	// active_jobs may exceed max_jobs: a provider may lower its capacity while jobs run
	// (it takes no new one until it is under the new max), and the chain exports that state.
	if p.ActiveJobs > MaxMaxJobs {
		return ErrInvalidProvider.Wrapf("active_jobs %d above the most any provider may run (%d)", p.ActiveJobs, MaxMaxJobs)
	}
	switch p.Status {
	case PROVIDER_STATUS_ACTIVE, PROVIDER_STATUS_JAILED:
	case PROVIDER_STATUS_UNBONDING:
		if p.UnbondingHeight <= 0 {
			return ErrInvalidProvider.Wrap("unbonding provider without unbonding_height")
		}
	default:
		return ErrInvalidProvider.Wrapf("status %s", p.Status)
	}
	return nil
}
