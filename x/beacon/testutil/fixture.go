// Package testutil provides an in-memory beacon keeper, a fake staking keeper and
// helpers for the beacon module's tests.
package testutil

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/header"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdktestutil "github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/x/beacon/keeper"
	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// ChainID is the chain id of test contexts.
const ChainID = "sovra-test-1"

func init() {
	// The chain's bech32 prefixes, set before any address is stringified.
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount("sovra", "sovrapub")
	cfg.SetBech32PrefixForValidator("sovravaloper", "sovravaloperpub")
	cfg.SetBech32PrefixForConsensusNode("sovravalcons", "sovravalconspub")
}

// FakeStaking is an in-memory types.StakingKeeper.
type FakeStaking struct {
	byOperator map[string]stakingtypes.Validator
	byCons     map[string]stakingtypes.Validator
	order      []string // operator account bytes, in the order added
}

var _ types.StakingKeeper = (*FakeStaking)(nil)

// NewFakeStaking returns an empty fake.
func NewFakeStaking() *FakeStaking {
	return &FakeStaking{byOperator: map[string]stakingtypes.Validator{}, byCons: map[string]stakingtypes.Validator{}}
}

// AddValidator registers a bonded validator operated by operator (an account address)
// with consensus key consPub, and returns its operator address string.
func (f *FakeStaking) AddValidator(operator sdk.AccAddress, consPub cryptotypes.PubKey) string {
	pk, err := codectypes.NewAnyWithValue(consPub)
	if err != nil {
		panic(err)
	}
	val := stakingtypes.Validator{OperatorAddress: sdk.ValAddress(operator).String(), ConsensusPubkey: pk, Status: stakingtypes.Bonded}
	if _, ok := f.byOperator[string(operator)]; !ok {
		f.order = append(f.order, string(operator))
	}
	f.byOperator[string(operator)] = val
	f.byCons[string(consPub.Address())] = val
	return val.OperatorAddress
}

// SetStatus changes a validator's bond status.
func (f *FakeStaking) SetStatus(operator sdk.AccAddress, status stakingtypes.BondStatus) {
	val := f.byOperator[string(operator)]
	val.Status = status
	f.byOperator[string(operator)] = val
	cons, err := val.GetConsAddr()
	if err != nil {
		panic(err)
	}
	f.byCons[string(cons)] = val
}

func (f *FakeStaking) GetValidator(_ context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error) {
	v, ok := f.byOperator[string(addr)]
	if !ok {
		return stakingtypes.Validator{}, stakingtypes.ErrNoValidatorFound
	}
	return v, nil
}

func (f *FakeStaking) GetValidatorByConsAddr(_ context.Context, cons sdk.ConsAddress) (stakingtypes.Validator, error) {
	v, ok := f.byCons[string(cons)]
	if !ok {
		return stakingtypes.Validator{}, stakingtypes.ErrNoValidatorFound
	}
	return v, nil
}

// IterateBondedValidatorsByPower visits the bonded validators in the order they were
// added.
func (f *FakeStaking) IterateBondedValidatorsByPower(_ context.Context, fn func(int64, stakingtypes.ValidatorI) bool) error {
	var i int64
	for _, op := range f.order {
		v := f.byOperator[op]
		if !v.IsBonded() {
			continue
		}
		if fn(i, v) {
			return nil
		}
		i++
	}
	return nil
}

// ValidatorAddressCodec is the sovravaloper bech32 codec.
func (f *FakeStaking) ValidatorAddressCodec() address.Codec {
	return addresscodec.NewBech32Codec("sovravaloper")
}

// ConsensusAddressCodec is the sovravalcons bech32 codec.
func (f *FakeStaking) ConsensusAddressCodec() address.Codec {
	return addresscodec.NewBech32Codec("sovravalcons")
}

// Fixture is a keeper on an in-memory store.
type Fixture struct {
	Ctx       sdk.Context
	Keeper    keeper.Keeper
	Staking   *FakeStaking
	Cdc       codec.Codec
	Authority string
}

// NewFixture builds a keeper with default params stored, at block height 1.
func NewFixture(t testing.TB) *Fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tkey := storetypes.NewTransientStoreKey("transient_test")
	ctx := sdktestutil.DefaultContextWithDB(t, key, tkey).Ctx

	registry := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)

	staking := NewFakeStaking()
	authority := sdk.AccAddress(bytes.Repeat([]byte{0xa0}, 20)).String()
	k := keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), runtime.EventService{}, addresscodec.NewBech32Codec("sovra"), authority, staking)
	f := &Fixture{Keeper: k, Staking: staking, Cdc: cdc, Authority: authority}
	f.Ctx = AtHeight(ctx, 1)
	if err := k.Params.Set(f.Ctx, types.DefaultParams()); err != nil {
		t.Fatal(err)
	}
	return f
}

// AtHeight returns ctx at height h of ChainID, with a fresh event manager.
func AtHeight(ctx sdk.Context, h int64) sdk.Context {
	return ctx.WithChainID(ChainID).WithBlockHeight(h).
		WithHeaderInfo(header.Info{ChainID: ChainID, Height: h}).
		WithEventManager(sdk.NewEventManager())
}

// Validator is a test validator with its addresses and VRF key.
type Validator struct {
	Operator sdk.AccAddress
	Cons     sdk.ConsAddress
	Valoper  string
	Key      vrf.PrivateKey
}

// NewValidator creates bonded validator number n (deterministic addresses and keys) in
// the fake staking keeper, without registering its VRF key.
func (f *Fixture) NewValidator(t testing.TB, n byte) Validator {
	t.Helper()
	key, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{n}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	consPub := ed25519.GenPrivKeyFromSecret([]byte{'c', n}).PubKey()
	v := Validator{
		Operator: sdk.AccAddress(bytes.Repeat([]byte{n}, 20)),
		Cons:     sdk.ConsAddress(consPub.Address()),
		Key:      key,
	}
	v.Valoper = f.Staking.AddValidator(v.Operator, consPub)
	return v
}

// PossessionProof proves v's key over the possession input of ChainID.
func (v Validator) PossessionProof() []byte {
	proof, _ := v.Key.Prove(vrf.PossessionInput(ChainID, v.Valoper))
	return proof
}

// Register stores v's VRF key through the Msg service.
func (f *Fixture) Register(t testing.TB, v Validator) {
	t.Helper()
	msg := types.NewMsgRegisterVRFKey(v.Operator.String(), v.Key.PubKey(), v.PossessionProof())
	if _, err := keeper.NewMsgServerImpl(f.Keeper).RegisterVRFKey(f.Ctx, msg); err != nil {
		t.Fatalf("register %s: %v", v.Valoper, err)
	}
}

// Entry builds the encoded beacon entry v would propose at height h of ctx's state.
func (f *Fixture) Entry(t testing.TB, ctx sdk.Context, v Validator, h int64) []byte {
	t.Helper()
	alpha, err := f.Keeper.BeaconAlpha(ctx, ChainID, h)
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := v.Key.Prove(alpha)
	return MustEncodeEntry(types.BeaconEntry{Height: h, Proof: proof})
}

// MustEncodeEntry encodes e or panics.
func MustEncodeEntry(e types.BeaconEntry) []byte {
	bz, err := types.EncodeEntry(e)
	if err != nil {
		panic(fmt.Sprintf("encode entry: %v", err))
	}
	return bz
}
