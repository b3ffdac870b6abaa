package keeper_test

import (
	"sort"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// manyAudits submits n jobs to prov in one block, commits them together and returns the
// ids of those that were audited (phases of 30 blocks keep them open, in their OPEN
// phase), at least atLeast.
func manyAudits(t *testing.T, n, atLeast int) (*env, []uint64) {
	s := defaultSetup()
	s.verify.OpenPhaseBlocks, s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 30, 30, 30
	e := newEnv(t, s)
	prov, alice := e.p("prov"), e.f.Accounts["alice"]
	var msgs []sdk.Msg
	for i := 0; i < n; i++ {
		msgs = append(msgs, e.submitMsg("alice", testModel, 100_000))
	}
	ids := jobIDs(t, e.mustBlock(tx{alice, msgs})[0])
	e.f.NextBlock()
	e.mustBlock(tx{prov.worker, []sdk.Msg{e.resultMsg(prov, ids, honestResult)}})
	e.advanceUntil(10, func() bool {
		for _, id := range ids {
			if e.job(id).Status == tasktypes.JOB_STATUS_COMMITTED {
				return false
			}
		}
		return true
	})
	var audited []uint64
	for _, id := range ids {
		if e.job(id).Status == tasktypes.JOB_STATUS_AUDITING {
			audited = append(audited, id)
		}
	}
	if len(audited) < atLeast {
		t.Fatalf("%d of %d jobs audited, the test needs %d", len(audited), n, atLeast)
	}
	return e, audited
}

// pages lists the job ids of every audit matching req, limit per page, following
// next_key, and the size of the largest page.
func (e *env) pages(req types.QueryAuditsRequest, limit uint64) (ids []uint64, largest int) {
	e.t.Helper()
	var key []byte
	for i := 0; ; i++ {
		if i > 100 {
			e.t.Fatal("pagination does not end")
		}
		req.Pagination = &query.PageRequest{Key: key, Limit: limit}
		res, err := e.qs.Audits(e.f.Ctx(), &req)
		if err != nil {
			e.t.Fatalf("audits %+v: %v", req, err)
		}
		largest = max(largest, len(res.Audits))
		for _, a := range res.Audits {
			ids = append(ids, a.JobId)
		}
		if len(res.Pagination.NextKey) == 0 {
			return ids, largest
		}
		key = res.Pagination.NextKey
	}
}

func sameIDs(got, want []uint64) bool {
	if len(got) != len(want) {
		return false
	}
	g, w := append([]uint64{}, got...), append([]uint64{}, want...)
	sort.Slice(g, func(i, j int) bool { return g[i] < g[j] })
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	for i := range g {
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

// TestQueries: audit by job, the audits list by status, verifier and provider (one page
// and with offsets), stats and params; bad requests are InvalidArgument, a missing
// audit NotFound.
func TestQueries(t *testing.T) {
	e, ids := manyAudits(t, 8, 5)
	// Two audits pass, one is in its commit phase, the others stay in their open phase.
	for _, id := range ids[:2] {
		a := e.audit(id)
		e.open(id)
		e.commitAll(id, a.Verifiers, e.honestFor(id))
		e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	}
	e.open(ids[2])
	ctx := e.f.Ctx()
	byStatus := map[types.AuditStatus][]uint64{}
	byVerifier := map[string][]uint64{}
	for _, id := range ids {
		a := e.audit(id)
		byStatus[a.Status] = append(byStatus[a.Status], id)
		for _, v := range a.Verifiers {
			byVerifier[v.Operator] = append(byVerifier[v.Operator], id)
		}
	}
	if len(byStatus[types.AUDIT_STATUS_PASSED]) != 2 || len(byStatus[types.AUDIT_STATUS_COMMIT]) != 1 ||
		len(byStatus[types.AUDIT_STATUS_OPEN]) != len(ids)-3 {
		t.Fatalf("audits by status: %v", byStatus)
	}

	res, err := e.qs.Audit(ctx, &types.QueryAuditRequest{JobId: ids[0]})
	if err != nil || res.Audit.JobId != ids[0] || res.Audit.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("audit %d: %+v %v", ids[0], res, err)
	}
	for name, c := range map[string]struct {
		req  *types.QueryAuditRequest
		code codes.Code
	}{
		"job 0":        {&types.QueryAuditRequest{}, codes.InvalidArgument},
		"nil request":  {nil, codes.InvalidArgument},
		"unknown job":  {&types.QueryAuditRequest{JobId: 1_000_000}, codes.NotFound},
		"unaudited id": {&types.QueryAuditRequest{JobId: ids[len(ids)-1] + 1}, codes.NotFound},
	} {
		if _, err := e.qs.Audit(ctx, c.req); status.Code(err) != c.code {
			t.Fatalf("%s: %v, want %s", name, err, c.code)
		}
	}

	one := func(req types.QueryAuditsRequest) []uint64 {
		t.Helper()
		req.Pagination = &query.PageRequest{Limit: 100, CountTotal: true}
		res, err := e.qs.Audits(ctx, &req)
		if err != nil {
			t.Fatalf("audits %+v: %v", req, err)
		}
		var out []uint64
		for _, a := range res.Audits {
			out = append(out, a.JobId)
		}
		if res.Pagination.Total != uint64(len(out)) || len(res.Pagination.NextKey) != 0 {
			t.Fatalf("audits %+v: total %d next %x for %d results", req, res.Pagination.Total, res.Pagination.NextKey, len(out))
		}
		return out
	}
	provAddr := e.p("prov").op.Address.String()
	if got := one(types.QueryAuditsRequest{}); !sameIDs(got, ids) {
		t.Fatalf("all audits: %v, want %v", got, ids)
	}
	if got := one(types.QueryAuditsRequest{Provider: provAddr}); !sameIDs(got, ids) {
		t.Fatalf("audits of prov: %v, want %v", got, ids)
	}
	if got := one(types.QueryAuditsRequest{Provider: e.p("v1").op.Address.String()}); len(got) != 0 {
		t.Fatalf("audits of v1's jobs: %v", got)
	}
	for st, want := range byStatus {
		if got := one(types.QueryAuditsRequest{Status: st}); !sameIDs(got, want) {
			t.Fatalf("audits %s: %v, want %v", st, got, want)
		}
		if got := one(types.QueryAuditsRequest{Status: st, Provider: provAddr}); !sameIDs(got, want) {
			t.Fatalf("prov's audits %s: %v, want %v", st, got, want)
		}
	}
	if got := one(types.QueryAuditsRequest{Status: types.AUDIT_STATUS_FAILED}); len(got) != 0 {
		t.Fatalf("failed audits: %v", got)
	}
	for op, want := range byVerifier {
		if got := one(types.QueryAuditsRequest{Verifier: op}); !sameIDs(got, want) {
			t.Fatalf("audits verified by %s: %v, want %v", e.of(op).name, got, want)
		}
		var passed []uint64
		for _, id := range want {
			if e.audit(id).Status == types.AUDIT_STATUS_PASSED {
				passed = append(passed, id)
			}
		}
		if got := one(types.QueryAuditsRequest{Verifier: op, Status: types.AUDIT_STATUS_PASSED}); !sameIDs(got, passed) {
			t.Fatalf("passed audits verified by %s: %v, want %v", e.of(op).name, got, passed)
		}
	}
	if got := one(types.QueryAuditsRequest{Verifier: e.p("sybil").op.Address.String()}); len(got) != 0 {
		t.Fatalf("sybil verified %v", got)
	}
	// First pages (no key) and offsets.
	page, err := e.qs.Audits(ctx, &types.QueryAuditsRequest{Pagination: &query.PageRequest{Offset: 1, Limit: 2}})
	if err != nil || len(page.Audits) != 2 || page.Audits[0].JobId != ids[1] || page.Audits[1].JobId != ids[2] {
		t.Fatalf("offset 1 limit 2: %+v %v, want jobs %d and %d", page, err, ids[1], ids[2])
	}

	for name, req := range map[string]*types.QueryAuditsRequest{
		"nil request":       nil,
		"bad verifier":      {Verifier: "sovra1notanaddress"},
		"bad provider":      {Provider: "cosmos1xyz"},
		"unknown status":    {Status: types.AuditStatus(99)},
		"key and offset":    {Pagination: &query.PageRequest{Key: []byte{1}, Offset: 1}},
		"verifier+key+offs": {Verifier: provAddr, Pagination: &query.PageRequest{Key: []byte{1}, Offset: 1}},
	} {
		if _, err := e.qs.Audits(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("%s: %v, want InvalidArgument", name, err)
		}
	}

	st, err := e.qs.Stats(ctx, &types.QueryStatsRequest{})
	if err != nil || st.Stats.Audits != uint64(len(ids)) || st.Stats.Passes != 2 || st.Stats.Decisions != 8 {
		t.Fatalf("stats: %+v %v", st, err)
	}
	p, err := e.qs.Params(ctx, &types.QueryParamsRequest{})
	if err != nil || !paramsEqual(p.Params, e.s.verify) {
		t.Fatalf("params: %+v %v", p, err)
	}
}

// TestAuditsPagination follows next_key through every index with small pages: each
// audit must come exactly once and no page may exceed its limit.
func TestAuditsPagination(t *testing.T) {
	e, ids := manyAudits(t, 10, 6)
	prov := e.p("prov").op.Address.String()
	byVerifier := map[string][]uint64{}
	busiest := ""
	for _, id := range ids {
		for _, v := range e.audit(id).Verifiers {
			byVerifier[v.Operator] = append(byVerifier[v.Operator], id)
			if len(byVerifier[v.Operator]) > len(byVerifier[busiest]) {
				busiest = v.Operator
			}
		}
	}
	for _, limit := range []uint64{1, 2, 3} {
		for name, c := range map[string]struct {
			req  types.QueryAuditsRequest
			want []uint64
		}{
			"all":         {types.QueryAuditsRequest{}, ids},
			"by provider": {types.QueryAuditsRequest{Provider: prov}, ids},
			"by status":   {types.QueryAuditsRequest{Status: types.AUDIT_STATUS_OPEN}, ids},
			"by verifier": {types.QueryAuditsRequest{Verifier: busiest}, byVerifier[busiest]},
		} {
			got, largest := e.pages(c.req, limit)
			if !sameIDs(got, c.want) || largest > int(limit) {
				t.Errorf("%s, pages of %d: %v (largest page %d), want each of %v once", name, limit, got, largest, c.want)
			}
		}
	}
}

// TestAuditsQueryCanonicalAddress: bech32 is case-insensitive and the query accepts an
// upper-case address as valid, so it must find the same audits as the lower-case one.
func TestAuditsQueryCanonicalAddress(t *testing.T) {
	e, ids := manyAudits(t, 3, 1)
	prov := e.p("prov").op.Address.String()
	verifier := e.audit(ids[0]).Verifiers[0].Operator
	for name, req := range map[string]*types.QueryAuditsRequest{
		"provider": {Provider: strings.ToUpper(prov)},
		"verifier": {Verifier: strings.ToUpper(verifier)},
	} {
		res, err := e.qs.Audits(e.f.Ctx(), req)
		if err != nil {
			t.Fatalf("%s in upper case: %v", name, err)
		}
		if len(res.Audits) == 0 {
			t.Errorf("%s in upper case (%s): no audits; in lower case it has some", name, req.Provider+req.Verifier)
		}
	}
}
