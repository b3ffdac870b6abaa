package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name and the name of its module account. The account holds
	// exactly the sum of all bonds (unbonding ones included); Keeper.Slash moves slashed
	// bond out of it to the module that the slasher names.
	ModuleName = "provider"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName

	// DefaultMaxJobs is used when a provider registers with max_jobs 0.
	DefaultMaxJobs = 4
	// MaxMaxJobs bounds the concurrent jobs one provider may advertise. A batching GPU
	// server holds many requests at once; the collateral lock is what really bounds it.
	MaxMaxJobs = 65536
	// MaxProfileLen, MaxEndpointLen and MaxHardwareLen bound the free-text provider fields.
	MaxProfileLen  = 64
	MaxEndpointLen = 256
	MaxHardwareLen = 256
	// MaxModelIDLen bounds Model.id; MaxTokenizerLen bounds Model.tokenizer.
	MaxModelIDLen   = 64
	MaxTokenizerLen = 128
	// DefaultProfile is the determinism profile the tools use when none is given.
	DefaultProfile = "cpu-x64-f32-greedy-v1"
)

// Collection prefixes. The weight tree (prefixes 20-25) is derived state rebuilt from the
// providers at genesis; it is never exported.
var (
	ParamsKey         = collections.NewPrefix(0)
	ModelsKey         = collections.NewPrefix(1)
	ProvidersKey      = collections.NewPrefix(2)
	ProviderWorkerKey = collections.NewPrefix(3)
	ModelProvidersKey = collections.NewPrefix(4)
	PriceIndexKey     = collections.NewPrefix(5)
	UnbondingQueueKey = collections.NewPrefix(6)
	TotalBondedKey    = collections.NewPrefix(7)
	MinPriceKey       = collections.NewPrefix(8)
	DepartedKey       = collections.NewPrefix(9)
	DepartedQueueKey  = collections.NewPrefix(10)
	FreePriceIndexKey = collections.NewPrefix(11)
	TreeMetaKey       = collections.NewPrefix(20)
	TreeSlotKey       = collections.NewPrefix(21)
	TreeSlotOwnerKey  = collections.NewPrefix(22)
	TreePageKey       = collections.NewPrefix(23)
	TreeWeightKey     = collections.NewPrefix(24)
	TreeFreeSlotsKey  = collections.NewPrefix(25)
)
