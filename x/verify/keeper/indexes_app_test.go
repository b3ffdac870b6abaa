package keeper_test

import (
	"strings"
	"testing"

	"cosmossdk.io/collections"

	"github.com/sovra-network/sovra/x/verify/types"
)

// TestAuditIndexesInvariant: with an open audit and an ended one (its verdict after an
// escalation), the index invariant holds (the fixture also checks it after every
// block); it catches a missing verifier entry, a stray provider entry, a phase queued at
// another deadline, and an ended audit off the prune queue or queued twice.
func TestAuditIndexesInvariant(t *testing.T) {
	e := newEnv(t, defaultSetup())
	ended, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(ended)
	e.open(ended)
	e.commitAll(ended, a.Verifiers, e.dissentFor(ended))
	e.revealAll(ended, true, a.Verifiers, e.dissentFor(ended))
	e.f.NextBlock()
	r2 := round(e.audit(ended), 2)
	e.open(ended)
	e.commitAll(ended, r2, e.honestFor(ended))
	e.revealAll(ended, false, r2, e.honestFor(ended))
	if s := e.audit(ended).Status; s != types.AUDIT_STATUS_PASSED {
		t.Fatalf("escalated audit: %s", s)
	}
	open, _, _ := e.auditedJob(100_000, honestResult)
	if s := e.audit(open).Status; !s.IsOpen() {
		t.Fatalf("second audit: %s", s)
	}

	k, ctx := e.f.App.VerifyKeeper, e.f.Ctx()
	if err := k.CheckIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	oa, ea := e.audit(open), e.audit(ended)
	verifier := collectionsPairAddrOf(ea.Verifiers[3].Operator, ended) // a round-2 verifier
	stray := collectionsPairAddrOf(oa.Verifiers[0].Operator, 999)
	phase := collectionsPairI64Of(oa.PhaseDeadline, open)
	var pruneKey collections.Pair[int64, uint64]
	if err := k.PruneQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		pruneKey = key
		return key.K2() == ended, nil
	}); err != nil || pruneKey.K2() != ended {
		t.Fatalf("ended audit's prune entry: %v", err)
	}
	later := collectionsPairI64Of(pruneKey.K1()+1, ended)
	for name, tc := range map[string]struct {
		breakIt, repair func() error
		want            string
	}{
		"missing verifier entry": {
			func() error { return k.ByVerifier.Remove(ctx, verifier) },
			func() error { return k.ByVerifier.Set(ctx, verifier) },
			"audits_by_verifier",
		},
		"stray provider entry": {
			func() error { return k.ByProvider.Set(ctx, stray) },
			func() error { return k.ByProvider.Remove(ctx, stray) },
			"audits_by_provider",
		},
		"phase at another deadline": {
			func() error {
				if err := k.PhaseQueue.Remove(ctx, phase); err != nil {
					return err
				}
				return k.PhaseQueue.Set(ctx, collectionsPairI64Of(oa.PhaseDeadline+1, open))
			},
			func() error {
				if err := k.PhaseQueue.Remove(ctx, collectionsPairI64Of(oa.PhaseDeadline+1, open)); err != nil {
					return err
				}
				return k.PhaseQueue.Set(ctx, phase)
			},
			"phase_queue",
		},
		"ended audit not queued for pruning": {
			func() error { return k.PruneQueue.Remove(ctx, pruneKey) },
			func() error { return k.PruneQueue.Set(ctx, pruneKey) },
			"is not queued",
		},
		"ended audit queued twice": {
			func() error { return k.PruneQueue.Set(ctx, later) },
			func() error { return k.PruneQueue.Remove(ctx, later) },
			"queued twice",
		},
	} {
		if err := tc.breakIt(); err != nil {
			t.Fatal(err)
		}
		err := k.CheckIndexes(ctx)
		if !types.ErrInvariantBroken.Is(err) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want ErrInvariantBroken about %s", name, err, tc.want)
		}
		if err := tc.repair(); err != nil {
			t.Fatal(err)
		}
		if err := k.CheckIndexes(ctx); err != nil {
			t.Fatalf("%s repaired: %v", name, err)
		}
	}
}
