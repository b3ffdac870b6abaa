//go:build !sovra_testupgrade

package upgrades

// testUpgrades is empty in a normal build: its binary stops at a v2-test plan's height.
func testUpgrades() []Upgrade { return nil }
