//go:build !sovra_testupgrade

package app_test

import (
	"testing"

	"github.com/sovra-network/sovra/app/upgrades"
	"github.com/sovra-network/sovra/testutil/appfixture"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
)

// In a normal build no module has a migration: the binary that applies v2-test is this
// build with a handler for it, which runs no migration, and every version stays.
// `go test -tags sovra_testupgrade` runs the same test with the test upgrade's
// migration (upgrade_testupgrade_app_test.go).
var newBinary = withUpgrades(upgrades.Upgrade{Name: upgrades.TestUpgradeName})

const wantRewardsVersion = 1

func migratedRewardsParams(p rewardstypes.Params) rewardstypes.Params { return p }

// chainFromOldBinary: the chain's versions are this build's own.
func chainFromOldBinary(*testing.T, *appfixture.Fixture) {}

// TestNormalBuildHasNoTestUpgrade: the binary `make build` makes has no handler for the
// test upgrade, so it stops at a v2-test plan.
func TestNormalBuildHasNoTestUpgrade(t *testing.T) {
	if _, ok := upgrades.Find(upgrades.List(), upgrades.TestUpgradeName); ok {
		t.Fatalf("the normal build applies %s", upgrades.TestUpgradeName)
	}
}
