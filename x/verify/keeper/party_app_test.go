package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// TestVerifierWhoseWorkerRunsAnotherProvider: a key may be the operator of one provider
// and the worker of another (registration allows it; the two count as one operator). When
// the second provider is drawn as a verifier, its worker key must act for it in the audit:
// the chain resolved the key to the provider it runs first, and refused every commit and
// reveal of that verifier as "not a party", so a worker following the protocol missed the
// audit and was slashed for it (found by the app simulation, testutil/simulation).
func TestVerifierWhoseWorkerRunsAnotherProvider(t *testing.T) {
	s := defaultSetup()
	// Three verifiers a round, and exactly three providers that can verify prov's jobs:
	// v3 is always drawn.
	s.verify.AuditRate, s.verify.VerifiersPerAudit, s.verify.CollateralMultiplier = dec("0.30"), 3, 4
	s.providers = []providerSpec{
		{name: "prov", profile: cpuProfile, bond: baseBond, price: cheapPrice, models: []string{testModel, soloModel}},
		{name: "v1", profile: cpuProfile, bond: baseBond, price: dearPrice},
		{name: "v2", profile: cpuProfile, bond: baseBond, price: dearPrice},
		// x runs a provider of another model, and its key is v3's worker.
		{name: "x", profile: cpuProfile, bond: baseBond, price: dearPrice, models: []string{soloModel}},
		{name: "v3", worker: "x", profile: cpuProfile, bond: baseBond, price: dearPrice},
	}
	e := newEnv(t, s)
	x := e.f.Accounts["x"]
	// newEnv publishes audit keys from unshared workers only: x publishes v3's.
	e.mustBlock(tx{x, []sdk.Msg{&providertypes.MsgSetAuditKey{Worker: x.Address.String(), AuditKey: auditKeyOf("v3")}}})
	v3 := e.p("v3")
	if v3.worker != x {
		t.Fatal("v3's worker is not x's key")
	}

	id, _, _ := e.auditedJob(100_000, honestResult)
	if i := verifierIndexOf(e.audit(id), v3.op.Address.String()); i < 0 {
		t.Fatalf("v3 is not a verifier of job %d", id)
	}
	// Every party plays honestly, v3 through x's key: commit, then reveal.
	e.settleHonestly([]uint64{id}, 30)
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("audit of job %d: %s (%s), want PASSED", id, a.Status, a.Reason)
	}
	if p := e.provider("v3"); p.AuditsPassed != 1 || p.AuditsMissed != 0 {
		t.Fatalf("v3: %d audits passed, %d missed; want 1 and 0", p.AuditsPassed, p.AuditsMissed)
	}
}

func verifierIndexOf(a types.Audit, op string) int {
	for i, v := range a.Verifiers {
		if v.Operator == op {
			return i
		}
	}
	return -1
}
