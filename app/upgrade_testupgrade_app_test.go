//go:build sovra_testupgrade

package app_test

import (
	"testing"

	"cosmossdk.io/math"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/app/upgrades"
	"github.com/sovra-network/sovra/testutil/appfixture"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
)

// With the tag sovra_testupgrade this build is the test upgrade's binary: app.New applies
// v2-test, whose handler runs x/rewards' migration 1 -> 2.
var newBinary appfixture.AppBuilder = app.New

const wantRewardsVersion = 2

// migratedRewardsParams: x/rewards 1 -> 2 burns the community share.
func migratedRewardsParams(p rewardstypes.Params) rewardstypes.Params {
	p.BurnShare, p.CommunityShare = p.BurnShare.Add(p.CommunityShare), math.LegacyZeroDec()
	return p
}

// chainFromOldBinary records x/rewards at version 1, as the normal binary stored it at
// genesis (this build's own genesis says 2), so that the upgrade has a migration to run.
func chainFromOldBinary(t *testing.T, f *appfixture.Fixture) {
	t.Helper()
	ctx := f.Ctx()
	vm, err := f.App.UpgradeKeeper.GetModuleVersionMap(ctx)
	must(t, err)
	vm[rewardstypes.ModuleName] = 1
	must(t, f.App.UpgradeKeeper.SetModuleVersionMap(ctx, vm))
	f.NextBlock()
	vm, err = f.App.UpgradeKeeper.GetModuleVersionMap(f.Ctx())
	must(t, err)
	if vm[rewardstypes.ModuleName] != 1 {
		t.Fatalf("x/rewards recorded at version %d, want 1", vm[rewardstypes.ModuleName])
	}
	if p, err := f.App.RewardsKeeper.Params.Get(f.Ctx()); err != nil || !p.CommunityShare.IsPositive() {
		t.Fatalf("community share %s (%v): the migration would not show", p.CommunityShare, err)
	}
}

// TestTestBuildAppliesTheTestUpgrade: the tagged binary lists v2-test.
func TestTestBuildAppliesTheTestUpgrade(t *testing.T) {
	if _, ok := upgrades.Find(upgrades.List(), upgrades.TestUpgradeName); !ok {
		t.Fatalf("the tagged build does not apply %s", upgrades.TestUpgradeName)
	}
}
