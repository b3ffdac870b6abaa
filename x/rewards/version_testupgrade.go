//go:build sovra_testupgrade

package rewards

import "github.com/sovra-network/sovra/x/rewards/keeper"

// ConsensusVersion is one ahead of the normal build's in the test upgrade's binary
// (app/upgrades.TestUpgradeName): version 2 burns the community share.
const ConsensusVersion = 2

// migrations: 1 -> 2, the test upgrade's (keeper/migrations_testupgrade.go).
func migrations(m keeper.Migrator) []migration {
	return []migration{{from: 1, migrate: m.Migrate1to2}}
}
