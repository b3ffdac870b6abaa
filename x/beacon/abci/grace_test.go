package abci_test

import (
	"strings"
	"sync"
	"testing"

	"cosmossdk.io/log/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"

	beaconabci "github.com/sovra-network/sovra/x/beacon/abci"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// fakeMetrics records what the handler reports.
type fakeMetrics struct {
	mu        sync.Mutex
	readiness []types.Readiness
	weak      map[types.Readiness]int
}

func (m *fakeMetrics) SetReadiness(r types.Readiness) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.readiness = append(m.readiness, r)
}

func (m *fakeMetrics) WeakProposal(r types.Readiness) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.weak == nil {
		m.weak = map[types.Readiness]int{}
	}
	m.weak[r]++
}

func (m *fakeMetrics) last() types.Readiness {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.readiness) == 0 {
		return -1
	}
	return m.readiness[len(m.readiness)-1]
}

func setGrace(t *testing.T, f *testutil.Fixture, requireVRF bool, grace uint64) {
	t.Helper()
	if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(100, requireVRF, grace)); err != nil {
		t.Fatal(err)
	}
}

func bond(t *testing.T, f *testutil.Fixture, v testutil.Validator, h int64) {
	t.Helper()
	if err := f.Keeper.Hooks().AfterValidatorBonded(testutil.AtHeight(f.Ctx, h), v.Cons, sdk.ValAddress(v.Operator)); err != nil {
		t.Fatal(err)
	}
}

// TestGracePeriodOfAKeylessValidator: with require_vrf on, a bonded validator without a
// registered key has its weak proposals accepted up to first bonded height +
// vrf_grace_blocks and rejected after, with an error in its own node's log that says
// why and what to do; with require_vrf off it is never rejected.
func TestGracePeriodOfAKeylessValidator(t *testing.T) {
	f := testutil.NewFixture(t)
	setGrace(t, f, true, 3)
	v := f.NewValidator(t, 1)
	bond(t, f, v, 10) // grace: heights up to 13
	rec := &logRecorder{}
	m := &fakeMetrics{}
	node := beaconabci.NewProposalHandler(rec.logger(), f.Keeper, f.Staking, beaconabci.StaticKey(nil), nil, nil, beaconabci.WithMetrics(m))

	for h := int64(11); h <= 13; h++ {
		ctx := testutil.AtHeight(f.Ctx, h)
		txs := prepare(t, node, ctx, v.Cons, nil, 10_000)
		if len(decode(t, txs[0]).Proof) != 0 {
			t.Fatal("keyless node made a proof")
		}
		if process(t, node, ctx, v.Cons, txs) != accept {
			t.Fatalf("height %d (grace until 13): weak proposal rejected", h)
		}
	}
	if m.weak[types.ReadinessNoKeyFile] != 3 {
		t.Fatalf("weak proposals counted %v, want 3 without a key file", m.weak)
	}
	rec.take(t)

	ctx := testutil.AtHeight(f.Ctx, 14)
	txs := prepare(t, node, ctx, v.Cons, nil, 10_000)
	var prepErr *logLine
	for _, l := range rec.take(t) {
		if l.Level == "error" && strings.Contains(l.Message, "will be rejected") {
			prepErr = &l
		}
	}
	if prepErr == nil || !strings.Contains(prepErr.Reason, "grace period of 3 blocks") || !strings.Contains(prepErr.Reason, "ended at height 13") {
		t.Fatalf("PrepareProposal after the grace period did not log why: %+v", prepErr)
	}
	if process(t, node, ctx, v.Cons, txs) != reject {
		t.Fatal("height 14: weak proposal accepted after the grace period")
	}
	var rejected bool
	for _, l := range rec.take(t) {
		rejected = rejected || (strings.Contains(l.Message, "rejecting proposal") && strings.Contains(l.Reason, "register a VRF key"))
	}
	if !rejected {
		t.Fatal("the rejection does not say the proposer must register a VRF key")
	}
	// Still rejected much later: the grace period is not renewed.
	if process(t, node, testutil.AtHeight(f.Ctx, 5_000), v.Cons, [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 5_000})}) != reject {
		t.Fatal("height 5000: weak proposal accepted")
	}
	// Bonding again does not renew it either.
	bond(t, f, v, 4_000)
	if process(t, node, testutil.AtHeight(f.Ctx, 5_000), v.Cons, [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 5_000})}) != reject {
		t.Fatal("a second bonding renewed the grace period")
	}

	// require_vrf off: accepted (dev chains).
	setGrace(t, f, false, 3)
	if process(t, node, ctx, v.Cons, txs) != accept {
		t.Fatal("require_vrf off: weak proposal rejected")
	}

	// Registering the key: a proof is required and accepted.
	setGrace(t, f, true, 3)
	f.Register(t, v)
	keyed := beaconabci.NewProposalHandler(log.NewNopLogger(), f.Keeper, f.Staking, beaconabci.StaticKey(&v.Key), nil, nil, beaconabci.WithMetrics(&fakeMetrics{}))
	txs = prepare(t, keyed, ctx, v.Cons, nil, 10_000)
	if len(decode(t, txs[0]).Proof) == 0 || process(t, keyed, ctx, v.Cons, txs) != accept {
		t.Fatal("after registration: proven proposal not accepted")
	}
}

// TestGracePeriodWithoutABondedHeight: state from before the rule has no bonded height
// for a validator; its grace period starts at its first proposal, which ApplyBlock
// records.
func TestGracePeriodWithoutABondedHeight(t *testing.T) {
	f := testutil.NewFixture(t)
	setGrace(t, f, true, 2)
	v := f.NewValidator(t, 1)
	node := beaconabci.NewProposalHandler(log.NewNopLogger(), f.Keeper, f.Staking, nil, nil, nil, beaconabci.WithMetrics(&fakeMetrics{}))
	ctx := testutil.AtHeight(f.Ctx, 100)
	txs := prepare(t, node, ctx, v.Cons, nil, 10_000)
	if process(t, node, ctx, v.Cons, txs) != accept {
		t.Fatal("first proposal without a recorded bonded height rejected")
	}
	if err := f.Keeper.ApplyBlock(ctx, txs, v.Cons); err != nil {
		t.Fatal(err)
	}
	if h, ok, err := f.Keeper.GetBondedHeight(ctx, v.Valoper); err != nil || !ok || h != 100 {
		t.Fatalf("bonded height recorded at the first proposal: %d %v %v", h, ok, err)
	}
	if process(t, node, testutil.AtHeight(f.Ctx, 102), v.Cons, [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 102})}) != accept {
		t.Fatal("height 102 (grace until 102) rejected")
	}
	if process(t, node, testutil.AtHeight(f.Ctx, 103), v.Cons, [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 103})}) != reject {
		t.Fatal("height 103 accepted")
	}
}

// TestKeyCreatedAfterStart is the bug of issue 10: a node started without a key file,
// whose key is created and registered while it runs, proposes VRF beacons at its next
// proposal, without a restart; its readiness goes no_key_file -> not_registered ->
// ready, and ProcessProposal keeps it current for the node's own validator.
func TestKeyCreatedAfterStart(t *testing.T) {
	f := testutil.NewFixture(t)
	setGrace(t, f, true, 1_000)
	v := f.NewValidator(t, 1)
	other := f.NewValidator(t, 2)
	f.Register(t, other)
	bond(t, f, v, 0)

	path := vrf.DefaultKeyFile(t.TempDir())
	m := &fakeMetrics{}
	node := beaconabci.NewProposalHandler(log.NewNopLogger(), f.Keeper, f.Staking,
		beaconabci.NewFileKeySource(log.NewNopLogger(), path, ""), nil, nil,
		beaconabci.WithMetrics(m), beaconabci.WithNodeConsAddress(v.Cons))
	otherBlock := func(h int64) {
		ctx := testutil.AtHeight(f.Ctx, h)
		if process(t, node, ctx, other.Cons, [][]byte{f.Entry(t, ctx, other, h)}) != accept {
			t.Fatalf("height %d: the keyed validator's block rejected", h)
		}
	}

	otherBlock(1)
	if m.last() != types.ReadinessNoKeyFile {
		t.Fatalf("readiness %v, want no_key_file", m.last())
	}
	ctx := testutil.AtHeight(f.Ctx, 2)
	if txs := prepare(t, node, ctx, v.Cons, nil, 10_000); len(decode(t, txs[0]).Proof) != 0 {
		t.Fatal("proof without a key")
	}

	// `sovrad vrf init` while the node runs.
	if err := vrf.SaveKeyFile(path, v.Key); err != nil {
		t.Fatal(err)
	}
	otherBlock(3)
	if m.last() != types.ReadinessNotRegistered {
		t.Fatalf("readiness %v, want not_registered", m.last())
	}
	// `tx beacon register-vrf-key`.
	f.Register(t, v)
	otherBlock(4)
	if m.last() != types.ReadinessReady {
		t.Fatalf("readiness %v, want ready", m.last())
	}
	ctx = testutil.AtHeight(f.Ctx, 5)
	txs := prepare(t, node, ctx, v.Cons, nil, 10_000)
	e := decode(t, txs[0])
	if len(e.Proof) != vrf.ProofSize || process(t, node, ctx, v.Cons, txs) != accept {
		t.Fatalf("after the key was created and registered: entry %+v not a proof accepted", e)
	}
	if m.weak[types.ReadinessNoKeyFile] != 1 || len(m.weak) != 1 {
		t.Fatalf("weak proposals %v, want the one made before the key file existed", m.weak)
	}

	// A different key file than the registered one: key_mismatch, weak, rejected.
	if err := vrf.SaveKeyFile(path, other.Key); err != nil {
		t.Fatal(err)
	}
	ctx = testutil.AtHeight(f.Ctx, 6)
	txs = prepare(t, node, ctx, v.Cons, nil, 10_000)
	if m.last() != types.ReadinessKeyMismatch || len(decode(t, txs[0]).Proof) != 0 || process(t, node, ctx, v.Cons, txs) != reject {
		t.Fatalf("mismatched key file: readiness %v", m.last())
	}
}
