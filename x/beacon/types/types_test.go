package types_test

import (
	"bytes"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []types.Params{
		types.NewParams(0, true, types.DefaultVRFGraceBlocks),
		types.NewParams(types.MaxHistoryWindow+1, false, types.DefaultVRFGraceBlocks),
		types.NewParams(100, true, types.MaxVRFGraceBlocks+1),
	} {
		if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
			t.Errorf("%+v: %v", p, err)
		}
	}
	for _, p := range []types.Params{
		types.NewParams(1, false, types.DefaultVRFGraceBlocks),
		types.NewParams(1, true, 0),
		types.NewParams(1, true, types.MaxVRFGraceBlocks),
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	if types.DefaultParams().VrfGraceBlocks != 1_000 || !types.DefaultParams().RequireVrf {
		t.Fatalf("defaults %+v", types.DefaultParams())
	}
}

func TestMsgRegisterVRFKeyValidateBasic(t *testing.T) {
	key, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{3}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	op := sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String()
	proof, _ := key.Prove([]byte("x"))
	if err := types.NewMsgRegisterVRFKey(op, key.PubKey(), proof).ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		msg *types.MsgRegisterVRFKey
		err error
	}{
		"empty operator": {types.NewMsgRegisterVRFKey("", key.PubKey(), proof), types.ErrInvalidAddress},
		"nil key":        {types.NewMsgRegisterVRFKey(op, nil, proof), types.ErrInvalidVRFKey},
		"long key":       {types.NewMsgRegisterVRFKey(op, append(key.PubKey(), 0), proof), types.ErrInvalidVRFKey},
		"nil proof":      {types.NewMsgRegisterVRFKey(op, key.PubKey(), nil), types.ErrInvalidProof},
	}
	for name, c := range cases {
		if err := c.msg.ValidateBasic(); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
	}
}

func TestMsgUpdateParamsValidateBasic(t *testing.T) {
	auth := sdk.AccAddress(bytes.Repeat([]byte{2}, 20)).String()
	if err := (&types.MsgUpdateParams{Authority: auth, Params: types.DefaultParams()}).ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	if err := (&types.MsgUpdateParams{Authority: "x", Params: types.DefaultParams()}).ValidateBasic(); !errors.Is(err, types.ErrInvalidAddress) {
		t.Fatal(err)
	}
	if err := (&types.MsgUpdateParams{Authority: auth}).ValidateBasic(); !errors.Is(err, types.ErrInvalidParams) {
		t.Fatal(err)
	}
}

func TestEntryPrefixCannotStartATx(t *testing.T) {
	// Field number 0 is invalid protobuf, so no TxRaw encoding starts with 0x00.
	if types.EntryPrefix[0] != 0x00 {
		t.Fatal("entry prefix must start with 0x00")
	}
}

func TestGenesisBondedHeightsValidate(t *testing.T) {
	v1 := sdk.ValAddress(bytes.Repeat([]byte{1}, 20)).String()
	v2 := sdk.ValAddress(bytes.Repeat([]byte{2}, 20)).String()
	ok := types.DefaultGenesis()
	ok.BondedHeights = []types.BondedHeight{{Validator: v1, Height: 0}, {Validator: v2, Height: 7}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, bonded := range map[string][]types.BondedHeight{
		"duplicate":       {{Validator: v1, Height: 1}, {Validator: v1, Height: 2}},
		"negative height": {{Validator: v1, Height: -1}},
		"account address": {{Validator: sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String(), Height: 1}},
	} {
		gs := types.DefaultGenesis()
		gs.BondedHeights = bonded
		if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestReadiness(t *testing.T) {
	a, b := []byte{1}, []byte{2}
	for _, tc := range []struct {
		local       []byte
		isValidator bool
		registered  []byte
		want        types.Readiness
	}{
		{nil, false, nil, types.ReadinessNoKeyFile},
		{a, false, nil, types.ReadinessNotValidator},
		{nil, true, nil, types.ReadinessNoKeyFile},
		{nil, true, a, types.ReadinessNoKeyFile},
		{a, true, nil, types.ReadinessNotRegistered},
		{a, true, b, types.ReadinessKeyMismatch},
		{a, true, a, types.ReadinessReady},
	} {
		got := types.Evaluate(tc.local, tc.isValidator, tc.registered)
		if got != tc.want {
			t.Errorf("Evaluate(%v, %v, %v) = %s, want %s", tc.local, tc.isValidator, tc.registered, got, tc.want)
		}
		if got.Summary() == "" || (got != types.ReadinessReady && got.Advice() == "") {
			t.Errorf("%s: no summary or advice", got)
		}
	}
}
