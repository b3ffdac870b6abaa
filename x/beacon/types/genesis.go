package types

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// DefaultGenesis has default params, no keys and no beacons.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate performs the stateless checks of the genesis. Proofs of possession are
// verified in InitGenesis, where the chain id is known.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if len(gs.VrfKeyProofs) != len(gs.VrfKeys) {
		return fmt.Errorf("%w: %d vrf_keys but %d vrf_key_proofs; each key needs its proof of possession, in the same order",
			ErrInvalidGenesis, len(gs.VrfKeys), len(gs.VrfKeyProofs))
	}
	validators := make(map[string]struct{}, len(gs.VrfKeys))
	pubKeys := make(map[string]struct{}, len(gs.VrfKeys))
	for i, k := range gs.VrfKeys {
		if err := ValidateVRFKey(k); err != nil {
			return fmt.Errorf("%w: vrf_keys[%d]: %w", ErrInvalidGenesis, i, err)
		}
		if _, dup := validators[k.Validator]; dup {
			return fmt.Errorf("%w: vrf_keys[%d]: validator %s has more than one key", ErrInvalidGenesis, i, k.Validator)
		}
		validators[k.Validator] = struct{}{}
		if _, dup := pubKeys[string(k.PubKey)]; dup {
			return fmt.Errorf("%w: vrf_keys[%d]: public key %X is used by two validators", ErrInvalidGenesis, i, k.PubKey)
		}
		pubKeys[string(k.PubKey)] = struct{}{}
		if len(gs.VrfKeyProofs[i]) != vrf.ProofSize {
			return fmt.Errorf("%w: vrf_key_proofs[%d] must be %d bytes, got %d", ErrInvalidGenesis, i, vrf.ProofSize, len(gs.VrfKeyProofs[i]))
		}
	}
	heights := make(map[int64]struct{}, len(gs.Beacons))
	for i, b := range gs.Beacons {
		if err := ValidateBeacon(b); err != nil {
			return fmt.Errorf("%w: beacons[%d]: %w", ErrInvalidGenesis, i, err)
		}
		if _, dup := heights[b.Height]; dup {
			return fmt.Errorf("%w: beacons[%d]: height %d appears twice", ErrInvalidGenesis, i, b.Height)
		}
		heights[b.Height] = struct{}{}
	}
	bonded := make(map[string]struct{}, len(gs.BondedHeights))
	for i, b := range gs.BondedHeights {
		if _, err := sdk.ValAddressFromBech32(b.Validator); err != nil {
			return fmt.Errorf("%w: bonded_heights[%d]: validator %q is not a validator operator address: %w", ErrInvalidGenesis, i, b.Validator, err)
		}
		if b.Height < 0 {
			return fmt.Errorf("%w: bonded_heights[%d]: height must not be negative, got %d", ErrInvalidGenesis, i, b.Height)
		}
		if _, dup := bonded[b.Validator]; dup {
			return fmt.Errorf("%w: bonded_heights[%d]: validator %s appears twice", ErrInvalidGenesis, i, b.Validator)
		}
		bonded[b.Validator] = struct{}{}
	}
	if gs.Stats.LastWeakHeight < 0 {
		return fmt.Errorf("%w: stats.last_weak_height must not be negative", ErrInvalidGenesis)
	}
	return nil
}

// ValidateVRFKey checks a stored key: a valid operator address and public key.
func ValidateVRFKey(k VRFKey) error {
	if _, err := sdk.ValAddressFromBech32(k.Validator); err != nil {
		return fmt.Errorf("validator %q is not a validator operator address: %w", k.Validator, err)
	}
	if err := vrf.ValidatePubKey(k.PubKey); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidVRFKey, err)
	}
	if k.RegisteredHeight < 0 {
		return fmt.Errorf("registered_height must not be negative")
	}
	return nil
}

// ValidateBeacon checks a stored beacon: a positive height, a 64-byte output, and a
// proof that is empty exactly when the beacon is weak.
func ValidateBeacon(b Beacon) error {
	if b.Height < 1 {
		return fmt.Errorf("height must be positive, got %d", b.Height)
	}
	if len(b.Output) != vrf.OutputSize {
		return fmt.Errorf("output must be %d bytes, got %d", vrf.OutputSize, len(b.Output))
	}
	if b.Weak && len(b.Proof) != 0 {
		return fmt.Errorf("weak beacon at height %d must not carry a proof", b.Height)
	}
	if !b.Weak && len(b.Proof) != vrf.ProofSize {
		return fmt.Errorf("VRF beacon at height %d needs a %d-byte proof, got %d", b.Height, vrf.ProofSize, len(b.Proof))
	}
	return nil
}
