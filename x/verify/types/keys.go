package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name and the name of its module account, which holds
	// slashed bonds only for the instant between the slash and their payout or burn.
	ModuleName = "verify"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
)

// Collection prefixes.
var (
	ParamsKey     = collections.NewPrefix(0)
	AuditsKey     = collections.NewPrefix(1)
	PhaseQueueKey = collections.NewPrefix(2)
	ByVerifierKey = collections.NewPrefix(3)
	ByProviderKey = collections.NewPrefix(4)
	ByStatusKey   = collections.NewPrefix(5)
	StatsKey      = collections.NewPrefix(6)
	PruneQueueKey = collections.NewPrefix(7)
)
