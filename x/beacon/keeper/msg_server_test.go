package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/testutil"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

func TestRegisterVRFKey(t *testing.T) {
	f := testutil.NewFixture(t)
	v := f.NewValidator(t, 1)
	ctx := testutil.AtHeight(f.Ctx, 12)
	msg := types.NewMsgRegisterVRFKey(v.Operator.String(), v.Key.PubKey(), v.PossessionProof())
	if _, err := keeper.NewMsgServerImpl(f.Keeper).RegisterVRFKey(ctx, msg); err != nil {
		t.Fatal(err)
	}
	key, found, err := f.Keeper.GetVRFKey(ctx, v.Valoper)
	if err != nil || !found {
		t.Fatalf("key not stored: %v", err)
	}
	if !bytes.Equal(key.PubKey, v.Key.PubKey()) || key.RegisteredHeight != 12 || key.Validator != v.Valoper {
		t.Fatalf("stored key %+v", key)
	}
	proof, err := f.Keeper.VRFKeyProofs.Get(ctx, v.Valoper)
	if err != nil || !bytes.Equal(proof, msg.Proof) {
		t.Fatalf("stored proof: %v", err)
	}
	evs, err := types.ParseEvents(ctx.EventManager().ABCIEvents())
	if err != nil {
		t.Fatal(err)
	}
	want := &types.EventVRFKeyRegistered{Validator: v.Valoper, PubKey: v.Key.PubKey(), Height: 12}
	if len(evs) != 1 || !proto.Equal(evs[0], want) {
		t.Fatalf("events %v, want %v", evs, want)
	}
}

func TestRegisterVRFKeyRejects(t *testing.T) {
	other, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{77}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, f *testutil.Fixture, v, w testutil.Validator)
		msg   func(v, w testutil.Validator) *types.MsgRegisterVRFKey
		err   error
	}{
		{
			name: "bad operator address",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				return types.NewMsgRegisterVRFKey("sovra1notanaddress", v.Key.PubKey(), v.PossessionProof())
			},
			err: types.ErrInvalidAddress,
		},
		{
			name: "valoper instead of account address",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				return types.NewMsgRegisterVRFKey(v.Valoper, v.Key.PubKey(), v.PossessionProof())
			},
			err: types.ErrInvalidAddress,
		},
		{
			name: "short public key",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				return types.NewMsgRegisterVRFKey(v.Operator.String(), v.Key.PubKey()[:31], v.PossessionProof())
			},
			err: types.ErrInvalidVRFKey,
		},
		{
			name: "small-order public key",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				return types.NewMsgRegisterVRFKey(v.Operator.String(), append([]byte{1}, make([]byte, 31)...), v.PossessionProof())
			},
			err: types.ErrInvalidVRFKey,
		},
		{
			name: "short proof",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				return types.NewMsgRegisterVRFKey(v.Operator.String(), v.Key.PubKey(), v.PossessionProof()[:40])
			},
			err: types.ErrInvalidProof,
		},
		{
			name: "not a validator",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				stranger := sdk.AccAddress(bytes.Repeat([]byte{0x33}, 20))
				return types.NewMsgRegisterVRFKey(stranger.String(), v.Key.PubKey(), v.PossessionProof())
			},
			err: types.ErrValidatorNotFound,
		},
		{
			name: "proof by another key",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				proof, _ := other.Prove(vrf.PossessionInput(testutil.ChainID, v.Valoper))
				return types.NewMsgRegisterVRFKey(v.Operator.String(), v.Key.PubKey(), proof)
			},
			err: types.ErrInvalidProof,
		},
		{
			name: "proof for another chain id",
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				proof, _ := v.Key.Prove(vrf.PossessionInput("other-chain", v.Valoper))
				return types.NewMsgRegisterVRFKey(v.Operator.String(), v.Key.PubKey(), proof)
			},
			err: types.ErrInvalidProof,
		},
		{
			name: "proof for another validator (copied registration)",
			msg: func(v, w testutil.Validator) *types.MsgRegisterVRFKey {
				// w tries to claim v's public key by replaying v's possession proof.
				return types.NewMsgRegisterVRFKey(w.Operator.String(), v.Key.PubKey(), v.PossessionProof())
			},
			err: types.ErrInvalidProof,
		},
		{
			name:  "validator already has a key",
			setup: func(t *testing.T, f *testutil.Fixture, v, _ testutil.Validator) { f.Register(t, v) },
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				proof, _ := other.Prove(vrf.PossessionInput(testutil.ChainID, v.Valoper))
				return types.NewMsgRegisterVRFKey(v.Operator.String(), other.PubKey(), proof)
			},
			err: types.ErrKeyAlreadyRegistered,
		},
		{
			name:  "same key registered again",
			setup: func(t *testing.T, f *testutil.Fixture, v, _ testutil.Validator) { f.Register(t, v) },
			msg: func(v, _ testutil.Validator) *types.MsgRegisterVRFKey {
				return types.NewMsgRegisterVRFKey(v.Operator.String(), v.Key.PubKey(), v.PossessionProof())
			},
			err: types.ErrKeyAlreadyRegistered,
		},
		{
			name:  "public key of another validator",
			setup: func(t *testing.T, f *testutil.Fixture, v, _ testutil.Validator) { f.Register(t, v) },
			msg: func(v, w testutil.Validator) *types.MsgRegisterVRFKey {
				// w holds v's secret (e.g. a shared key file): the proof is valid but the key is taken.
				proof, _ := v.Key.Prove(vrf.PossessionInput(testutil.ChainID, w.Valoper))
				return types.NewMsgRegisterVRFKey(w.Operator.String(), v.Key.PubKey(), proof)
			},
			err: types.ErrDuplicatePubKey,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			v := f.NewValidator(t, 1)
			w := f.NewValidator(t, 2)
			if tc.setup != nil {
				tc.setup(t, f, v, w)
			}
			before, err := f.Keeper.ExportGenesis(f.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			ctx := testutil.AtHeight(f.Ctx, 5)
			_, err = keeper.NewMsgServerImpl(f.Keeper).RegisterVRFKey(ctx, tc.msg(v, w))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			after, err := f.Keeper.ExportGenesis(f.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			if before.String() != after.String() {
				t.Fatalf("state changed:\n%v\n%v", before, after)
			}
			if len(ctx.EventManager().Events()) != 0 {
				t.Fatal("event emitted on failure")
			}
		})
	}
}

func TestUpdateParams(t *testing.T) {
	f := testutil.NewFixture(t)
	srv := keeper.NewMsgServerImpl(f.Keeper)
	want := types.NewParams(500, false, types.DefaultVRFGraceBlocks)
	if _, err := srv.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: want}); err != nil {
		t.Fatal(err)
	}
	got, err := f.Keeper.GetParams(f.Ctx)
	if err != nil || got != want {
		t.Fatalf("params %+v %v", got, err)
	}

	stranger := sdk.AccAddress(bytes.Repeat([]byte{0x11}, 20)).String()
	cases := []struct {
		name string
		msg  *types.MsgUpdateParams
		err  error
	}{
		{"not the authority", &types.MsgUpdateParams{Authority: stranger, Params: types.DefaultParams()}, types.ErrInvalidAuthority},
		{"bad authority address", &types.MsgUpdateParams{Authority: "gov", Params: types.DefaultParams()}, types.ErrInvalidAddress},
		{"zero window", &types.MsgUpdateParams{Authority: f.Authority, Params: types.NewParams(0, true, types.DefaultVRFGraceBlocks)}, types.ErrInvalidParams},
		{"window too large", &types.MsgUpdateParams{Authority: f.Authority, Params: types.NewParams(types.MaxHistoryWindow+1, true, types.DefaultVRFGraceBlocks)}, types.ErrInvalidParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := srv.UpdateParams(f.Ctx, tc.msg); !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got, _ := f.Keeper.GetParams(f.Ctx); got != want {
				t.Fatalf("params changed to %+v", got)
			}
		})
	}
}
