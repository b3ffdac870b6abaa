package app_test

import (
	"bytes"
	"testing"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	beaconabci "github.com/sovra-network/sovra/x/beacon/abci"
	beaconkeeper "github.com/sovra-network/sovra/x/beacon/keeper"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// withBeaconParams sets the beacon params of the fixture's genesis.
func withBeaconParams(p beacontypes.Params) func(appfixture.GenesisEditor) {
	return func(g appfixture.GenesisEditor) {
		cdc := g.App.AppCodec()
		var gen beacontypes.GenesisState
		cdc.MustUnmarshalJSON(g.State[beacontypes.ModuleName], &gen)
		gen.Params = p
		g.State[beacontypes.ModuleName] = cdc.MustMarshalJSON(&gen)
	}
}

// TestVRFGraceForAJoiningValidator: a validator that joins by create-validator and has
// no VRF key may propose weak blocks for vrf_grace_blocks after it is bonded (counted
// from the block that bonded it, recorded by x/beacon's staking hook); after that every
// proposal of it is rejected, while the keyed validator's blocks go on; once it registers
// a key, its proposals with a proof are accepted again and its beacons are VRF outputs.
func TestVRFGraceForAJoiningValidator(t *testing.T) {
	const grace = 3
	params := beacontypes.DefaultParams()
	params.VrfGraceBlocks = grace
	f := appfixture.New(t, appfixture.Options{Accounts: []string{"joiner"}, Genesis: withBeaconParams(params)})
	k := f.App.BeaconKeeper

	// The genesis validator (not a gentx: staking calls no bonding hook for it) counts
	// from genesis.
	opValoper := sdk.ValAddress(f.Operator.Address).String()
	if h, ok, err := k.GetBondedHeight(f.Ctx(), opValoper); err != nil || !ok || h != 0 {
		t.Fatalf("genesis validator's bonded height: %d %v %v, want 0 (genesis)", h, ok, err)
	}

	joiner := f.Accounts["joiner"]
	valoper := sdk.ValAddress(joiner.Address).String()
	consPriv := ed25519.GenPrivKeyFromSecret([]byte("sovra-fixture/joiner-consensus"))
	cons := sdk.ConsAddress(consPriv.PubKey().Address())
	msg, err := stakingtypes.NewMsgCreateValidator(valoper, consPriv.PubKey(),
		sdk.NewCoin(app.BondDenom, sdk.DefaultPowerReduction.MulRaw(50)), stakingtypes.Description{Moniker: "joiner"},
		stakingtypes.NewCommissionRates(sdkmath.LegacyNewDecWithPrec(1, 1), sdkmath.LegacyNewDecWithPrec(2, 1), sdkmath.LegacyNewDecWithPrec(1, 2)),
		sdkmath.OneInt())
	if err != nil {
		t.Fatal(err)
	}
	f.MustDeliver(joiner, msg)
	bondedAt := f.Height()
	if h, ok, err := k.GetBondedHeight(f.Ctx(), valoper); err != nil || !ok || h != bondedAt {
		t.Fatalf("joiner's bonded height: %d %v %v, want %d (the create-validator block)", h, ok, err, bondedAt)
	}
	q := beaconkeeper.NewQueryServerImpl(k)
	st, err := q.Validator(f.Ctx(), &beacontypes.QueryValidatorRequest{Address: cons.String()})
	if err != nil || st.Validator != valoper || !st.Bonded || st.HasKey || st.GraceEndHeight != bondedAt+grace || !st.WeakProposalsAccepted {
		t.Fatalf("query validator by consensus address: %+v %v", st, err)
	}

	// Within the grace period: its weak proposals are accepted.
	for f.Height()+1 <= bondedAt+grace {
		p := f.PrepareAs(cons)
		if e, err := beaconabci.DecodeEntry(p.Txs[0]); err != nil || len(e.Proof) != 0 {
			t.Fatalf("height %d: the keyless joiner's entry %+v %v, want a weak one", p.Height, e, err)
		}
		f.Commit(p)
		b, err := k.GetBeacon(f.Ctx(), f.Height())
		if err != nil || !b.Weak || b.Proposer != valoper {
			t.Fatalf("height %d: beacon %+v %v, want a weak beacon by the joiner", f.Height(), b, err)
		}
		if _, ok, err := k.Randomness(f.Ctx(), f.Height()); ok || err != nil {
			t.Fatalf("height %d: a weak beacon served as randomness on a chain with keys (ok=%v err=%v)", f.Height(), ok, err)
		}
	}

	// After it: rejected, at every later height, while the keyed operator's blocks go on.
	for i := 0; i < 3; i++ {
		if f.Process(f.PrepareAs(cons)) {
			t.Fatalf("height %d (grace ended at %d): the keyless joiner's proposal was accepted", f.Height()+1, bondedAt+grace)
		}
		f.NextBlock()
	}
	if st, _ := q.Validator(f.Ctx(), &beacontypes.QueryValidatorRequest{Address: valoper}); st.WeakProposalsAccepted {
		t.Fatalf("query says weak proposals are accepted after the grace period: %+v", st)
	}

	// It registers a key (in the operator's block): its proposals with a proof are accepted.
	joinerKey, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{7}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := joinerKey.Prove(vrf.PossessionInput(appfixture.ChainID, valoper))
	f.MustDeliver(joiner, beacontypes.NewMsgRegisterVRFKey(joiner.Address.String(), joinerKey.PubKey(), proof))
	if f.Process(f.PrepareAs(cons)) {
		t.Fatal("a proposal without a proof from a validator with a registered key was accepted (require_vrf)")
	}
	p := f.PrepareAs(cons)
	alpha, err := k.BeaconAlpha(f.Ctx(), appfixture.ChainID, p.Height)
	if err != nil {
		t.Fatal(err)
	}
	entryProof, _ := joinerKey.Prove(alpha)
	if p.Txs[0], err = beaconabci.EncodeEntry(beacontypes.BeaconEntry{Height: p.Height, Proof: entryProof}); err != nil {
		t.Fatal(err)
	}
	f.Commit(p)
	b, err := k.GetBeacon(f.Ctx(), f.Height())
	if err != nil || b.Weak || b.Proposer != valoper {
		t.Fatalf("after registration: beacon %+v %v, want a VRF beacon by the joiner", b, err)
	}
	if out, ok, err := k.Randomness(f.Ctx(), f.Height()); !ok || err != nil || !bytes.Equal(out, b.Output) {
		t.Fatalf("randomness of a VRF beacon: ok=%v err=%v", ok, err)
	}
}

// TestDevChainWithoutKeys: a chain where no validator has a key and require_vrf is off
// runs past any grace period on weak beacons, which then serve as randomness (a dev
// chain, with no unpredictable randomness). With require_vrf on they never do.
func TestDevChainWithoutKeys(t *testing.T) {
	params := beacontypes.DefaultParams()
	params.RequireVrf, params.VrfGraceBlocks = false, 2
	f := appfixture.New(t, appfixture.Options{NoVRFKey: true, Genesis: withBeaconParams(params)})
	for i := 0; i < 5; i++ {
		f.NextBlock()
	}
	b, err := f.App.BeaconKeeper.GetBeacon(f.Ctx(), f.Height())
	if err != nil || !b.Weak {
		t.Fatalf("beacon %+v %v, want weak", b, err)
	}
	out, ok, err := f.App.BeaconKeeper.Randomness(f.Ctx(), f.Height())
	if err != nil || !ok || !bytes.Equal(out, b.Output) {
		t.Fatalf("dev chain randomness: ok=%v err=%v", ok, err)
	}

	// The default fixture without a key (require_vrf on, default grace) still runs, but its
	// weak beacons are never randomness.
	g := appfixture.New(t, appfixture.Options{NoVRFKey: true})
	g.NextBlock()
	if _, ok, err := g.App.BeaconKeeper.Randomness(g.Ctx(), g.Height()); ok || err != nil {
		t.Fatalf("require_vrf chain: weak beacon served as randomness (ok=%v err=%v)", ok, err)
	}
}

// TestKeylessGenesisValidatorAfterGrace: with require_vrf on, a chain whose only
// validator has no key stops after the grace period: its own proposals are rejected
// (the README's warning for chains that forget to register keys).
func TestKeylessGenesisValidatorAfterGrace(t *testing.T) {
	params := beacontypes.DefaultParams()
	params.VrfGraceBlocks = 3
	f := appfixture.New(t, appfixture.Options{NoVRFKey: true, Genesis: withBeaconParams(params)})
	for f.Height() < 3 {
		f.NextBlock()
	}
	if f.Process(f.PrepareAs(f.ConsAddr)) {
		t.Fatal("height 4: the keyless genesis validator's proposal was accepted after its grace (heights 1..3)")
	}
}
