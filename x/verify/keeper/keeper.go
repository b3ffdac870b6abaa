package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/event"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/math"
	"google.golang.org/protobuf/runtime/protoiface"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/verify/types"
)

// Keeper runs audits: the decision at the job's decision height, the verifier draw, the
// commit and reveal phases with their deadlines, one escalation, and the verdict.
type Keeper struct {
	// events emits the module's typed events (proto/sovra/verify/v1/events.proto).
	events       event.Service
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string

	task     types.TaskKeeper
	provider types.ProviderKeeper
	beacon   types.BeaconKeeper
	rewards  types.RewardsKeeper
	bank     types.BankKeeper
	// moduleAddr holds slashed coins only between a slash and their payout or burn.
	moduleAddr sdk.AccAddress
	// indexes writes every entry derived from an audit (audit_indexes.go): the indexes
	// and queues below.
	indexes auditIndexes

	Schema collections.Schema
	Params collections.Item[types.Params]
	Audits collections.Map[uint64, types.Audit]
	// PhaseQueue: (deadline, job) the open phase of an audit ends at the end of deadline.
	PhaseQueue collections.KeySet[collections.Pair[int64, uint64]]
	// ByVerifier, ByProvider and ByStatus index the audits for queries and workers.
	// Both are keyed by address bytes, like x/provider's indexes.
	ByVerifier collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	ByProvider collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	ByStatus   collections.KeySet[collections.Pair[int32, uint64]]
	Stats      collections.Item[types.Stats]
	// PruneQueue: (height, job) an ended audit is deleted at height, with its job (x/task's
	// retention_blocks after the verdict), so state does not grow forever.
	PruneQueue collections.KeySet[collections.Pair[int64, uint64]]
}

// AccountKeeper resolves the module account.
type AccountKeeper interface {
	GetModuleAddress(name string) sdk.AccAddress
}

// NewKeeper builds the keeper; it panics on wiring mistakes (bad authority, no module account).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	eventService event.Service,
	addressCodec address.Codec,
	authority string,
	accounts AccountKeeper,
	task types.TaskKeeper,
	provider types.ProviderKeeper,
	beacon types.BeaconKeeper,
	rewards types.RewardsKeeper,
	bank types.BankKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("x/%s: invalid authority address %q: %s", types.ModuleName, authority, err))
	}
	moduleAddr := accounts.GetModuleAddress(types.ModuleName)
	if moduleAddr == nil {
		panic(fmt.Sprintf("x/%s: module account has not been set", types.ModuleName))
	}
	sb := collections.NewSchemaBuilder(storeService)
	addrJob := collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)
	k := Keeper{
		events: eventService,
		cdc:    cdc, addressCodec: addressCodec, authority: authority,
		task: task, provider: provider, beacon: beacon, rewards: rewards, bank: bank, moduleAddr: moduleAddr,
		Params:     collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Audits:     collections.NewMap(sb, types.AuditsKey, "audits", collections.Uint64Key, codec.CollValue[types.Audit](cdc)),
		PhaseQueue: collections.NewKeySet(sb, types.PhaseQueueKey, "phase_queue", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		ByVerifier: collections.NewKeySet(sb, types.ByVerifierKey, "audits_by_verifier", addrJob),
		ByProvider: collections.NewKeySet(sb, types.ByProviderKey, "audits_by_provider", addrJob),
		ByStatus:   collections.NewKeySet(sb, types.ByStatusKey, "audits_by_status", collections.PairKeyCodec(collections.Int32Key, collections.Uint64Key)),
		Stats:      collections.NewItem(sb, types.StatsKey, "stats", codec.CollValue[types.Stats](cdc)),
		PruneQueue: collections.NewKeySet(sb, types.PruneQueueKey, "prune_queue", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	k.indexes = newAuditIndexes(k)
	return k
}

// accAddress decodes an account address with the keeper's address codec (never the
// global bech32 config).
func (k Keeper) accAddress(s string) (sdk.AccAddress, error) { return k.addressCodec.StringToBytes(s) }

// GetAuthority returns the address allowed to update params (the gov module account).
func (k Keeper) GetAuthority() string { return k.authority }

// CollateralMultiplier is the collateral a job locks per unit of max fee (x/task asks).
func (k Keeper) CollateralMultiplier(ctx context.Context) (uint64, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	return p.CollateralMultiplier, nil
}

// stats returns the counters (zero before the first decision).
func (k Keeper) stats(ctx context.Context) (types.Stats, error) {
	s, err := k.Stats.Get(ctx)
	if err != nil && !isNotFound(err) {
		return s, err
	}
	return s, nil
}

// saveAudit writes an audit and moves its status index entry from prev.
func (k Keeper) saveAudit(ctx context.Context, a types.Audit, prev types.AuditStatus) error {
	if err := k.indexes.statusChanged(ctx, a, prev); err != nil {
		return err
	}
	return k.Audits.Set(ctx, a.JobId, a)
}

// MinVerificationShare is the least share of each fee the verification pool needs:
// audit_rate × verifiers_per_audit (x/rewards refuses params below it).
func (k Keeper) MinVerificationShare(ctx context.Context) (math.LegacyDec, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return math.LegacyDec{}, err
	}
	return p.AuditRate.MulInt64(int64(p.VerifiersPerAudit)), nil
}

// emit emits a typed event through the event service.
func (k Keeper) emit(ctx context.Context, ev protoiface.MessageV1) error {
	return k.events.EventManager(ctx).Emit(ctx, ev)
}
