package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name and the name of its module account, which holds exactly the
	// sum of all unclaimed accruals (the app grants it Burner for the burn share).
	ModuleName = "rewards"

	// StoreKey is the module's KV store key.
	StoreKey = ModuleName

	// VerificationPoolName is the module account that holds the verification pool, which later pays
	// auditors. It needs no permissions.
	VerificationPoolName = "verification_pool"
)

// Reward sources: an accrual is keyed by (address, source).
const (
	SourceJobs     = "jobs"
	SourceAudits   = "audits"
	SourceBounties = "bounties"
)

// Collection prefixes.
var (
	ParamsKey   = collections.NewPrefix(0)
	AccrualsKey = collections.NewPrefix(1)
)

// ValidSource reports whether s is one of the known reward sources.
func ValidSource(s string) bool {
	switch s {
	case SourceJobs, SourceAudits, SourceBounties:
		return true
	}
	return false
}
