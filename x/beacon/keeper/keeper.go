// Package keeper holds the beacon module's state and the logic that turns each block's
// beacon entry into the stored randomness beacon(H).
package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/event"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"
	"google.golang.org/protobuf/runtime/protoiface"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/internal/store"
)

// VRFKeyIndexes are the secondary indexes of VRFKeys: each public key belongs to at
// most one validator.
type VRFKeyIndexes struct {
	PubKey *indexes.Unique[[]byte, string, types.VRFKey]
}

// IndexesList implements collections.Indexes.
func (i VRFKeyIndexes) IndexesList() []collections.Index[string, types.VRFKey] {
	return []collections.Index[string, types.VRFKey]{i.PubKey}
}

// Keeper of the beacon module.
type Keeper struct {
	// events emits the module's typed events (proto/sovra/beacon/v1/events.proto).
	events        event.Service
	cdc           codec.BinaryCodec
	storeService  corestore.KVStoreService
	addressCodec  address.Codec
	authority     string
	stakingKeeper types.StakingKeeper

	Schema collections.Schema
	Params collections.Item[types.Params]
	// Beacons maps a height to its beacon; only the last history_window are kept.
	Beacons collections.Map[int64, types.Beacon]
	// VRFKeys maps a validator operator address (sovravaloper...) to its VRF key.
	VRFKeys *collections.IndexedMap[string, types.VRFKey, VRFKeyIndexes]
	// VRFKeyProofs keeps each key's proof of possession so genesis can be exported and
	// re-imported (InitGenesis verifies every proof).
	VRFKeyProofs collections.Map[string, []byte]
	Stats        collections.Item[types.Stats]
	// BondedHeights maps a validator operator address to the height at which it was
	// first bonded (staking hook AfterValidatorBonded, or genesis); the VRF grace period
	// counts from it. Removed with the validator.
	BondedHeights collections.Map[string, int64]
}

// NewKeeper builds the keeper. authority is the address allowed to update params
// (the gov module account).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	eventService event.Service,
	addressCodec address.Codec,
	authority string,
	stakingKeeper types.StakingKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("x/%s: invalid authority address %q: %s", types.ModuleName, authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		events:        eventService,
		cdc:           cdc,
		storeService:  storeService,
		addressCodec:  addressCodec,
		authority:     authority,
		stakingKeeper: stakingKeeper,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Beacons: collections.NewMap(sb, types.BeaconsKey, "beacons",
			collections.Int64Key, codec.CollValue[types.Beacon](cdc)),
		VRFKeys: collections.NewIndexedMap(sb, types.VRFKeysKey, "vrf_keys",
			collections.StringKey, codec.CollValue[types.VRFKey](cdc),
			VRFKeyIndexes{
				PubKey: indexes.NewUnique(sb, types.VRFKeysByPubKeyKey, "vrf_keys_by_pub_key",
					collections.BytesKey, collections.StringKey,
					func(_ string, v types.VRFKey) ([]byte, error) { return v.PubKey, nil }),
			}),
		VRFKeyProofs: collections.NewMap(sb, types.VRFKeyProofsKey, "vrf_key_proofs",
			collections.StringKey, collections.BytesValue),
		Stats: collections.NewItem(sb, types.StatsKey, "stats", codec.CollValue[types.Stats](cdc)),
		BondedHeights: collections.NewMap(sb, types.BondedHeightsKey, "bonded_heights",
			collections.StringKey, collections.Int64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the address allowed to update params.
func (k Keeper) GetAuthority() string { return k.authority }

// Logger returns the module logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// GetParams returns the params, or the defaults when none are stored (so block
// processing never fails on a missing params record).
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	p, err := k.Params.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return types.DefaultParams(), nil
	}
	return p, err
}

// GetStats returns the beacon counters (zero when none are stored).
func (k Keeper) GetStats(ctx context.Context) (types.Stats, error) {
	s, err := k.Stats.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Stats{}, nil
	}
	return s, err
}

// GetBeacon returns the beacon stored for height, or types.ErrBeaconNotFound.
func (k Keeper) GetBeacon(ctx context.Context, height int64) (types.Beacon, error) {
	b, err := k.Beacons.Get(ctx, height)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Beacon{}, fmt.Errorf("%w: height %d", types.ErrBeaconNotFound, height)
	}
	return b, err
}

// LatestBeacon returns the beacon of the highest stored height, or types.ErrBeaconNotFound.
func (k Keeper) LatestBeacon(ctx context.Context) (types.Beacon, error) {
	it, err := k.Beacons.Iterate(ctx, new(collections.Range[int64]).Descending())
	if err != nil {
		return types.Beacon{}, err
	}
	defer it.Close()
	if !it.Valid() {
		return types.Beacon{}, fmt.Errorf("%w: no beacon has been produced yet", types.ErrBeaconNotFound)
	}
	return it.Value()
}

// GetVRFKey returns the VRF key registered for a validator operator address.
func (k Keeper) GetVRFKey(ctx context.Context, valoper string) (types.VRFKey, bool, error) {
	return store.Find[string, types.VRFKey](ctx, k.VRFKeys, valoper)
}

// GetAllVRFKeys returns every registered key, ordered by operator address.
func (k Keeper) GetAllVRFKeys(ctx context.Context) ([]types.VRFKey, error) {
	var keys []types.VRFKey
	err := k.VRFKeys.Walk(ctx, nil, func(_ string, v types.VRFKey) (bool, error) {
		keys = append(keys, v)
		return false, nil
	})
	return keys, err
}

// SetVRFKey stores a key and its proof of possession. The caller has verified the
// proof; this enforces one key per validator and one validator per key.
func (k Keeper) SetVRFKey(ctx context.Context, key types.VRFKey, proof []byte) error {
	if has, err := k.VRFKeys.Has(ctx, key.Validator); err != nil {
		return err
	} else if has {
		return fmt.Errorf("%w: %s", types.ErrKeyAlreadyRegistered, key.Validator)
	}
	owner, err := k.VRFKeys.Indexes.PubKey.MatchExact(ctx, key.PubKey)
	switch {
	case err == nil:
		return fmt.Errorf("%w: %X belongs to %s", types.ErrDuplicatePubKey, key.PubKey, owner)
	case !errors.Is(err, collections.ErrNotFound):
		return err
	}
	if err := k.VRFKeys.Set(ctx, key.Validator, key); err != nil {
		return err
	}
	return k.VRFKeyProofs.Set(ctx, key.Validator, proof)
}

// emit emits a typed event through the event service.
func (k Keeper) emit(ctx context.Context, ev protoiface.MessageV1) error {
	return k.events.EventManager(ctx).Emit(ctx, ev)
}
