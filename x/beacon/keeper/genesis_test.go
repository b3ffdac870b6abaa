package keeper_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

func TestGenesisRoundTrip(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	w := f.NewValidator(t, 2)
	f.Register(t, v)
	f.Register(t, w)
	for h := int64(1); h <= 4; h++ {
		ctx := testutil.AtHeight(f.Ctx, h)
		if h == 1 || h == 3 { // v bonded at 1, w at 3 (and again at 4: the first bonding counts)
			bonded := map[int64]testutil.Validator{1: v, 3: w}[h]
			if err := f.Keeper.Hooks().AfterValidatorBonded(ctx, bonded.Cons, sdk.ValAddress(bonded.Operator)); err != nil {
				t.Fatal(err)
			}
		}
		if h == 4 {
			if err := f.Keeper.Hooks().AfterValidatorBonded(ctx, w.Cons, sdk.ValAddress(w.Operator)); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Keeper.ApplyBlock(ctx, [][]byte{f.Entry(t, ctx, v, h)}, v.Cons); err != nil {
			t.Fatal(err)
		}
	}
	exported, err := f.Keeper.ExportGenesis(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := exported.Validate(); err != nil {
		t.Fatalf("exported genesis is invalid: %v", err)
	}
	if len(exported.VrfKeys) != 2 || len(exported.VrfKeyProofs) != 2 || len(exported.Beacons) != 4 || exported.Stats.VrfHeights != 4 {
		t.Fatalf("exported %+v", exported)
	}
	wantBonded := []types.BondedHeight{{Validator: v.Valoper, Height: 1}, {Validator: w.Valoper, Height: 3}}
	if v.Valoper > w.Valoper {
		wantBonded[0], wantBonded[1] = wantBonded[1], wantBonded[0]
	}
	if fmt.Sprint(exported.BondedHeights) != fmt.Sprint(wantBonded) {
		t.Fatalf("exported bonded heights %v, want %v (ordered by operator)", exported.BondedHeights, wantBonded)
	}

	g := testutil.NewFixture(t)
	g.NewValidator(t, 1) // same deterministic validator in the new chain's staking
	if err := g.Keeper.InitGenesis(g.Ctx, exported); err != nil {
		t.Fatal(err)
	}
	again, err := g.Keeper.ExportGenesis(g.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if exported.String() != again.String() {
		t.Fatalf("round trip differs:\n%v\n%v", exported, again)
	}
	// The imported chain continues from the imported beacons.
	ctx := testutil.AtHeight(g.Ctx, 5)
	if err := g.Keeper.ApplyBlock(ctx, [][]byte{g.Entry(t, ctx, v, 5)}, v.Cons); err != nil {
		t.Fatal(err)
	}
	b, err := g.Keeper.GetBeacon(ctx, 5)
	if err != nil || b.Weak {
		t.Fatalf("beacon 5 after import: %+v %v", b, err)
	}
}

func TestDefaultGenesis(t *testing.T) {
	gs := types.DefaultGenesis()
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
	f := testutil.NewFixture(t)
	if err := f.Keeper.InitGenesis(f.Ctx, gs); err != nil {
		t.Fatal(err)
	}
}

func TestInitGenesisRejects(t *testing.T) {
	base := func(t *testing.T) (*testutil.Fixture, *types.GenesisState, testutil.Validator) {
		f := testutil.NewFixture(t)
		v := f.NewValidator(t, 1)
		gs := types.DefaultGenesis()
		gs.VrfKeys = []types.VRFKey{{Validator: v.Valoper, PubKey: v.Key.PubKey()}}
		gs.VrfKeyProofs = [][]byte{v.PossessionProof()}
		return f, gs, v
	}
	other, _ := vrf.NewKeyFromSeed(bytes.Repeat([]byte{66}, vrf.SeedSize))
	cases := []struct {
		name   string
		mutate func(f *testutil.Fixture, gs *types.GenesisState, v testutil.Validator)
		err    error
		msg    string
	}{
		{"proof for another chain id", func(_ *testutil.Fixture, gs *types.GenesisState, v testutil.Validator) {
			gs.VrfKeyProofs[0], _ = v.Key.Prove(vrf.PossessionInput("other-chain", v.Valoper))
		}, types.ErrInvalidProof, "another chain id"},
		{"proof by another key", func(_ *testutil.Fixture, gs *types.GenesisState, v testutil.Validator) {
			gs.VrfKeyProofs[0], _ = other.Prove(vrf.PossessionInput(testutil.ChainID, v.Valoper))
		}, types.ErrInvalidProof, ""},
		{"missing proof", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.VrfKeyProofs = nil
		}, types.ErrInvalidGenesis, "vrf_key_proofs"},
		{"short proof", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.VrfKeyProofs[0] = gs.VrfKeyProofs[0][:10]
		}, types.ErrInvalidGenesis, "vrf_key_proofs[0]"},
		{"duplicate validator", func(_ *testutil.Fixture, gs *types.GenesisState, v testutil.Validator) {
			proof, _ := other.Prove(vrf.PossessionInput(testutil.ChainID, v.Valoper))
			gs.VrfKeys = append(gs.VrfKeys, types.VRFKey{Validator: v.Valoper, PubKey: other.PubKey()})
			gs.VrfKeyProofs = append(gs.VrfKeyProofs, proof)
		}, types.ErrInvalidGenesis, "more than one key"},
		{"duplicate public key", func(f *testutil.Fixture, gs *types.GenesisState, v testutil.Validator) {
			w := f.NewValidator(t, 2)
			proof, _ := v.Key.Prove(vrf.PossessionInput(testutil.ChainID, w.Valoper))
			gs.VrfKeys = append(gs.VrfKeys, types.VRFKey{Validator: w.Valoper, PubKey: v.Key.PubKey()})
			gs.VrfKeyProofs = append(gs.VrfKeyProofs, proof)
		}, types.ErrInvalidGenesis, "two validators"},
		{"account address as validator", func(_ *testutil.Fixture, gs *types.GenesisState, v testutil.Validator) {
			gs.VrfKeys[0].Validator = v.Operator.String()
		}, types.ErrInvalidGenesis, "validator operator address"},
		{"bad public key", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.VrfKeys[0].PubKey = []byte{1, 2, 3}
		}, types.ErrInvalidVRFKey, ""},
		{"zero history window", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.Params.HistoryWindow = 0
		}, types.ErrInvalidParams, ""},
		{"beacon with short output", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.Beacons = []types.Beacon{{Height: 1, Output: []byte{1}, Weak: true}}
		}, types.ErrInvalidGenesis, "output"},
		{"beacon at height zero", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.Beacons = []types.Beacon{{Height: 0, Output: make([]byte, 64), Weak: true}}
		}, types.ErrInvalidGenesis, "height"},
		{"weak beacon with proof", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.Beacons = []types.Beacon{{Height: 1, Output: make([]byte, 64), Weak: true, Proof: make([]byte, 80)}}
		}, types.ErrInvalidGenesis, "weak"},
		{"vrf beacon without proof", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			gs.Beacons = []types.Beacon{{Height: 1, Output: make([]byte, 64)}}
		}, types.ErrInvalidGenesis, "proof"},
		{"duplicate beacon height", func(_ *testutil.Fixture, gs *types.GenesisState, _ testutil.Validator) {
			b := types.Beacon{Height: 1, Output: make([]byte, 64), Weak: true}
			gs.Beacons = []types.Beacon{b, b}
		}, types.ErrInvalidGenesis, "twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, gs, _ := base(t)
			if err := f.Keeper.InitGenesis(testutil.AtHeight(f.Ctx, 1), gs); err != nil {
				t.Fatalf("base genesis rejected: %v", err)
			}
			f, gs, v := base(t)
			tc.mutate(f, gs, v)
			err := f.Keeper.InitGenesis(f.Ctx, gs)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}
