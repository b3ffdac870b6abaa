package keeper_test

import (
	"testing"

	"github.com/sovra-network/sovra/x/verify/types"
)

// TestAuditPrunedWithItsJob: "State does not grow forever" (DESIGN.md, Lessons). x/task
// prunes a terminal job after retention_blocks; its audit and index entries (escalation
// verifiers included) must not outlive it.
func TestAuditPrunedWithItsJob(t *testing.T) {
	for _, tc := range []struct {
		name     string
		escalate bool
	}{{"passed in round 1", false}, {"passed after an escalation", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSetup()
			s.retentionBlocks = 5
			e := newEnv(t, s)
			id, _, _ := e.auditedJob(100_000, honestResult)
			a := e.audit(id)
			e.open(id)
			if tc.escalate {
				e.commitAll(id, a.Verifiers, e.dissentFor(id))
				e.revealAll(id, true, a.Verifiers, e.dissentFor(id))
				e.f.NextBlock()
				r2 := round(e.audit(id), 2)
				e.open(id)
				e.commitAll(id, r2, e.honestFor(id))
				e.revealAll(id, false, r2, e.honestFor(id))
			} else {
				e.commitAll(id, a.Verifiers, e.honestFor(id))
				e.revealAll(id, true, a.Verifiers, e.honestFor(id))
			}
			a = e.audit(id)
			if a.Status != types.AUDIT_STATUS_PASSED || (tc.escalate != (len(a.Verifiers) == 4)) {
				t.Fatalf("audit %s with %d verifiers", a.Status, len(a.Verifiers))
			}
			end := e.job(id).EndHeight
			e.advanceTo(end + 5 + 3)
			if _, err := e.f.App.TaskKeeper.GetJob(e.f.Ctx(), id); err == nil {
				t.Fatal("x/task did not prune the job")
			}
			ctx := e.f.Ctx()
			k := e.f.App.VerifyKeeper
			if has, _ := k.Audits.Has(ctx, id); has {
				t.Errorf("the audit of job %d is kept %d blocks after its job was pruned", id, e.f.Height()-end-5)
			}
			if has, _ := k.ByStatus.Has(ctx, collectionsPairI32Of(int32(types.AUDIT_STATUS_PASSED), id)); has {
				t.Error("the status index still lists the pruned audit")
			}
			if has, _ := k.ByProvider.Has(ctx, collectionsPairAddrOf(a.Provider, id)); has {
				t.Error("the provider index still lists the pruned audit")
			}
			for _, v := range a.Verifiers {
				if has, _ := k.ByVerifier.Has(ctx, collectionsPairAddrOf(v.Operator, id)); has {
					t.Errorf("the verifier index still lists the pruned audit for round-%d verifier %s", v.Round, e.of(v.Operator).name)
				}
			}
		})
	}
}
