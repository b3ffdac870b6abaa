package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// maxPrunePerBlock bounds the beacons deleted in one block. Normally exactly one is
// due; after governance shrinks history_window the backlog drains over a few blocks.
const maxPrunePerBlock = 64

// ChainID returns the chain id of ctx. At the initial height the SDK clears the block
// header of the PrepareProposal/ProcessProposal contexts and only the header info
// carries the chain id, so prefer that.
func ChainID(ctx sdk.Context) string {
	if id := ctx.HeaderInfo().ChainID; id != "" {
		return id
	}
	return ctx.ChainID()
}

// PreviousOutput returns the output of beacon(height-1), or vrf.GenesisSeed(chainID)
// when that beacon is not stored (the first height of the chain).
func (k Keeper) PreviousOutput(ctx context.Context, chainID string, height int64) ([]byte, error) {
	prev, err := k.Beacons.Get(ctx, height-1)
	switch {
	case err == nil:
		return prev.Output, nil
	case errors.Is(err, collections.ErrNotFound):
		return vrf.GenesisSeed(chainID), nil
	default:
		return nil, err
	}
}

// BeaconAlpha returns the VRF input of beacon(height): vrf.BeaconInput(chainID,
// height, beacon(height-1)). The proposer proves over it and every node verifies it.
func (k Keeper) BeaconAlpha(ctx context.Context, chainID string, height int64) ([]byte, error) {
	prev, err := k.PreviousOutput(ctx, chainID, height)
	if err != nil {
		return nil, err
	}
	return vrf.BeaconInput(chainID, height, prev), nil
}

// ProposerInfo is the validator behind a block proposer and its VRF key.
type ProposerInfo struct {
	// Valoper is the operator address, empty when staking does not know the proposer.
	Valoper string
	Key     types.VRFKey
	HasKey  bool
	// BondedHeight is the height at which the validator was first bonded, read only
	// when it has no key (HasBondedHeight false otherwise, or when none is recorded).
	BondedHeight    int64
	HasBondedHeight bool
}

// ProposerKey resolves a proposer's consensus address to its validator and VRF key,
// using the keeper's staking keeper. An unknown proposer is not an error (it gets a
// weak beacon); only store failures are.
func (k Keeper) ProposerKey(ctx context.Context, proposer sdk.ConsAddress) (ProposerInfo, error) {
	return k.ResolveProposer(ctx, k.stakingKeeper, proposer)
}

// ResolveProposer is ProposerKey with an explicit staking keeper. The proposal
// handlers and ApplyBlock share it, so they always agree on the proposer's key.
func (k Keeper) ResolveProposer(ctx context.Context, sk types.StakingKeeper, proposer sdk.ConsAddress) (ProposerInfo, error) {
	if len(proposer) == 0 || sk == nil {
		return ProposerInfo{}, nil
	}
	val, err := sk.GetValidatorByConsAddr(ctx, proposer)
	if err != nil {
		k.Logger(ctx).Debug("beacon: proposer is not a known validator", "proposer", proposer.String(), "err", err)
		return ProposerInfo{}, nil
	}
	info := ProposerInfo{Valoper: val.GetOperator()}
	key, found, err := k.GetVRFKey(ctx, info.Valoper)
	if err != nil {
		return ProposerInfo{}, err
	}
	info.Key, info.HasKey = key, found
	if !found {
		if info.BondedHeight, info.HasBondedHeight, err = k.GetBondedHeight(ctx, info.Valoper); err != nil {
			return ProposerInfo{}, err
		}
	}
	return info, nil
}

// ApplyBlock stores beacon(H) for the block being finalized. The app's PreBlocker
// (abci.PreBlockHandler) calls it at every height, with the block's txs and proposer.
// txs[0] should be the proposer's beacon entry; when it is missing, malformed, for
// another height, or its proof does not verify under the proposer's registered key,
// beacon(H) is the weak hash chain value instead. Only store failures return an error: bad input from
// a proposer must never halt the chain.
func (k Keeper) ApplyBlock(ctx sdk.Context, txs [][]byte, proposer sdk.ConsAddress) error {
	height := ctx.BlockHeight()
	if height < 1 {
		k.Logger(ctx).Error("beacon: ApplyBlock called without a block height; skipping", "height", height)
		return nil
	}
	chainID := ChainID(ctx)
	params, err := k.GetParams(ctx)
	if err != nil {
		return fmt.Errorf("beacon: read params: %w", err)
	}
	prev, err := k.PreviousOutput(ctx, chainID, height)
	if err != nil {
		return fmt.Errorf("beacon: read beacon %d: %w", height-1, err)
	}
	info, err := k.ProposerKey(ctx, proposer)
	if err != nil {
		return fmt.Errorf("beacon: read proposer key: %w", err)
	}

	beacon, weakReason := computeBeacon(chainID, height, prev, txs, info)
	if beacon.Weak {
		logf := k.Logger(ctx).Debug
		if info.HasKey {
			logf = k.Logger(ctx).Info // a keyed proposer should have proven
		}
		logf("beacon: weak beacon", "height", height, "proposer", info.Valoper, "reason", weakReason)
	}

	if err := k.Beacons.Set(ctx, height, beacon); err != nil {
		return fmt.Errorf("beacon: store beacon %d: %w", height, err)
	}
	if info.Valoper != "" && !info.HasKey && !info.HasBondedHeight {
		// A keyless proposer whose bonding was never recorded (state from before the
		// grace rule): its grace period starts at its first proposal.
		if err := k.BondedHeights.Set(ctx, info.Valoper, height); err != nil {
			return fmt.Errorf("beacon: record bonded height of %s: %w", info.Valoper, err)
		}
	}
	if err := k.countBeacon(ctx, beacon); err != nil {
		return err
	}
	if err := k.prune(ctx, height, params.HistoryWindow); err != nil {
		return err
	}

	return k.emit(ctx, &types.EventBeacon{
		Height: height, Output: beacon.Output, Proposer: beacon.Proposer, Weak: beacon.Weak, WeakReason: weakReason,
	})
}

// computeBeacon derives beacon(height) from the block's txs. It is pure and never
// panics; any unexpected failure yields the weak beacon.
func computeBeacon(chainID string, height int64, prev []byte, txs [][]byte, info ProposerInfo) (b types.Beacon, weakReason string) {
	weak := func(reason string) (types.Beacon, string) {
		return types.Beacon{
			Height:   height,
			Output:   vrf.WeakOutput(chainID, height, prev),
			Proposer: info.Valoper,
			Weak:     true,
		}, reason
	}
	defer func() {
		if r := recover(); r != nil {
			b, weakReason = weak(fmt.Sprintf("internal error: %v", r))
		}
	}()

	switch {
	case len(txs) == 0 || !types.IsEntry(txs[0]):
		return weak("no beacon entry at index 0")
	case info.Valoper == "":
		return weak("proposer is not a known validator")
	case !info.HasKey:
		return weak("proposer has no registered VRF key")
	}
	entry, err := types.DecodeEntry(txs[0])
	if err != nil {
		return weak(err.Error())
	}
	if entry.Height != height {
		return weak(fmt.Sprintf("entry is for height %d", entry.Height))
	}
	if len(entry.Proof) == 0 {
		return weak("entry has no proof")
	}
	output, ok := vrf.Verify(info.Key.PubKey, entry.Proof, vrf.BeaconInput(chainID, height, prev))
	if !ok {
		return weak("proof does not verify under the proposer's key")
	}
	return types.Beacon{
		Height:   height,
		Output:   output,
		Proposer: info.Valoper,
		Proof:    entry.Proof,
	}, ""
}

func (k Keeper) countBeacon(ctx context.Context, b types.Beacon) error {
	stats, err := k.GetStats(ctx)
	if err != nil {
		return fmt.Errorf("beacon: read stats: %w", err)
	}
	if b.Weak {
		stats.WeakHeights++
		stats.LastWeakHeight = b.Height
	} else {
		stats.VrfHeights++
	}
	if err := k.Stats.Set(ctx, stats); err != nil {
		return fmt.Errorf("beacon: store stats: %w", err)
	}
	return nil
}

// prune deletes beacons at heights <= height - window (at most maxPrunePerBlock).
func (k Keeper) prune(ctx context.Context, height int64, window uint64) error {
	if window == 0 || height <= 0 || window >= uint64(height) {
		return nil
	}
	cutoff := height - int64(window) //nolint:gosec // G115: window < height, a positive int64; heights <= cutoff are deleted
	it, err := k.Beacons.Iterate(ctx, new(collections.Range[int64]).EndInclusive(cutoff))
	if err != nil {
		return fmt.Errorf("beacon: prune: %w", err)
	}
	var stale []int64
	for ; it.Valid() && len(stale) < maxPrunePerBlock; it.Next() {
		h, err := it.Key()
		if err != nil {
			it.Close()
			return fmt.Errorf("beacon: prune: %w", err)
		}
		stale = append(stale, h)
	}
	it.Close()
	for _, h := range stale {
		if err := k.Beacons.Remove(ctx, h); err != nil {
			return fmt.Errorf("beacon: prune %d: %w", h, err)
		}
	}
	return nil
}
