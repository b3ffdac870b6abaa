package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	"cosmossdk.io/core/header"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

const chainID = testutil.ChainID

func mustBeacon(t *testing.T, f *testutil.Fixture, ctx sdk.Context, h int64) types.Beacon {
	t.Helper()
	b, err := f.Keeper.GetBeacon(ctx, h)
	if err != nil {
		t.Fatalf("beacon %d: %v", h, err)
	}
	return b
}

func mustStats(t *testing.T, f *testutil.Fixture, ctx sdk.Context) types.Stats {
	t.Helper()
	s, err := f.Keeper.GetStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestApplyBlockStoresVRFBeacon(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	f.Register(t, v)

	ctx := testutil.AtHeight(f.Ctx, 1)
	entry := f.Entry(t, ctx, v, 1)
	if err := f.Keeper.ApplyBlock(ctx, [][]byte{entry, []byte("tx")}, v.Cons); err != nil {
		t.Fatal(err)
	}
	b := mustBeacon(t, f, ctx, 1)
	if b.Weak || b.Proposer != v.Valoper || len(b.Proof) != vrf.ProofSize {
		t.Fatalf("unexpected beacon %+v", b)
	}
	wantOut, ok := vrf.Verify(v.Key.PubKey(), b.Proof, vrf.BeaconInput(chainID, 1, vrf.GenesisSeed(chainID)))
	if !ok || !bytes.Equal(wantOut, b.Output) {
		t.Fatalf("output %x is not the VRF output over the genesis seed", b.Output)
	}
	if s := mustStats(t, f, ctx); s.VrfHeights != 1 || s.WeakHeights != 0 || s.LastWeakHeight != 0 {
		t.Fatalf("stats %+v", s)
	}
	latest, err := f.Keeper.LatestBeacon(ctx)
	if err != nil || latest.Height != 1 {
		t.Fatalf("latest %+v %v", latest, err)
	}

	evs, err := types.ParseEvents(ctx.EventManager().ABCIEvents())
	if err != nil {
		t.Fatal(err)
	}
	want := &types.EventBeacon{Height: 1, Output: b.Output, Proposer: v.Valoper}
	if len(evs) != 1 || !proto.Equal(evs[0], want) {
		t.Fatalf("events %v, want %v", evs, want)
	}
}

func TestApplyBlockChainsConsecutiveHeights(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	w := f.NewValidator(t, 2)
	f.Register(t, v)
	f.Register(t, w)

	proposers := []testutil.Validator{v, w, v}
	for i, p := range proposers {
		h := int64(i + 1)
		ctx := testutil.AtHeight(f.Ctx, h)
		if err := f.Keeper.ApplyBlock(ctx, [][]byte{f.Entry(t, ctx, p, h)}, p.Cons); err != nil {
			t.Fatal(err)
		}
	}
	for h := int64(2); h <= 3; h++ {
		prev := mustBeacon(t, f, f.Ctx, h-1)
		cur := mustBeacon(t, f, f.Ctx, h)
		p := proposers[h-1]
		out, ok := vrf.Verify(p.Key.PubKey(), cur.Proof, vrf.BeaconInput(chainID, h, prev.Output))
		if !ok || !bytes.Equal(out, cur.Output) || cur.Weak {
			t.Fatalf("beacon %d does not chain from beacon %d", h, h-1)
		}
		if bytes.Equal(cur.Output, prev.Output) {
			t.Fatal("consecutive outputs are equal")
		}
	}
	// A proof made over the genesis seed instead of beacon(3) is not accepted at height 4.
	ctx := testutil.AtHeight(f.Ctx, 4)
	stale, _ := v.Key.Prove(vrf.BeaconInput(chainID, 4, vrf.GenesisSeed(chainID)))
	if err := f.Keeper.ApplyBlock(ctx, [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 4, Proof: stale})}, v.Cons); err != nil {
		t.Fatal(err)
	}
	if b := mustBeacon(t, f, ctx, 4); !b.Weak {
		t.Fatal("proof over the wrong previous beacon was accepted")
	}
	if s := mustStats(t, f, ctx); s.VrfHeights != 3 || s.WeakHeights != 1 || s.LastWeakHeight != 4 {
		t.Fatalf("stats %+v", s)
	}
}

func TestApplyBlockWeakBeacons(t *testing.T) {
	const h = int64(7)
	other, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{99}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		register bool
		cons     func(v testutil.Validator) sdk.ConsAddress
		txs      func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte
	}{
		{
			name: "keyless proposer with a weak entry", register: false,
			txs: func(_ *testing.T, _ *testutil.Fixture, _ sdk.Context, _ testutil.Validator) [][]byte {
				return [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: h})}
			},
		},
		{
			name: "keyless proposer with a proof", register: false,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				return [][]byte{f.Entry(t, ctx, v, h)}
			},
		},
		{
			name: "no txs", register: true,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte { return nil },
		},
		{
			name: "first tx is not an entry", register: true,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				return [][]byte{[]byte("a tx"), f.Entry(t, ctx, v, h)}
			},
		},
		{
			name: "malformed entry", register: true,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{append([]byte(types.EntryPrefix), 0xff, 0xff, 0xff)}
			},
		},
		{
			name: "oversized entry", register: true,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{append([]byte(types.EntryPrefix), make([]byte, 1<<20)...)}
			},
		},
		{
			name: "entry for another height", register: true,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h+1)
				proof, _ := v.Key.Prove(alpha)
				return [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: h + 1, Proof: proof})}
			},
		},
		{
			name: "valid proof in an entry labelled with another height", register: true,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h)
				proof, _ := v.Key.Prove(alpha)
				return [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: h + 1, Proof: proof})}
			},
		},
		{
			name: "keyed proposer without proof", register: true,
			txs: func(*testing.T, *testutil.Fixture, sdk.Context, testutil.Validator) [][]byte {
				return [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: h})}
			},
		},
		{
			name: "proof by another key", register: true,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, _ testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h)
				proof, _ := other.Prove(alpha)
				return [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: h, Proof: proof})}
			},
		},
		{
			name: "proof over another chain id", register: true,
			txs: func(t *testing.T, _ *testutil.Fixture, _ sdk.Context, v testutil.Validator) [][]byte {
				proof, _ := v.Key.Prove(vrf.BeaconInput("other-chain", h, vrf.GenesisSeed(chainID)))
				return [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: h, Proof: proof})}
			},
		},
		{
			name: "truncated proof", register: true,
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				alpha, _ := f.Keeper.BeaconAlpha(ctx, chainID, h)
				proof, _ := v.Key.Prove(alpha)
				return [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: h, Proof: proof[:79]})}
			},
		},
		{
			name: "unknown proposer", register: true,
			cons: func(testutil.Validator) sdk.ConsAddress { return sdk.ConsAddress(bytes.Repeat([]byte{0x42}, 20)) },
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				return [][]byte{f.Entry(t, ctx, v, h)}
			},
		},
		{
			name: "empty proposer address", register: true,
			cons: func(testutil.Validator) sdk.ConsAddress { return nil },
			txs: func(t *testing.T, f *testutil.Fixture, ctx sdk.Context, v testutil.Validator) [][]byte {
				return [][]byte{f.Entry(t, ctx, v, h)}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			v := f.NewValidator(t, 1)
			if tc.register {
				f.Register(t, v)
			}
			// A stored previous beacon, so the weak value must chain from it.
			prevOut := bytes.Repeat([]byte{0x5a}, vrf.OutputSize)
			if err := f.Keeper.Beacons.Set(f.Ctx, h-1, types.Beacon{Height: h - 1, Output: prevOut, Weak: true}); err != nil {
				t.Fatal(err)
			}
			ctx := testutil.AtHeight(f.Ctx, h)
			cons := v.Cons
			if tc.cons != nil {
				cons = tc.cons(v)
			}
			if err := f.Keeper.ApplyBlock(ctx, tc.txs(t, f, ctx, v), cons); err != nil {
				t.Fatalf("ApplyBlock must not fail on bad input: %v", err)
			}
			b := mustBeacon(t, f, ctx, h)
			if !b.Weak || len(b.Proof) != 0 {
				t.Fatalf("expected a weak beacon, got %+v", b)
			}
			if !bytes.Equal(b.Output, vrf.WeakOutput(chainID, h, prevOut)) {
				t.Fatalf("weak output %x is not the hash chain value", b.Output)
			}
			if s := mustStats(t, f, ctx); s.WeakHeights != 1 || s.VrfHeights != 0 || s.LastWeakHeight != h {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func TestApplyBlockUsesGenesisSeedWithoutPreviousBeacon(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	f.Register(t, v)
	ctx := testutil.AtHeight(f.Ctx, 42) // e.g. a chain with initial_height 42
	proof, _ := v.Key.Prove(vrf.BeaconInput(chainID, 42, vrf.GenesisSeed(chainID)))
	if err := f.Keeper.ApplyBlock(ctx, [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 42, Proof: proof})}, v.Cons); err != nil {
		t.Fatal(err)
	}
	if b := mustBeacon(t, f, ctx, 42); b.Weak {
		t.Fatal("first beacon did not chain from the genesis seed")
	}

	g := testutil.NewFixture(t)
	ctx = testutil.AtHeight(g.Ctx, 1)
	if err := g.Keeper.ApplyBlock(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if b := mustBeacon(t, g, ctx, 1); !bytes.Equal(b.Output, vrf.WeakOutput(chainID, 1, vrf.GenesisSeed(chainID))) {
		t.Fatal("weak first beacon did not chain from the genesis seed")
	}
}

func TestApplyBlockReadsChainIDFromHeaderInfo(t *testing.T) {
	// At the initial height the SDK's proposal contexts carry the chain id only in the
	// header info; keeper.ChainID must find it there.
	f := testutil.NewFixture(t)
	ctx := f.Ctx.WithChainID("").WithHeaderInfo(header.Info{ChainID: chainID, Height: 1})
	if got := keeper.ChainID(ctx); got != chainID {
		t.Fatalf("ChainID = %q", got)
	}
	ctx = f.Ctx.WithChainID(chainID).WithHeaderInfo(header.Info{})
	if got := keeper.ChainID(ctx); got != chainID {
		t.Fatalf("ChainID fallback = %q", got)
	}
}

func TestApplyBlockPrunesHistory(t *testing.T) {
	f := testutil.NewFixture(t)
	if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(3, true, types.DefaultVRFGraceBlocks)); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= 6; h++ {
		if err := f.Keeper.ApplyBlock(testutil.AtHeight(f.Ctx, h), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	assertHeights(t, f, 4, 6)

	// Shrinking the window drains the backlog, a bounded number per block.
	if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(200, true, types.DefaultVRFGraceBlocks)); err != nil {
		t.Fatal(err)
	}
	for h := int64(7); h <= 150; h++ {
		if err := f.Keeper.ApplyBlock(testutil.AtHeight(f.Ctx, h), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	assertHeights(t, f, 4, 150)
	if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(2, true, types.DefaultVRFGraceBlocks)); err != nil {
		t.Fatal(err)
	}
	if err := f.Keeper.ApplyBlock(testutil.AtHeight(f.Ctx, 151), nil, nil); err != nil {
		t.Fatal(err)
	}
	first := firstHeight(t, f)
	if first <= 4 || first >= 150 {
		t.Fatalf("after one block the oldest beacon is %d; expected a partial, bounded prune", first)
	}
	for h := int64(152); h <= 155; h++ {
		if err := f.Keeper.ApplyBlock(testutil.AtHeight(f.Ctx, h), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	assertHeights(t, f, 154, 155)
	if _, err := f.Keeper.GetBeacon(f.Ctx, 153); !errors.Is(err, types.ErrBeaconNotFound) {
		t.Fatalf("pruned beacon: %v", err)
	}
}

func TestApplyBlockWithoutStoredParamsUsesDefaults(t *testing.T) {
	f := testutil.NewFixture(t)
	if err := f.Keeper.Params.Remove(f.Ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Keeper.ApplyBlock(testutil.AtHeight(f.Ctx, 1), nil, nil); err != nil {
		t.Fatal(err)
	}
	mustBeacon(t, f, f.Ctx, 1)
}

func TestLatestBeaconNotFound(t *testing.T) {
	f := testutil.NewFixture(t)
	if _, err := f.Keeper.LatestBeacon(f.Ctx); !errors.Is(err, types.ErrBeaconNotFound) {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.Keeper.GetBeacon(f.Ctx, 1); !errors.Is(err, types.ErrBeaconNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func firstHeight(t *testing.T, f *testutil.Fixture) int64 {
	t.Helper()
	it, err := f.Keeper.Beacons.Iterate(f.Ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.Valid() {
		t.Fatal("no beacons")
	}
	h, err := it.Key()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// assertHeights checks that exactly the heights from..to are stored.
func assertHeights(t *testing.T, f *testutil.Fixture, from, to int64) {
	t.Helper()
	var got []int64
	if err := f.Keeper.Beacons.Walk(f.Ctx, nil, func(h int64, _ types.Beacon) (bool, error) {
		got = append(got, h)
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	if int64(len(got)) != to-from+1 || got[0] != from || got[len(got)-1] != to {
		t.Fatalf("stored heights %v, want %d..%d", got, from, to)
	}
}
