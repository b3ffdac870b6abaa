package keeper_test

import (
	"testing"

	"github.com/sovra-network/sovra/x/verify/types"
)

// TestAuditPrunedWithItsJob: "State does not grow forever" (DESIGN.md, Lessons). x/task
// prunes a terminal job after retention_blocks; its audit and index entries must not
// outlive it.
func TestAuditPrunedWithItsJob(t *testing.T) {
	s := defaultSetup()
	s.retentionBlocks = 5
	e := newEnv(t, s)
	id, _, _ := e.auditedJob(100_000, honestHash)
	a := e.audit(id)
	e.commitAll(id, a.Verifiers, honestFor(id))
	e.revealAll(id, true, a.Verifiers, honestFor(id))
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
	if has, _ := k.ByProvider.Has(ctx, collectionsPairStrOf(a.Provider, id)); has {
		t.Error("the provider index still lists the pruned audit")
	}
}
