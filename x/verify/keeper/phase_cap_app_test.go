package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"
)

// TestPhaseQueueIsDrainedWithACap: 2,500 phase deadlines aimed at one height (here
// entries whose audits are gone, which the EndBlocker drops as stale; live ones cost
// more) take at most 1,000 a block, earlier heights first, the rest carried over: no
// single block does them all, and none is lost.
func TestPhaseQueueIsDrainedWithACap(t *testing.T) {
	e := newEnv(t, defaultSetup())
	e.f.AfterBlock = nil // the stray entries break the index invariant on purpose
	k := e.f.App.VerifyKeeper
	at := e.f.Height() + 1
	ctx := e.f.Ctx()
	for id := uint64(1_000_000); id < 1_002_500; id++ {
		if err := k.PhaseQueue.Set(ctx, collections.Join(at, id)); err != nil {
			t.Fatal(err)
		}
	}
	left := func() int {
		n := 0
		if err := k.PhaseQueue.Walk(e.f.Ctx(), nil, func(key collections.Pair[int64, uint64]) (bool, error) {
			if key.K2() >= 1_000_000 {
				n++
			}
			return false, nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, want := range []int{1500, 500, 0} {
		e.f.NextBlock()
		if got := left(); got != want {
			t.Fatalf("after the block at height %d: %d deadlines left, want %d", e.f.Height(), got, want)
		}
	}
}
