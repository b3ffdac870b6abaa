package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/event"
	corestore "cosmossdk.io/core/store"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"google.golang.org/protobuf/runtime/protoiface"

	"github.com/sovra-network/sovra/x/task/types"
)

// Keeper owns the job escrow. Every queue is keyed by height first, so block hooks touch
// only the work due at the current height, never a scan of all jobs.
type Keeper struct {
	// events emits the module's typed events (proto/sovra/task/v1/events.proto).
	events       event.Service
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string

	bank     types.BankKeeper
	accounts types.AccountKeeper
	provider types.ProviderKeeper
	beacon   types.BeaconKeeper
	rewards  types.RewardsKeeper
	// hooks is x/verify (nil: no audits, see types.AuditHooks). The keeper holds no other
	// in-memory state, so a keeper built with hooks and one built without them over the
	// same store service see the same state: the app gives x/verify the one without (it
	// only settles, fails and refunds jobs, which never reach a hook) and runs the module
	// with the one with, so x/verify can be built before this keeper with no setter.
	hooks types.AuditHooks
	// indexes writes every entry derived from a job (job_indexes.go): the submitter,
	// provider and status indexes and the deadline and decision queues below.
	indexes jobIndexes

	Schema    collections.Schema
	Params    collections.Item[types.Params]
	NextJobID collections.Sequence
	Jobs      collections.Map[uint64, types.Job]
	// The job indexes are kept by hand, by jobIndexes (job_indexes.go), not by an
	// IndexedMap: an IndexedMap rereads the job and deletes and rewrites every index entry
	// on each of the four writes of a job's life, and each rewritten key is IAVL work in
	// Commit. By hand, an entry is written when its field changes: submitter once,
	// provider once, status at each change (assigned jobs and jobs not yet tried are not
	// indexed: the deadline queue and the cursor range list them). CheckIndexes rebuilds
	// them from the jobs and compares.
	BySubmitter collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	ByStatus    collections.KeySet[collections.Pair[int32, uint64]]
	// ByProvider: (provider, job) for every assigned job. Kept by hand rather than as a
	// Multi index, because a pending job has no provider and would index "" only to
	// delete it a block later: every key saved per job is throughput (see README).
	ByProvider collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// AssignCursor is the first job id never tried for assignment. Ids are sequential,
	// so the jobs submitted since the last block are exactly [cursor, next_job_id); a
	// pending job below it is waiting.
	AssignCursor collections.Sequence
	// Waiting: (model, ^bid, job) pending jobs that found no provider when first tried,
	// highest bid per token first, then oldest (assign.go).
	Waiting collections.KeySet[collections.Triple[string, uint64, uint64]]
	// WaitingCount: model → number of its waiting jobs (the models the block hook visits).
	WaitingCount collections.Map[string, uint64]
	// DeadlineQueue: (height, job) assigned and waiting jobs that expire at the end of
	// height unless committed or assigned.
	DeadlineQueue collections.KeySet[collections.Pair[int64, uint64]]
	// DecisionSchedule: (h+1, job) for a result committed at h; at h+1 the beacon fixes X.
	DecisionSchedule collections.KeySet[collections.Pair[int64, uint64]]
	// DecisionQueue: (X, job) audit decisions due at the start of X.
	DecisionQueue collections.KeySet[collections.Pair[int64, uint64]]
	// PruneQueue: (height, job) terminal jobs deleted at height.
	PruneQueue collections.KeySet[collections.Pair[int64, uint64]]
}

// NewKeeper builds the keeper. hooks is the audit module (x/verify); nil builds a keeper
// that audits nothing (every job settles at its decision height), which is what x/verify
// itself is given. It panics on wiring mistakes (bad authority, no module account).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	eventService event.Service,
	addressCodec address.Codec,
	authority string,
	bank types.BankKeeper,
	accounts types.AccountKeeper,
	provider types.ProviderKeeper,
	beacon types.BeaconKeeper,
	rewards types.RewardsKeeper,
	hooks types.AuditHooks,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("x/%s: invalid authority address %q: %s", types.ModuleName, authority, err))
	}
	if accounts.GetModuleAddress(types.ModuleName) == nil {
		panic(fmt.Sprintf("x/%s: module account has not been set", types.ModuleName))
	}
	sb := collections.NewSchemaBuilder(storeService)
	heightJob := collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)
	k := Keeper{
		events:       eventService,
		cdc:          cdc,
		addressCodec: addressCodec,
		authority:    authority,
		bank:         bank,
		accounts:     accounts,
		provider:     provider,
		beacon:       beacon,
		rewards:      rewards,
		hooks:        hooks,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		NextJobID:    collections.NewSequence(sb, types.NextJobIDKey, "next_job_id"),
		Jobs:         collections.NewMap(sb, types.JobsKey, "jobs", collections.Uint64Key, codec.CollValue[types.Job](cdc)),
		BySubmitter:  collections.NewKeySet(sb, types.JobsBySubmitterKey, "jobs_by_submitter", collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		ByStatus:     collections.NewKeySet(sb, types.JobsByStatusKey, "jobs_by_status", collections.PairKeyCodec(collections.Int32Key, collections.Uint64Key)),
		ByProvider: collections.NewKeySet(sb, types.JobsByProviderKey, "jobs_by_provider",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		AssignCursor: collections.NewSequence(sb, types.AssignCursorKey, "assign_cursor"),
		Waiting: collections.NewKeySet(sb, types.WaitingKey, "waiting",
			collections.TripleKeyCodec(collections.StringKey, collections.Uint64Key, collections.Uint64Key)),
		WaitingCount:     collections.NewMap(sb, types.WaitingCountKey, "waiting_count", collections.StringKey, collections.Uint64Value),
		DeadlineQueue:    collections.NewKeySet(sb, types.DeadlineQueueKey, "deadline_queue", heightJob),
		DecisionSchedule: collections.NewKeySet(sb, types.DecisionScheduleKey, "decision_schedule", heightJob),
		DecisionQueue:    collections.NewKeySet(sb, types.DecisionQueueKey, "decision_queue", heightJob),
		PruneQueue:       collections.NewKeySet(sb, types.PruneQueueKey, "prune_queue", heightJob),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	k.indexes = newJobIndexes(k)
	return k
}

// GetAuthority returns the address allowed to change params.
func (k Keeper) GetAuthority() string { return k.authority }

// accAddress decodes an account address with the keeper's address codec (never the
// global bech32 config).
func (k Keeper) accAddress(s string) (sdk.AccAddress, error) { return k.addressCodec.StringToBytes(s) }

// ModuleAddress is the escrow account.
func (k Keeper) ModuleAddress() sdk.AccAddress { return k.accounts.GetModuleAddress(types.ModuleName) }

// emit emits a typed event through the event service. The events of a job's every step
// write their own attributes (types.KVEvent, the SDK's encoding without its reflection);
// the others go through the SDK's typed-event encoding.
func (k Keeper) emit(ctx context.Context, ev protoiface.MessageV1) error {
	if kv, ok := ev.(types.KVEvent); ok {
		return k.events.EventManager(ctx).EmitKV(ctx, kv.EventType(), kv.KV()...)
	}
	return k.events.EventManager(ctx).Emit(ctx, ev)
}
