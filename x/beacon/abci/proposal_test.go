package abci_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"cosmossdk.io/log/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"

	beaconabci "github.com/sovra-network/sovra/x/beacon/abci"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

const chainID = testutil.ChainID

// recorder is a wrapped handler pair that records what it was given.
type recorder struct {
	prepareReq   *abci.RequestPrepareProposal
	processReq   *abci.RequestProcessProposal
	prepareErr   error
	prepareExtra [][]byte // txs the wrapped PrepareProposal adds
	processCalls int
	reject       bool
}

func (r *recorder) prepare(_ sdk.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	r.prepareReq = req
	if r.prepareErr != nil {
		return nil, r.prepareErr
	}
	return &abci.ResponsePrepareProposal{Txs: append(append([][]byte{}, req.Txs...), r.prepareExtra...)}, nil
}

func (r *recorder) process(_ sdk.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	r.processReq = req
	r.processCalls++
	if r.reject {
		return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

func newHandler(f *testutil.Fixture, key *vrf.PrivateKey, r *recorder) *beaconabci.ProposalHandler {
	return beaconabci.NewProposalHandler(log.NewNopLogger(), f.Keeper, f.Staking, beaconabci.StaticKey(key), r.prepare, r.process)
}

func prepare(t *testing.T, h *beaconabci.ProposalHandler, ctx sdk.Context, proposer sdk.ConsAddress, txs [][]byte, maxBytes int64) [][]byte {
	t.Helper()
	resp, err := h.PrepareProposal()(ctx, &abci.RequestPrepareProposal{
		Height: ctx.BlockHeight(), ProposerAddress: proposer, Txs: txs, MaxTxBytes: maxBytes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Txs
}

func process(t *testing.T, h *beaconabci.ProposalHandler, ctx sdk.Context, proposer sdk.ConsAddress, txs [][]byte) abci.ResponseProcessProposal_ProposalStatus {
	t.Helper()
	resp, err := h.ProcessProposal()(ctx, &abci.RequestProcessProposal{
		Height: ctx.BlockHeight(), ProposerAddress: proposer, Txs: txs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Status
}

func decode(t *testing.T, tx []byte) types.BeaconEntry {
	t.Helper()
	e, err := beaconabci.DecodeEntry(tx)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const accept, reject = abci.ResponseProcessProposal_ACCEPT, abci.ResponseProcessProposal_REJECT

func TestPrepareProposalWithRegisteredKey(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	f.Register(t, v)
	r := &recorder{prepareExtra: [][]byte{[]byte("tx-from-mempool")}}
	h := newHandler(f, &v.Key, r)
	ctx := testutil.AtHeight(f.Ctx, 1)

	stray := testutil.MustEncodeEntry(types.BeaconEntry{Height: 1})
	txs := prepare(t, h, ctx, v.Cons, [][]byte{[]byte("a"), stray, []byte("b")}, 10_000)

	entry := decode(t, txs[0])
	if entry.Height != 1 || len(entry.Proof) != vrf.ProofSize {
		t.Fatalf("entry %+v", entry)
	}
	if _, ok := vrf.Verify(v.Key.PubKey(), entry.Proof, vrf.BeaconInput(chainID, 1, vrf.GenesisSeed(chainID))); !ok {
		t.Fatal("entry proof does not verify")
	}
	want := [][]byte{txs[0], []byte("a"), []byte("b"), []byte("tx-from-mempool")}
	if len(txs) != len(want) {
		t.Fatalf("txs %q", txs)
	}
	for i := range want {
		if !bytes.Equal(txs[i], want[i]) {
			t.Fatalf("txs[%d] = %q, want %q", i, txs[i], want[i])
		}
	}
	// The wrapped handler saw no entry and a budget reduced by the entry's size.
	for _, tx := range r.prepareReq.Txs {
		if beaconabci.IsEntry(tx) {
			t.Fatal("wrapped PrepareProposal was given a beacon entry")
		}
	}
	entrySize := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{txs[0]})
	if r.prepareReq.MaxTxBytes != 10_000-entrySize {
		t.Fatalf("wrapped MaxTxBytes = %d, want %d", r.prepareReq.MaxTxBytes, 10_000-entrySize)
	}
	if status := process(t, h, ctx, v.Cons, txs); status != accept {
		t.Fatal("own proposal rejected")
	}
}

func TestPrepareProposalWeakEntries(t *testing.T) {
	other, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{50}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		register bool
		key      func(v testutil.Validator) *vrf.PrivateKey
	}{
		{"keyless proposer, node without key", false, func(testutil.Validator) *vrf.PrivateKey { return nil }},
		{"keyless proposer, node with key", false, func(v testutil.Validator) *vrf.PrivateKey { return &v.Key }},
		{"registered proposer, node without key", true, func(testutil.Validator) *vrf.PrivateKey { return nil }},
		{"registered proposer, node with another key", true, func(testutil.Validator) *vrf.PrivateKey { return &other }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			v := f.NewValidator(t, 1)
			if tc.register {
				f.Register(t, v)
			}
			h := newHandler(f, tc.key(v), &recorder{})
			ctx := testutil.AtHeight(f.Ctx, 3)
			txs := prepare(t, h, ctx, v.Cons, nil, 10_000)
			if len(txs) != 1 {
				t.Fatalf("txs %q", txs)
			}
			if e := decode(t, txs[0]); e.Height != 3 || len(e.Proof) != 0 {
				t.Fatalf("expected a weak entry, got %+v", e)
			}
		})
	}
}

func TestPrepareProposalWrappedHandlerFails(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	f.Register(t, v)
	h := newHandler(f, &v.Key, &recorder{prepareErr: errors.New("mempool broke")})
	ctx := testutil.AtHeight(f.Ctx, 1)
	txs := prepare(t, h, ctx, v.Cons, [][]byte{[]byte("a")}, 10_000)
	if len(txs) != 1 || !beaconabci.IsEntry(txs[0]) {
		t.Fatalf("expected the entry alone, got %q", txs)
	}
	if process(t, h, ctx, v.Cons, txs) != accept {
		t.Fatal("entry-only block rejected")
	}
}

func TestPrepareProposalRespectsMaxTxBytes(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	f.Register(t, v)
	// The wrapped handler ignores its budget; the result must still fit.
	big := bytes.Repeat([]byte{'x'}, 450) // entry (~100 bytes) + two of these exceed 1000
	h := newHandler(f, &v.Key, &recorder{prepareExtra: [][]byte{big, big, big}})
	ctx := testutil.AtHeight(f.Ctx, 1)
	const maxBytes = 1000
	txs := prepare(t, h, ctx, v.Cons, nil, maxBytes)
	var list []cmttypes.Tx
	for _, tx := range txs {
		list = append(list, tx)
	}
	if size := cmttypes.ComputeProtoSizeForTxs(list); size > maxBytes {
		t.Fatalf("proposal is %d bytes, limit %d", size, maxBytes)
	}
	if len(txs) != 2 || !beaconabci.IsEntry(txs[0]) {
		t.Fatalf("expected entry + one tx, got %d txs", len(txs))
	}

	// The default (nil) wrapped handler also keeps within the budget.
	h = beaconabci.NewProposalHandler(log.NewNopLogger(), f.Keeper, f.Staking, beaconabci.StaticKey(&v.Key), nil, nil)
	txs = prepare(t, h, ctx, v.Cons, [][]byte{big, big, big}, maxBytes)
	if len(txs) != 2 || !beaconabci.IsEntry(txs[0]) {
		t.Fatalf("default handler: expected entry + one tx, got %d txs", len(txs))
	}
}

func TestProcessProposal(t *testing.T) {
	const h = int64(4)
	other, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{60}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	entryWith := func(height int64, proof []byte) []byte {
		return testutil.MustEncodeEntry(types.BeaconEntry{Height: height, Proof: proof})
	}
	cases := []struct {
		name       string
		register   bool
		requireVRF bool
		txs        func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte
		want       abci.ResponseProcessProposal_ProposalStatus
	}{
		{
			name: "valid entry", register: true, requireVRF: true, want: accept,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				return [][]byte{f.Entry(t, ctx, v, h), []byte("tx1"), []byte("tx2")}
			},
		},
		{
			name: "proof by the wrong key", register: true, requireVRF: true, want: reject,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, _ testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h)
				proof, _ := other.Prove(alpha)
				return [][]byte{entryWith(h, proof)}
			},
		},
		{
			name: "proof by the wrong key, require_vrf off", register: true, requireVRF: false, want: reject,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, _ testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h)
				proof, _ := other.Prove(alpha)
				return [][]byte{entryWith(h, proof)}
			},
		},
		{
			name: "proof over the wrong previous beacon", register: true, requireVRF: true, want: reject,
			txs: func(_ *testing.T, _ *testutil.Fixture, _ sdk.Context, v testutil.Validator) [][]byte {
				proof, _ := v.Key.Prove(vrf.BeaconInput(chainID, h, vrf.GenesisSeed(chainID)))
				return [][]byte{entryWith(h, proof)}
			},
		},
		{
			name: "missing entry: no txs", register: true, requireVRF: true, want: reject,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte { return nil },
		},
		{
			name: "missing entry: a tx first", register: true, requireVRF: true, want: reject,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				return [][]byte{[]byte("tx1"), f.Entry(t, ctx, v, h)}
			},
		},
		{
			name: "missing entry, keyless proposer", register: false, requireVRF: true, want: reject,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{[]byte("tx1")}
			},
		},
		{
			name: "entry for another height", register: true, requireVRF: true, want: reject,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h+1)
				proof, _ := v.Key.Prove(alpha)
				return [][]byte{entryWith(h+1, proof)}
			},
		},
		{
			name: "valid proof in an entry labelled with another height", register: true, requireVRF: true, want: reject,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h)
				proof, _ := v.Key.Prove(alpha)
				return [][]byte{entryWith(h+1, proof)}
			},
		},
		{
			name: "malformed entry", register: false, requireVRF: true, want: reject,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{append([]byte(types.EntryPrefix), 0x08)}
			},
		},
		{
			name: "non-canonical entry (trailing unknown field)", register: false, requireVRF: true, want: reject,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{append(entryWith(h, nil), 0x18, 0x01)}
			},
		},
		{
			name: "second entry", register: true, requireVRF: true, want: reject,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				e := f.Entry(t, ctx, v, h)
				return [][]byte{e, []byte("tx1"), e}
			},
		},
		{
			name: "keyed proposer, weak entry, require_vrf on", register: true, requireVRF: true, want: reject,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{entryWith(h, nil)}
			},
		},
		{
			name: "keyed proposer, weak entry, require_vrf off", register: true, requireVRF: false, want: accept,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{entryWith(h, nil)}
			},
		},
		{
			name: "keyless proposer, weak entry", register: false, requireVRF: true, want: accept,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{entryWith(h, nil), []byte("tx1")}
			},
		},
		{
			name: "keyless proposer with a proof", register: false, requireVRF: true, want: reject,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				return [][]byte{f.Entry(t, ctx, v, h)}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(100, tc.requireVRF, types.DefaultVRFGraceBlocks)); err != nil {
				t.Fatal(err)
			}
			v := f.NewValidator(t, 1)
			if tc.register {
				f.Register(t, v)
			}
			// A previous beacon so the input is not the genesis seed.
			prev := types.Beacon{Height: h - 1, Output: bytes.Repeat([]byte{9}, vrf.OutputSize), Weak: true}
			if err := f.Keeper.Beacons.Set(f.Ctx, h-1, prev); err != nil {
				t.Fatal(err)
			}
			r := &recorder{}
			hd := newHandler(f, nil, r) // a validating node's own key plays no role
			ctx := testutil.AtHeight(f.Ctx, h)
			txs := tc.txs(t, f, ctx, v)
			if got := process(t, hd, ctx, v.Cons, txs); got != tc.want {
				t.Fatalf("status %v, want %v", got, tc.want)
			}
			if tc.want == reject {
				if r.processCalls != 0 {
					t.Fatal("wrapped ProcessProposal ran on a rejected block")
				}
				return
			}
			// The wrapped handler saw the block without the entry.
			if r.processCalls != 1 || len(r.processReq.Txs) != len(txs)-1 {
				t.Fatalf("wrapped handler got %d txs", len(r.processReq.Txs))
			}
			for i, tx := range r.processReq.Txs {
				if !bytes.Equal(tx, txs[i+1]) {
					t.Fatalf("wrapped txs[%d] differs", i)
				}
			}
			// What ProcessProposal accepted, ApplyBlock stores, weak exactly when unproven.
			if err := f.Keeper.ApplyBlock(ctx, txs, v.Cons); err != nil {
				t.Fatal(err)
			}
			b, err := f.Keeper.GetBeacon(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if b.Weak != (len(decode(t, txs[0]).Proof) == 0) {
				t.Fatalf("stored beacon weak=%v for entry %+v", b.Weak, decode(t, txs[0]))
			}
		})
	}
}

func TestProcessProposalPropagatesWrappedReject(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	hd := newHandler(f, nil, &recorder{reject: true})
	ctx := testutil.AtHeight(f.Ctx, 1)
	txs := [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 1}), []byte("bad tx")}
	if process(t, hd, ctx, v.Cons, txs) != reject {
		t.Fatal("wrapped reject ignored")
	}
}

func TestKeylessProposerWeakBeaconStored(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	hd := newHandler(f, nil, &recorder{})
	ctx := testutil.AtHeight(f.Ctx, 1)
	txs := prepare(t, hd, ctx, v.Cons, [][]byte{[]byte("tx")}, 10_000)
	if process(t, hd, ctx, v.Cons, txs) != accept {
		t.Fatal("weak entry of a keyless proposer rejected")
	}
	if err := f.Keeper.ApplyBlock(ctx, txs, v.Cons); err != nil {
		t.Fatal(err)
	}
	b, err := f.Keeper.GetBeacon(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Weak || b.Proposer != v.Valoper || !bytes.Equal(b.Output, vrf.WeakOutput(chainID, 1, vrf.GenesisSeed(chainID))) {
		t.Fatalf("beacon %+v", b)
	}
	s, _ := f.Keeper.GetStats(ctx)
	if s.WeakHeights != 1 || s.LastWeakHeight != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestBlocksChainAndPrune drives Prepare -> Process -> ApplyBlock over several heights
// with proposers taking turns, checks that every beacon chains from the previous one
// and that only history_window beacons are kept.
func TestBlocksChainAndPrune(t *testing.T) {
	f := testutil.NewFixture(t)
	if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(3, true, types.DefaultVRFGraceBlocks)); err != nil {
		t.Fatal(err)
	}
	vals := []testutil.Validator{f.NewValidator(t, 1), f.NewValidator(t, 2), f.NewValidator(t, 3)}
	f.Register(t, vals[0])
	f.Register(t, vals[1]) // vals[2] stays keyless
	nodes := make([]*beaconabci.ProposalHandler, len(vals))
	for i := range vals {
		nodes[i] = newHandler(f, &vals[i].Key, &recorder{})
	}
	validator := newHandler(f, nil, &recorder{})

	prevOut := vrf.GenesisSeed(chainID)
	for height := int64(1); height <= 8; height++ {
		i := int(height) % len(vals)
		p := vals[i]
		ctx := testutil.AtHeight(f.Ctx, height)
		txs := prepare(t, nodes[i], ctx, p.Cons, [][]byte{[]byte("tx")}, 10_000)
		if process(t, validator, ctx, p.Cons, txs) != accept {
			t.Fatalf("height %d: proposal rejected", height)
		}
		if err := f.Keeper.ApplyBlock(ctx, txs, p.Cons); err != nil {
			t.Fatal(err)
		}
		b, err := f.Keeper.GetBeacon(ctx, height)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if !b.Weak || !bytes.Equal(b.Output, vrf.WeakOutput(chainID, height, prevOut)) {
				t.Fatalf("height %d: keyless proposer did not produce the weak hash chain value", height)
			}
		} else {
			out, ok := vrf.Verify(p.Key.PubKey(), b.Proof, vrf.BeaconInput(chainID, height, prevOut))
			if b.Weak || !ok || !bytes.Equal(out, b.Output) {
				t.Fatalf("height %d: beacon does not chain from height %d", height, height-1)
			}
		}
		prevOut = b.Output
	}
	for height := int64(1); height <= 8; height++ {
		_, err := f.Keeper.GetBeacon(f.Ctx, height)
		if kept := height > 5; kept != (err == nil) {
			t.Fatalf("height %d: kept=%v err=%v", height, kept, err)
		}
	}
	s, _ := f.Keeper.GetStats(f.Ctx)
	if s.VrfHeights+s.WeakHeights != 8 || s.WeakHeights != 3 || s.LastWeakHeight != 8 {
		t.Fatalf("stats %+v", s)
	}
}

func TestWrapTxDecoder(t *testing.T) {
	var seen []byte
	inner := func(bz []byte) (sdk.Tx, error) { seen = bz; return nil, nil }
	dec := beaconabci.WrapTxDecoder(inner)
	entry := testutil.MustEncodeEntry(types.BeaconEntry{Height: 1})
	_, err := dec(entry)
	if err == nil || !strings.Contains(err.Error(), "beacon entries are added by the block proposer and cannot be sent as transactions") {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, beaconabci.ErrEntryAsTx) || seen != nil {
		t.Fatal("entry reached the inner decoder")
	}
	if _, err := dec([]byte{0x0a, 0x00}); err != nil || !bytes.Equal(seen, []byte{0x0a, 0x00}) {
		t.Fatal("a normal tx did not reach the inner decoder")
	}
}

func TestEntryEncoding(t *testing.T) {
	e := types.BeaconEntry{Height: 12345, Proof: bytes.Repeat([]byte{7}, vrf.ProofSize)}
	bz, err := beaconabci.EncodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	if bz[0] != 0x00 || !strings.HasPrefix(string(bz), beaconabci.EntryPrefix) || !beaconabci.IsEntry(bz) {
		t.Fatalf("bad prefix: %x", bz)
	}
	got, err := beaconabci.DecodeEntry(bz)
	if err != nil || got.Height != e.Height || !bytes.Equal(got.Proof, e.Proof) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"no prefix":      bz[1:],
		"truncated":      bz[:len(bz)-1],
		"trailing bytes": append(bytes.Clone(bz), 0x00),
		"oversized":      append([]byte(beaconabci.EntryPrefix), make([]byte, types.MaxEntrySize)...),
	} {
		if _, err := beaconabci.DecodeEntry(bad); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if beaconabci.IsEntry([]byte{0x0a, 0x01}) || beaconabci.IsEntry(nil) {
		t.Fatal("IsEntry matched a non-entry")
	}
}

func FuzzDecodeEntry(f *testing.F) {
	bz, _ := beaconabci.EncodeEntry(types.BeaconEntry{Height: 3, Proof: make([]byte, vrf.ProofSize)})
	f.Add(bz)
	f.Add([]byte(beaconabci.EntryPrefix))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := beaconabci.DecodeEntry(data)
		if err != nil {
			return
		}
		again, err := beaconabci.EncodeEntry(e)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded entry does not re-encode to the same bytes")
		}
	})
}
