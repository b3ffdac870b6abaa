//go:build sovra_testupgrade

package upgrades

// testUpgrades is the test upgrade, in a binary built with -tags sovra_testupgrade: no
// store changes and nothing after the migrations, so its handler is the common one and
// its state change is x/rewards' migration 1 -> 2 (x/rewards/version_testupgrade.go and
// keeper/migrations_testupgrade.go), which the same tag turns on.
func testUpgrades() []Upgrade { return []Upgrade{{Name: TestUpgradeName}} }
