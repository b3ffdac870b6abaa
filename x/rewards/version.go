//go:build !sovra_testupgrade

package rewards

import "github.com/sovra-network/sovra/x/rewards/keeper"

// ConsensusVersion is the rewards module's state version. A change to the module's
// state or its meaning bumps it by one and adds the migration from the previous version
// to migrations (a keeper.Migrator method); the release's upgrade handler runs it
// (app/upgrades).
//
// This file and version_testupgrade.go are a pair only so that the test upgrade's
// binary (build tag sovra_testupgrade) can be one version ahead; a real release edits
// this file.
const ConsensusVersion = 1

// migrations are the module's state migrations, oldest first: none yet.
func migrations(keeper.Migrator) []migration { return nil }
