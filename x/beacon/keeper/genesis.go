package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// InitGenesis loads the genesis state. Every VRF key must come with a proof of
// possession over vrf.PossessionInput(chainID, validator) for this chain's id.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	chainID := ChainID(sdk.UnwrapSDKContext(ctx))
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for i, key := range gs.VrfKeys {
		proof := gs.VrfKeyProofs[i]
		if _, ok := vrf.Verify(key.PubKey, proof, vrf.PossessionInput(chainID, key.Validator)); !ok {
			return fmt.Errorf("%w: vrf_keys[%d] (%s): %w for chain id %q (was the proof made for another chain id?)",
				types.ErrInvalidGenesis, i, key.Validator, types.ErrInvalidProof, chainID)
		}
		if err := k.SetVRFKey(ctx, key, proof); err != nil {
			return fmt.Errorf("%w: vrf_keys[%d]: %w", types.ErrInvalidGenesis, i, err)
		}
	}
	for _, b := range gs.Beacons {
		if err := k.Beacons.Set(ctx, b.Height, b); err != nil {
			return err
		}
	}
	for _, b := range gs.BondedHeights {
		if err := k.BondedHeights.Set(ctx, b.Validator, b.Height); err != nil {
			return err
		}
	}
	if err := k.recordGenesisBonded(ctx); err != nil {
		return err
	}
	return k.Stats.Set(ctx, gs.Stats)
}

// recordGenesisBonded starts the grace period of every validator bonded at genesis that
// has no recorded bonded height (staking's InitGenesis calls no bonding hook for
// validators that are bonded in its genesis; gentx validators were recorded by the hook
// when genutil bonded them): they count from genesis. x/beacon's InitGenesis runs after
// staking's and genutil's.
func (k Keeper) recordGenesisBonded(ctx context.Context) error {
	if k.stakingKeeper == nil {
		return nil
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	var valopers []string
	if err := k.stakingKeeper.IterateBondedValidatorsByPower(ctx, func(_ int64, v stakingtypes.ValidatorI) bool {
		valopers = append(valopers, v.GetOperator())
		return false
	}); err != nil {
		return fmt.Errorf("beacon genesis: read the bonded validators: %w", err)
	}
	for _, valoper := range valopers {
		if err := k.recordBonded(ctx, valoper, h); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis exports params, keys with their proofs, the kept beacons and stats.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := k.GetAllVRFKeys(ctx)
	if err != nil {
		return nil, err
	}
	proofs := make([][]byte, len(keys))
	for i, key := range keys {
		if proofs[i], err = k.VRFKeyProofs.Get(ctx, key.Validator); err != nil {
			return nil, fmt.Errorf("proof of possession of %s: %w", key.Validator, err)
		}
	}
	var beacons []types.Beacon
	if err := k.Beacons.Walk(ctx, nil, func(_ int64, b types.Beacon) (bool, error) {
		beacons = append(beacons, b)
		return false, nil
	}); err != nil {
		return nil, err
	}
	stats, err := k.GetStats(ctx)
	if err != nil {
		return nil, err
	}
	var bonded []types.BondedHeight
	if err := k.BondedHeights.Walk(ctx, nil, func(valoper string, h int64) (bool, error) {
		bonded = append(bonded, types.BondedHeight{Validator: valoper, Height: h})
		return false, nil
	}); err != nil {
		return nil, err
	}
	return &types.GenesisState{
		Params:        params,
		VrfKeys:       keys,
		VrfKeyProofs:  proofs,
		Beacons:       beacons,
		Stats:         stats,
		BondedHeights: bonded,
	}, nil
}
