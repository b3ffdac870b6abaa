package keeper

import (
	"context"
	"fmt"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/internal/store"
)

// GetBondedHeight returns the height at which the validator valoper was first bonded,
// and whether one is recorded.
func (k Keeper) GetBondedHeight(ctx context.Context, valoper string) (int64, bool, error) {
	return store.Find[string, int64](ctx, k.BondedHeights, valoper)
}

// recordBonded stores h as valoper's first bonded height unless one is recorded: the
// grace period counts from the first bonding and is not renewed by unbonding and
// bonding again.
func (k Keeper) recordBonded(ctx context.Context, valoper string, h int64) error {
	has, err := k.BondedHeights.Has(ctx, valoper)
	if err != nil || has {
		return err
	}
	return k.BondedHeights.Set(ctx, valoper, h)
}

// GraceEnd is the last height at which a validator first bonded at bondedHeight may
// propose without a VRF proof while require_vrf is on and it has no registered key.
func GraceEnd(bondedHeight int64, graceBlocks uint64) int64 {
	return height.Plus(max(bondedHeight, 0), graceBlocks)
}

// WeakProposalError tells whether a block at height h whose beacon entry carries no
// proof is acceptable from the proposer described by info under params: nil when it
// is, otherwise an error that says why not and what the validator must do.
//
//   - require_vrf off: always acceptable (dev chains).
//   - a proposer unknown to staking: acceptable (CometBFT only lets validators propose;
//     the beacon is weak and counted).
//   - a proposer with a registered key: never acceptable.
//   - a proposer without a key: acceptable up to GraceEnd(first bonded height,
//     vrf_grace_blocks); when no bonded height is recorded (state from before the rule)
//     the grace period starts with this block (ApplyBlock records it).
func WeakProposalError(params types.Params, info ProposerInfo, h int64) error {
	switch {
	case !params.RequireVrf, info.Valoper == "":
		return nil
	case info.HasKey:
		return fmt.Errorf("%w: proposer %s has a registered VRF key and require_vrf is on, but the entry has no proof",
			types.ErrInvalidEntry, info.Valoper)
	case !info.HasBondedHeight:
		return nil
	}
	end := GraceEnd(info.BondedHeight, params.VrfGraceBlocks)
	if h <= end {
		return nil
	}
	return fmt.Errorf("%w: proposer %s has no registered VRF key, and its grace period of %d blocks since it was first bonded at height %d ended at height %d (require_vrf is on); its operator must run `sovrad vrf init` on the node and `sovrad tx beacon register-vrf-key`",
		types.ErrVRFKeyRequired, info.Valoper, params.VrfGraceBlocks, info.BondedHeight, end)
}

// HasAnyVRFKey tells whether at least one validator has registered a VRF key.
func (k Keeper) HasAnyVRFKey(ctx context.Context) (bool, error) {
	it, err := k.VRFKeys.Iterate(ctx, nil)
	if err != nil {
		return false, err
	}
	defer it.Close()
	return it.Valid(), nil
}

// WeakBeaconsUsable tells whether a weak beacon may stand in for randomness: only on a
// chain where require_vrf is off and no validator has registered a VRF key (a dev
// chain, which has no unpredictable randomness at all). On every other chain a weak
// beacon, which anyone can compute in advance, must never decide anything alone.
func (k Keeper) WeakBeaconsUsable(ctx context.Context) (bool, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return false, err
	}
	if params.RequireVrf {
		return false, nil
	}
	anyKey, err := k.HasAnyVRFKey(ctx)
	if err != nil {
		return false, err
	}
	return !anyKey, nil
}

// Randomness is the randomness of height h for consumers whose decisions must not be
// predictable (job assignment, audit decisions, verifier draws). It returns:
//
//   - beacon(h).output and ok=true when beacon(h) is a VRF beacon;
//   - ok=false (and no output) when beacon(h) is weak and weak beacons are not usable
//     (WeakBeaconsUsable: require_vrf is on or some validator has a key). The consumer
//     must then defer its decision to a later height, never skip it nor take it on the
//     weak value: the weak output is a hash of the previous beacon that anyone computes
//     before the block exists, so a decision taken on it can be predicted and aimed at;
//   - the weak output and ok=true on a dev chain (require_vrf off and no key at all);
//   - types.ErrBeaconNotFound (wrapped) when beacon(h) is not stored (pruned, or h is
//     not produced yet), and store errors as they are.
//
// Deferring is bounded: while require_vrf is on, only validators in their grace period
// (vrf_grace_blocks after they were first bonded, with no key) can make weak blocks.
func (k Keeper) Randomness(ctx context.Context, h int64) (out []byte, ok bool, err error) {
	b, err := k.GetBeacon(ctx, h)
	if err != nil {
		return nil, false, err
	}
	if !b.Weak {
		return b.Output, true, nil
	}
	usable, err := k.WeakBeaconsUsable(ctx)
	if err != nil || !usable {
		return nil, false, err
	}
	return b.Output, true, nil
}
