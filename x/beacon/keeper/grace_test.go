package keeper_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
)

// TestRandomness: a VRF beacon is randomness; a weak one is only on a dev chain
// (require_vrf off and no registered key), otherwise the consumer must defer.
func TestRandomness(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	w := f.NewValidator(t, 2)

	// Height 1: weak (w has no key); height 2: VRF by v.
	ctx := testutil.AtHeight(f.Ctx, 1)
	if err := f.Keeper.ApplyBlock(ctx, [][]byte{testutil.MustEncodeEntry(types.BeaconEntry{Height: 1})}, w.Cons); err != nil {
		t.Fatal(err)
	}
	weak, _ := f.Keeper.GetBeacon(ctx, 1)

	setParams := func(requireVRF bool) {
		t.Helper()
		if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(100, requireVRF, 10)); err != nil {
			t.Fatal(err)
		}
	}
	// No key anywhere.
	setParams(true)
	if out, ok, err := f.Keeper.Randomness(f.Ctx, 1); ok || out != nil || err != nil {
		t.Fatalf("require_vrf on, weak beacon: %x %v %v, want deferral", out, ok, err)
	}
	setParams(false)
	if out, ok, err := f.Keeper.Randomness(f.Ctx, 1); !ok || err != nil || !bytes.Equal(out, weak.Output) {
		t.Fatalf("dev chain (no key, require_vrf off): %x %v %v, want the weak output", out, ok, err)
	}
	if usable, err := f.Keeper.WeakBeaconsUsable(f.Ctx); !usable || err != nil {
		t.Fatalf("WeakBeaconsUsable on a dev chain: %v %v", usable, err)
	}

	// One key registered: weak beacons are no randomness even with require_vrf off.
	f.Register(t, v)
	if out, ok, err := f.Keeper.Randomness(f.Ctx, 1); ok || out != nil || err != nil {
		t.Fatalf("a key registered, weak beacon: %x %v %v, want deferral", out, ok, err)
	}
	ctx = testutil.AtHeight(f.Ctx, 2)
	if err := f.Keeper.ApplyBlock(ctx, [][]byte{f.Entry(t, ctx, v, 2)}, v.Cons); err != nil {
		t.Fatal(err)
	}
	strong, _ := f.Keeper.GetBeacon(ctx, 2)
	for _, require := range []bool{true, false} {
		setParams(require)
		if out, ok, err := f.Keeper.Randomness(f.Ctx, 2); !ok || err != nil || !bytes.Equal(out, strong.Output) || strong.Weak {
			t.Fatalf("VRF beacon (require_vrf %v): %x %v %v", require, out, ok, err)
		}
	}
	if _, ok, err := f.Keeper.Randomness(f.Ctx, 3); ok || !errors.Is(err, types.ErrBeaconNotFound) {
		t.Fatalf("missing beacon: ok=%v err=%v, want ErrBeaconNotFound", ok, err)
	}
}

// TestBondedHeightHooks: the first bonding is recorded and never renewed; removal
// forgets it.
func TestBondedHeightHooks(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	hooks := f.Keeper.Hooks()
	var _ stakingtypes.StakingHooks = hooks
	if err := hooks.AfterValidatorBonded(testutil.AtHeight(f.Ctx, 12), v.Cons, sdk.ValAddress(v.Operator)); err != nil {
		t.Fatal(err)
	}
	if err := hooks.AfterValidatorBonded(testutil.AtHeight(f.Ctx, 40), v.Cons, sdk.ValAddress(v.Operator)); err != nil {
		t.Fatal(err)
	}
	if h, ok, err := f.Keeper.GetBondedHeight(f.Ctx, v.Valoper); err != nil || !ok || h != 12 {
		t.Fatalf("bonded height %d %v %v, want 12 (the first bonding)", h, ok, err)
	}
	if err := hooks.AfterValidatorRemoved(f.Ctx, v.Cons, sdk.ValAddress(v.Operator)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.Keeper.GetBondedHeight(f.Ctx, v.Valoper); ok || err != nil {
		t.Fatalf("bonded height kept after removal: %v %v", ok, err)
	}
}

// TestInitGenesisStartsGraceOfGenesisValidators: validators bonded at genesis without
// a recorded height count from genesis; recorded ones keep theirs; unbonded ones get
// none.
func TestInitGenesisStartsGraceOfGenesisValidators(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	w := f.NewValidator(t, 2)
	u := f.NewValidator(t, 3)
	f.Staking.SetStatus(u.Operator, stakingtypes.Unbonded)
	gs := types.DefaultGenesis()
	gs.BondedHeights = []types.BondedHeight{{Validator: w.Valoper, Height: 3}}
	ctx := testutil.AtHeight(f.Ctx, 0)
	if err := f.Keeper.InitGenesis(ctx, gs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v    testutil.Validator
		want int64
		ok   bool
	}{{v, 0, true}, {w, 3, true}, {u, 0, false}} {
		h, ok, err := f.Keeper.GetBondedHeight(ctx, tc.v.Valoper)
		if err != nil || ok != tc.ok || h != tc.want {
			t.Errorf("%s: bonded height %d %v %v, want %d %v", tc.v.Valoper, h, ok, err, tc.want, tc.ok)
		}
	}
}

func TestWeakProposalError(t *testing.T) {
	on := types.NewParams(100, true, 10)
	keyless := keeper.ProposerInfo{Valoper: "v", BondedHeight: 5, HasBondedHeight: true}
	keyed := keeper.ProposerInfo{Valoper: "v", HasKey: true}
	for _, tc := range []struct {
		name   string
		params types.Params
		info   keeper.ProposerInfo
		height int64
		err    error
	}{
		{"within grace", on, keyless, 15, nil},
		{"after grace", on, keyless, 16, types.ErrVRFKeyRequired},
		{"require_vrf off", types.NewParams(100, false, 10), keyless, 1_000, nil},
		{"keyed", on, keyed, 6, types.ErrInvalidEntry},
		{"keyed, require_vrf off", types.NewParams(100, false, 10), keyed, 6, nil},
		{"no bonded height", on, keeper.ProposerInfo{Valoper: "v"}, 1_000, nil},
		{"unknown proposer", on, keeper.ProposerInfo{}, 1_000, nil},
		{"grace 0", types.NewParams(100, true, 0), keyless, 6, types.ErrVRFKeyRequired},
		{"huge grace saturates", types.NewParams(100, true, math.MaxUint64), keyless, math.MaxInt64, nil},
	} {
		if err := keeper.WeakProposalError(tc.params, tc.info, tc.height); !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
}

func TestQueryValidator(t *testing.T) {
	f := testutil.NewFixture(t)
	if err := f.Keeper.Params.Set(f.Ctx, types.NewParams(100, true, 10)); err != nil {
		t.Fatal(err)
	}
	v := f.NewValidator(t, 1)
	w := f.NewValidator(t, 2)
	f.Register(t, w)
	if err := f.Keeper.Hooks().AfterValidatorBonded(testutil.AtHeight(f.Ctx, 5), v.Cons, sdk.ValAddress(v.Operator)); err != nil {
		t.Fatal(err)
	}
	q := keeper.NewQueryServerImpl(f.Keeper)

	ctx := testutil.AtHeight(f.Ctx, 14)
	byCons, err := q.Validator(ctx, &types.QueryValidatorRequest{Address: v.Cons.String()})
	if err != nil {
		t.Fatal(err)
	}
	if byCons.Validator != v.Valoper || byCons.ConsensusAddress != v.Cons.String() || !byCons.Bonded || byCons.HasKey ||
		!byCons.HasBondedHeight || byCons.FirstBondedHeight != 5 || byCons.GraceEndHeight != 15 || !byCons.RequireVrf ||
		!byCons.WeakProposalsAccepted || byCons.Height != 14 {
		t.Fatalf("by consensus address at 14: %+v", byCons)
	}
	byOper, err := q.Validator(testutil.AtHeight(f.Ctx, 15), &types.QueryValidatorRequest{Address: v.Valoper})
	if err != nil || byOper.WeakProposalsAccepted || byOper.Validator != v.Valoper {
		t.Fatalf("by operator at 15 (next height 16 is past the grace): %+v %v", byOper, err)
	}
	keyed, err := q.Validator(ctx, &types.QueryValidatorRequest{Address: w.Valoper})
	if err != nil || !keyed.HasKey || !bytes.Equal(keyed.Key.PubKey, w.Key.PubKey()) || keyed.WeakProposalsAccepted {
		t.Fatalf("keyed validator: %+v %v", keyed, err)
	}

	unknown := sdk.ValAddress(bytes.Repeat([]byte{9}, 20)).String()
	if _, err := q.Validator(ctx, &types.QueryValidatorRequest{Address: unknown}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown validator: %v", err)
	}
	for _, bad := range []string{"", "sovra1notanaddress", sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String()} {
		if _, err := q.Validator(ctx, &types.QueryValidatorRequest{Address: bad}); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

// TestUpdateParamsGrace: governance sets vrf_grace_blocks within bounds.
func TestUpdateParamsGrace(t *testing.T) {
	f := testutil.NewFixture(t)
	ms := keeper.NewMsgServerImpl(f.Keeper)
	p := types.NewParams(100, true, 42)
	if _, err := ms.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: p}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Keeper.GetParams(f.Ctx); got != p {
		t.Fatalf("params %+v", got)
	}
	p.VrfGraceBlocks = types.MaxVRFGraceBlocks + 1
	if _, err := ms.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: p}); !errors.Is(err, types.ErrInvalidParams) {
		t.Fatalf("grace above the maximum: %v", err)
	}
}
