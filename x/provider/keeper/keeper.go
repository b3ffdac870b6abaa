package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/event"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"
	"google.golang.org/protobuf/runtime/protoiface"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// Keeper of the provider registry. The whole state is the collections schema below.
type Keeper struct {
	// events emits the module's typed events (proto/sovra/provider/v1/events.proto).
	events       event.Service
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	addressCodec address.Codec
	authority    string
	bank         types.BankKeeper
	accounts     types.AccountKeeper
	// indexes writes every entry derived from a provider (provider_indexes.go): the
	// worker, model and price indexes, the lowest prices and the weight trees below.
	indexes providerIndexes

	Schema collections.Schema
	Params collections.Item[types.Params]
	Models collections.Map[string, types.Model]
	// Providers by operator, with the unique worker index.
	Providers collections.Map[sdk.AccAddress, types.Provider]
	// ProviderByWorker maps a worker address to its provider's operator (one worker, one
	// provider). Kept by providerIndexes rather than as an IndexedMap index: a provider is
	// rewritten for every job it takes or finishes, and an IndexedMap would reread it and
	// rewrite this entry each time, though the worker almost never changes.
	ProviderByWorker collections.Map[sdk.AccAddress, sdk.AccAddress]
	// ModelProviders is the (model, operator) index of every provider serving a model.
	ModelProviders collections.KeySet[collections.Pair[string, sdk.AccAddress]]
	// PriceIndex orders the ACTIVE providers of a model by price: (model, 32-byte
	// big-endian price, operator).
	PriceIndex collections.KeySet[collections.Triple[string, []byte, sdk.AccAddress]]
	// MinPrices caches the first PriceIndex entry of each model: every job submission
	// reads it, while it changes only when a provider's listing does.
	MinPrices collections.Map[string, math.Int]
	// FreePriceIndex orders the providers of a model that can take a job now (draw weight:
	// eligible with a free slot) by price, like PriceIndex: x/task reads its first entry
	// to leave waiting jobs that bid below every free provider's price untouched.
	FreePriceIndex collections.KeySet[collections.Triple[string, []byte, sdk.AccAddress]]
	// UnbondingQueue holds (completion height, operator); the EndBlocker drains due entries.
	UnbondingQueue collections.KeySet[collections.Pair[int64, sdk.AccAddress]]
	// TotalBond is the running sum of all bonds (what the module account must hold).
	TotalBond collections.Item[math.Int]
	// Departed remembers, for unbonding_period blocks, the operators whose unbonding
	// completed (operator → height the entry expires), so that RecordAudit can tell a
	// provider that left from an address that never was one. DepartedQueue holds
	// (expiry height, operator); the EndBlocker drains due entries. Not exported in genesis.
	Departed      collections.Map[sdk.AccAddress, int64]
	DepartedQueue collections.KeySet[collections.Pair[int64, sdk.AccAddress]]

	// Per-model Fenwick tree of draw weights (package weighttree, stored by
	// weight_trees.go): meta, slot of (model, operator), operator of (model, slot), weight
	// of (model, slot), the tree nodes stored in pages of 15 (model, band, block), and a
	// stack of freed slots (model, i) → slot.
	TreeMeta      collections.Map[string, TreeMeta]
	TreeSlot      collections.Map[collections.Pair[string, sdk.AccAddress], uint64]
	TreeSlotOwner collections.Map[collections.Pair[string, uint64], sdk.AccAddress]
	TreeWeight    collections.Map[collections.Pair[string, uint64], math.Int]
	TreePages     collections.Map[collections.Triple[string, uint32, uint64], []byte]
	TreeFreeSlots collections.Map[collections.Pair[string, uint64], uint64]
}

// NewKeeper builds the keeper. authority is the address allowed to register models and
// update params (the gov module account).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	eventService event.Service,
	addressCodec address.Codec,
	authority string,
	bank types.BankKeeper,
	accounts types.AccountKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("x/%s: invalid authority address %q: %s", types.ModuleName, authority, err))
	}
	if accounts.GetModuleAddress(types.ModuleName) == nil {
		panic(fmt.Sprintf("x/%s: module account has not been set", types.ModuleName))
	}

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		events:       eventService,
		cdc:          cdc,
		storeService: storeService,
		addressCodec: addressCodec,
		authority:    authority,
		bank:         bank,
		accounts:     accounts,

		Params: collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Models: collections.NewMap(sb, types.ModelsKey, "models", collections.StringKey, codec.CollValue[types.Model](cdc)),
		Providers: collections.NewMap(sb, types.ProvidersKey, "providers", sdk.AccAddressKey,
			codec.CollValue[types.Provider](cdc)),
		ProviderByWorker: collections.NewMap(sb, types.ProviderWorkerKey, "providers_by_worker",
			sdk.AccAddressKey, collcodec.KeyToValueCodec(sdk.AccAddressKey)),
		ModelProviders: collections.NewKeySet(sb, types.ModelProvidersKey, "model_providers",
			collections.PairKeyCodec(collections.StringKey, sdk.AccAddressKey)),
		PriceIndex: collections.NewKeySet(sb, types.PriceIndexKey, "price_index",
			collections.TripleKeyCodec(collections.StringKey, collections.BytesKey, sdk.AccAddressKey)),
		MinPrices: collections.NewMap(sb, types.MinPriceKey, "min_prices", collections.StringKey, sdk.IntValue),
		FreePriceIndex: collections.NewKeySet(sb, types.FreePriceIndexKey, "free_price_index",
			collections.TripleKeyCodec(collections.StringKey, collections.BytesKey, sdk.AccAddressKey)),
		UnbondingQueue: collections.NewKeySet(sb, types.UnbondingQueueKey, "unbonding_queue",
			collections.PairKeyCodec(collections.Int64Key, sdk.AccAddressKey)),
		TotalBond: collections.NewItem(sb, types.TotalBondedKey, "total_bond", sdk.IntValue),
		Departed:  collections.NewMap(sb, types.DepartedKey, "departed", sdk.AccAddressKey, collections.Int64Value),
		DepartedQueue: collections.NewKeySet(sb, types.DepartedQueueKey, "departed_queue",
			collections.PairKeyCodec(collections.Int64Key, sdk.AccAddressKey)),

		TreeMeta: collections.NewMap(sb, types.TreeMetaKey, "tree_meta", collections.StringKey, treeMetaValue{}),
		TreeSlot: collections.NewMap(sb, types.TreeSlotKey, "tree_slot",
			collections.PairKeyCodec(collections.StringKey, sdk.AccAddressKey), collections.Uint64Value),
		TreeSlotOwner: collections.NewMap(sb, types.TreeSlotOwnerKey, "tree_slot_owner",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), collcodecAccAddressValue),
		TreeWeight: collections.NewMap(sb, types.TreeWeightKey, "tree_weight",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), sdk.IntValue),
		TreePages: collections.NewMap(sb, types.TreePageKey, "tree_pages",
			collections.TripleKeyCodec(collections.StringKey, collections.Uint32Key, collections.Uint64Key),
			collections.BytesValue),
		TreeFreeSlots: collections.NewMap(sb, types.TreeFreeSlotsKey, "tree_free_slots",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), collections.Uint64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	k.indexes = newProviderIndexes(k)
	return k
}

// GetAuthority returns the address allowed to register models and update params.
func (k Keeper) GetAuthority() string { return k.authority }

// Logger returns the module logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// ModuleAddress is the address of the module account holding the bonds.
func (k Keeper) ModuleAddress() sdk.AccAddress { return k.accounts.GetModuleAddress(types.ModuleName) }

// emit emits a typed event through the event service.
func (k Keeper) emit(ctx context.Context, ev protoiface.MessageV1) error {
	return k.events.EventManager(ctx).Emit(ctx, ev)
}
