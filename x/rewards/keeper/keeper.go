package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/event"
	corestore "cosmossdk.io/core/store"
	"google.golang.org/protobuf/runtime/protoiface"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// Keeper holds the rewards state: params and the unclaimed accruals per (address, source).
type Keeper struct {
	// events emits the module's typed events (proto/sovra/rewards/v1/events.proto).
	events       event.Service
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string

	accountKeeper types.AccountKeeper
	bankKeeper    types.BankKeeper
	distrKeeper   types.DistrKeeper

	// rewardsAddr and poolAddr are resolved once: module addresses never change.
	rewardsAddr sdk.AccAddress
	poolAddr    sdk.AccAddress

	// hooks is x/verify (nil: no floor on verification_share, see types.VerificationHooks).
	// The keeper holds no other in-memory state, so a keeper built with hooks and one built
	// without them over the same store service see the same state.
	hooks types.VerificationHooks

	Schema   collections.Schema
	Params   collections.Item[types.Params]
	Accruals collections.Map[collections.Pair[sdk.AccAddress, string], types.Accrual]
}

// NewKeeper builds the keeper. hooks is the audit module (x/verify), which sets the least
// verification_share UpdateParams accepts; nil accepts any valid split. It panics on an
// invalid authority or when the app did not register the rewards or verification_pool
// module accounts, both wiring mistakes.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	eventService event.Service,
	addressCodec address.Codec,
	authority string,
	accountKeeper types.AccountKeeper,
	bankKeeper types.BankKeeper,
	distrKeeper types.DistrKeeper,
	hooks types.VerificationHooks,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("x/%s: invalid authority address %q: %s", types.ModuleName, authority, err))
	}
	rewardsAddr := accountKeeper.GetModuleAddress(types.ModuleName)
	if rewardsAddr == nil {
		panic(fmt.Sprintf("x/%s: module account %q has not been set", types.ModuleName, types.ModuleName))
	}
	poolAddr := accountKeeper.GetModuleAddress(types.VerificationPoolName)
	if poolAddr == nil {
		panic(fmt.Sprintf("x/%s: module account %q has not been set", types.ModuleName, types.VerificationPoolName))
	}

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		events:        eventService,
		cdc:           cdc,
		addressCodec:  addressCodec,
		authority:     authority,
		accountKeeper: accountKeeper,
		bankKeeper:    bankKeeper,
		distrKeeper:   distrKeeper,
		rewardsAddr:   rewardsAddr,
		poolAddr:      poolAddr,
		hooks:         hooks,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Accruals: collections.NewMap(sb, types.AccrualsKey, "accruals",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.StringKey),
			codec.CollValue[types.Accrual](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the address allowed to update params (the gov module account).
func (k Keeper) GetAuthority() string { return k.authority }

// ModuleAddress is the address of the rewards module account.
func (k Keeper) ModuleAddress() sdk.AccAddress { return k.rewardsAddr }

// VerificationPoolAddress is the address of the verification_pool module account.
func (k Keeper) VerificationPoolAddress() sdk.AccAddress { return k.poolAddr }

// GetParams returns the fee split (x/verify checks its audit rate against it).
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) { return k.Params.Get(ctx) }

// emit emits a typed event through the event service.
func (k Keeper) emit(ctx context.Context, ev protoiface.MessageV1) error {
	return k.events.EventManager(ctx).Emit(ctx, ev)
}
