package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// TestGenesisExportImportExportIsIdentical: with every kind of state the tests create at
// once (ended jobs awaiting pruning, an audit in its open phase and one in its commit
// phase, a result awaiting its audit decision, assigned jobs on a provider whose
// max_jobs was lowered below them, a waiting job, a job not tried yet, an unbonding
// provider, rewards accrued), the app's genesis export imported into a fresh app exports
// exactly the same, and the imported state passes every index and money invariant.
func TestGenesisExportImportExportIsIdentical(t *testing.T) {
	s := defaultSetup()
	s.verify.OpenPhaseBlocks, s.verify.CommitPhaseBlocks = 30, 30 // the phases outlast the scenario
	e := newEnv(t, s)
	prov, alice := e.p("prov"), e.f.Accounts["alice"]

	open, _, _ := e.auditedJob(100_000, honestResult)
	inCommit, _, _ := e.auditedJob(100_000, honestResult)
	e.open(inCommit)
	if s := e.audit(inCommit).Status; s != types.AUDIT_STATUS_COMMIT {
		t.Fatalf("audit of job %d: %s, want COMMIT", inCommit, s)
	}

	// Three assigned jobs, one of them committed; then max_jobs lowered to 1.
	var ids []uint64
	for range 3 {
		ids = append(ids, jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{e.submitMsg("alice", testModel, 100_000)}})[0])...)
	}
	e.f.NextBlock()
	e.mustBlock(tx{prov.worker, []sdk.Msg{e.resultMsg(prov, ids[:1], honestResult)}})
	e.mustBlock(tx{prov.op, []sdk.Msg{&providertypes.MsgUpdateProvider{Operator: prov.op.Address.String(), MaxJobs: 1}}})
	if p := e.provider("prov"); p.ActiveJobs <= p.MaxJobs {
		t.Fatalf("prov runs %d of %d jobs: the test wants more than max_jobs", p.ActiveJobs, p.MaxJobs)
	}
	waiting := jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{e.submitMsg("alice", testModel, 100_000)}})[0])[0]
	e.f.NextBlock()
	fresh := jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{e.submitMsg("alice", testModel, 100_000)}})[0])[0]
	v5 := e.p("v5")
	e.mustBlock(tx{v5.op, []sdk.Msg{&providertypes.MsgUnbond{Operator: v5.op.Address.String()}}})

	for id, want := range map[uint64]tasktypes.JobStatus{
		open: tasktypes.JOB_STATUS_AUDITING, inCommit: tasktypes.JOB_STATUS_AUDITING,
		ids[1]: tasktypes.JOB_STATUS_ASSIGNED, ids[2]: tasktypes.JOB_STATUS_ASSIGNED,
		waiting: tasktypes.JOB_STATUS_PENDING, fresh: tasktypes.JOB_STATUS_PENDING, 1: tasktypes.JOB_STATUS_SETTLED,
	} {
		if s := e.job(id).Status; s != want {
			t.Fatalf("job %d: %s, want %s", id, s, want)
		}
	}
	if s := e.job(ids[0]).Status; s != tasktypes.JOB_STATUS_COMMITTED && s != tasktypes.JOB_STATUS_AUDITING {
		t.Fatalf("job %d: %s, want committed or audited", ids[0], s)
	}
	if s := e.audit(open).Status; s != types.AUDIT_STATUS_OPEN {
		t.Fatalf("audit of job %d: %s, want OPEN", open, s)
	}
	if err := e.f.GenesisRoundTrip(); err != nil {
		t.Fatal(err)
	}
}
