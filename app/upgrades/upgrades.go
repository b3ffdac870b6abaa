// Package upgrades lists the software upgrades this binary can apply and builds their
// handlers. An upgrade is scheduled by governance (MsgSoftwareUpgrade, executed by the
// gov module account); at the plan's height x/upgrade stops a binary that has no
// handler for it (UPGRADE "name" NEEDED) and, in the binary that has one, runs the
// handler before anything else of that block.
//
// A release that changes state adds one entry to releases: its name (the plan's name),
// the stores it adds, renames or deletes, and nothing else in the common case, because
// the handler runs every module's registered migrations (module.Manager.RunMigrations)
// from the versions stored on chain to the binary's ConsensusVersions. A module whose
// state changes bumps its ConsensusVersion and registers the migration from the old
// version in its RegisterServices (cfg.RegisterMigration); see x/rewards.
package upgrades

import (
	"context"
	"fmt"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"
)

// Upgrade is one named software upgrade.
type Upgrade struct {
	// Name is the name of the governance plan the upgrade answers (MsgSoftwareUpgrade's
	// plan.name); a node stopped at that plan's height restarts with the binary that
	// lists it.
	Name string
	// StoreUpgrades are the KV stores the upgrade adds, renames or deletes. They are
	// applied when the node restarts at the plan's height (read from
	// data/upgrade-info.json, which the old binary wrote when it stopped), before the
	// handler runs.
	StoreUpgrades storetypes.StoreUpgrades
	// After, when set, runs after the modules' migrations, for work that belongs to no
	// single module. Most upgrades need none.
	After func(ctx context.Context, plan upgradetypes.Plan) error
}

// TestUpgradeName is the test upgrade that only a binary built with the tag
// sovra_testupgrade applies (testupgrade.go): its one state change is x/rewards'
// migration from version 1 to 2. The normal binary has no handler for it, so a plan of
// that name stops it at the plan's height.
const TestUpgradeName = "v2-test"

// TestUpgradeBuildTag is the build tag of the binary that applies TestUpgradeName.
const TestUpgradeBuildTag = "sovra_testupgrade"

// releases are the upgrades of the chain's releases, oldest first. A release adds its
// entry here; an entry stays as long as a node may still be synced from before it.
var releases []Upgrade

// List is every upgrade this binary applies: the releases, and with the build tag
// sovra_testupgrade the test upgrade (testupgrade.go).
func List() []Upgrade {
	out := append([]Upgrade(nil), releases...)
	return append(out, testUpgrades()...)
}

// Handler runs the modules' migrations from fromVM, the versions the chain stored
// before this upgrade, to the binary's ConsensusVersions (a module missing from fromVM
// is new: its InitGenesis runs with its default genesis), then After. x/upgrade stores
// the version map it returns.
func (u Upgrade) Handler(mm *module.Manager, cfg module.Configurator) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, plan upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		vm, err := mm.RunMigrations(ctx, cfg, fromVM)
		if err != nil {
			return nil, fmt.Errorf("upgrade %q: %w", u.Name, err)
		}
		if u.After != nil {
			if err := u.After(ctx, plan); err != nil {
				return nil, fmt.Errorf("upgrade %q: %w", u.Name, err)
			}
		}
		return vm, nil
	}
}

// Validate refuses a list the app could not register: an empty or repeated name.
func Validate(ups []Upgrade) error {
	seen := make(map[string]bool, len(ups))
	for i, u := range ups {
		if u.Name == "" {
			return fmt.Errorf("upgrade %d has no name", i)
		}
		if seen[u.Name] {
			return fmt.Errorf("upgrade %q is listed twice", u.Name)
		}
		seen[u.Name] = true
	}
	return nil
}

// Find returns the upgrade named name.
func Find(ups []Upgrade, name string) (Upgrade, bool) {
	for _, u := range ups {
		if u.Name == name {
			return u, true
		}
	}
	return Upgrade{}, false
}
