package app_test

import (
	"bytes"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/testutil/appfixture"
	beaconabci "github.com/sovra-network/sovra/x/beacon/abci"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// TestBeaconFromWeakToVRF: a validator without a registered key still produces blocks,
// with weak beacons that the stats count; after registering its key with a proof of
// possession, its beacons are VRF outputs. Wrong proofs and a second key are refused.
func TestBeaconFromWeakToVRF(t *testing.T) {
	f := appfixture.New(t, appfixture.Options{NoVRFKey: true, Accounts: []string{"alice"}})
	f.NextBlock()
	b, err := f.App.BeaconKeeper.LatestBeacon(f.Ctx())
	if err != nil || !b.Weak || len(b.Output) != 64 {
		t.Fatalf("keyless validator: beacon %+v err %v, want a weak 64-byte beacon", b, err)
	}
	stats, _ := f.App.BeaconKeeper.GetStats(f.Ctx())
	if stats.WeakHeights < 2 {
		t.Fatalf("weak heights counted: %d", stats.WeakHeights)
	}

	op := f.Operator
	valoper := sdk.ValAddress(op.Address).String()
	goodProof, _ := vrf.Prove(f.VRFKey, vrf.PossessionInput(appfixture.ChainID, valoper))
	wrongChain, _ := vrf.Prove(f.VRFKey, vrf.PossessionInput("other-chain", valoper))
	other, _ := vrf.NewKeyFromSeed(bytes.Repeat([]byte{9}, vrf.SeedSize))
	otherProof, _ := vrf.Prove(other, vrf.PossessionInput(appfixture.ChainID, valoper))

	for name, msg := range map[string]*beacontypes.MsgRegisterVRFKey{
		"proof for another chain": {Operator: op.Address.String(), PubKey: f.VRFKey.PubKey(), Proof: wrongChain},
		"proof by another key":    {Operator: op.Address.String(), PubKey: f.VRFKey.PubKey(), Proof: otherProof},
		"no proof":                {Operator: op.Address.String(), PubKey: f.VRFKey.PubKey()},
	} {
		if res := f.Deliver(op, msg); res.Code == 0 {
			t.Fatalf("%s: accepted", name)
		}
		if _, found, _ := f.App.BeaconKeeper.GetVRFKey(f.Ctx(), valoper); found {
			t.Fatalf("%s: key stored", name)
		}
	}

	alice := f.Accounts["alice"]
	aliceProof, _ := vrf.Prove(f.VRFKey, vrf.PossessionInput(appfixture.ChainID, sdk.ValAddress(alice.Address).String()))
	if res := f.Deliver(alice, &beacontypes.MsgRegisterVRFKey{Operator: alice.Address.String(), PubKey: f.VRFKey.PubKey(), Proof: aliceProof}); res.Code == 0 {
		t.Fatal("an account that runs no validator registered a VRF key")
	}

	f.MustDeliver(op, &beacontypes.MsgRegisterVRFKey{Operator: op.Address.String(), PubKey: f.VRFKey.PubKey(), Proof: goodProof})
	f.NextBlock()
	b, err = f.App.BeaconKeeper.LatestBeacon(f.Ctx())
	if err != nil || b.Weak || len(b.Proof) == 0 {
		t.Fatalf("after registration: %+v %v, want a VRF beacon", b, err)
	}
	prev, _ := f.App.BeaconKeeper.GetBeacon(f.Ctx(), b.Height-1)
	out, ok := vrf.Verify(f.VRFKey.PubKey(), b.Proof, vrf.BeaconInput(appfixture.ChainID, b.Height, prev.Output))
	if !ok || !bytes.Equal(out, b.Output) {
		t.Fatal("stored beacon is not the VRF output over the previous beacon")
	}

	res := f.Deliver(op, &beacontypes.MsgRegisterVRFKey{Operator: op.Address.String(), PubKey: other.PubKey(), Proof: otherProof})
	if res.Code == 0 || !strings.Contains(res.Log, "already") {
		t.Fatalf("second key: code %d %q", res.Code, res.Log)
	}
}

// TestBeaconEntryIsNotATransaction: the mempool refuses a beacon entry, and a proposal
// carrying a second entry is rejected.
func TestBeaconEntryIsNotATransaction(t *testing.T) {
	f := appfixture.New(t, appfixture.Options{})
	entry, err := beaconabci.EncodeEntry(beacontypes.BeaconEntry{Height: f.Height() + 1})
	if err != nil {
		t.Fatal(err)
	}
	check, err := f.App.CheckTx(&abci.RequestCheckTx{Tx: entry, Type: abci.CheckTxType_New})
	if err != nil {
		t.Fatal(err)
	}
	if check.Code == 0 || !strings.Contains(check.Log, "beacon") {
		t.Fatalf("CheckTx accepted a beacon entry: code %d %q", check.Code, check.Log)
	}

	h := f.Height() + 1
	prep, err := f.App.PrepareProposal(&abci.RequestPrepareProposal{Height: h, MaxTxBytes: 1 << 20, ProposerAddress: f.ConsAddr, Txs: [][]byte{entry}})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Txs) != 1 {
		t.Fatalf("PrepareProposal kept a beacon entry from the mempool: %d txs", len(prep.Txs))
	}
	smuggled := append(append([][]byte{}, prep.Txs...), entry)
	proc, err := f.App.ProcessProposal(&abci.RequestProcessProposal{Height: h, ProposerAddress: f.ConsAddr, Txs: smuggled})
	if err != nil {
		t.Fatal(err)
	}
	if proc.Status != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a proposal with two beacon entries was accepted")
	}
	empty, err := f.App.ProcessProposal(&abci.RequestProcessProposal{Height: h, ProposerAddress: f.ConsAddr})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Status != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a proposal without a beacon entry was accepted")
	}
}
