package keeper_test

import (
	"context"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/testutil/appfixture"
	"github.com/sovra-network/sovra/txclient"
	"github.com/sovra-network/sovra/x/provider/types"
)

// Attacks on the worker binding, through real blocks (signatures checked by the ante
// handler): a provider's worker key signs its results and audit messages, and a worker
// address is bound to one provider only, so whoever binds an address first locks its
// owner out. Binding an address therefore needs that address's signature.

const bindingModel = "demo-tiny"

// bindingChain is a fixture chain with the test model, and accounts for a victim (its
// operator "victim" and worker key "victimw"), an attacker ("mallory") and its accomplice.
func bindingChain(t *testing.T) *appfixture.Fixture {
	t.Helper()
	f := appfixture.New(t, appfixture.Options{
		Accounts: []string{"victim", "victimw", "mallory", "accomplice", "prov2", "prov2w"},
		Genesis: func(g appfixture.GenesisEditor) {
			cdc := g.App.AppCodec()
			var pg types.GenesisState
			cdc.MustUnmarshalJSON(g.State[types.ModuleName], &pg)
			pg.Models = append(pg.Models, types.Model{
				Id: bindingModel, Sha256: strings.Repeat("ab", 32), ContextLength: 512, Tokenizer: "llama-spm",
			})
			g.State[types.ModuleName] = cdc.MustMarshalJSON(&pg)
		},
	})
	f.CheckEveryBlock()
	return f
}

func registerMsgOf(op, worker string) *types.MsgRegisterProvider {
	return &types.MsgRegisterProvider{
		Operator: op, Worker: worker, Models: []string{bindingModel},
		Bond: sdk.NewInt64Coin(app.BondDenom, 5_000_000), PricePerToken: sdk.NewInt64Coin(app.BondDenom, 2),
		Profile: types.DefaultProfile,
	}
}

// bindingState is what a refused binding must leave as it was: every provider, the
// worker index entries of the addresses involved, and the balances.
type bindingState struct {
	providers []types.Provider
	byWorker  map[string]string
	balances  map[string]sdkmath.Int
}

func snapshotBinding(t *testing.T, f *appfixture.Fixture) bindingState {
	t.Helper()
	ctx := f.Ctx()
	k := f.App.ProviderKeeper
	s := bindingState{byWorker: map[string]string{}, balances: map[string]sdkmath.Int{}}
	require.NoError(t, k.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Provider) (bool, error) {
		s.providers = append(s.providers, p)
		return false, nil
	}))
	for name, acc := range f.Accounts {
		s.balances[name] = f.Balance(acc.Address)
		if p, err := k.GetProviderByWorker(ctx, acc.Address); err == nil {
			s.byWorker[name] = p.Operator
		}
	}
	return s
}

// requireRefused checks that res failed with an error mentioning want and that nothing
// in before changed.
func requireRefused(t *testing.T, f *appfixture.Fixture, res *abci.ExecTxResult, want string, before bindingState) {
	t.Helper()
	require.NotZero(t, res.Code, "accepted")
	require.Contains(t, res.Log, want)
	require.Equal(t, before, snapshotBinding(t, f), "a refused binding changed the state")
}

// TestAttackWorkerSquatOnRegister: mallory registers a provider naming the victim's worker
// address, which the victim has not bound yet. Without the worker's signature the tx is
// refused by the ante handler (the message names the worker as a second signer) and
// nothing changes; a signature by another key in the worker's place is refused too. The
// victim then registers with its own worker key.
func TestAttackWorkerSquatOnRegister(t *testing.T) {
	f := bindingChain(t)
	mallory, accomplice := f.Accounts["mallory"], f.Accounts["accomplice"]
	victim, victimW := f.Accounts["victim"], f.Accounts["victimw"]
	squat := registerMsgOf(mallory.Address.String(), victimW.Address.String())

	before := snapshotBinding(t, f)
	res := f.Deliver(mallory, squat)
	requireRefused(t, f, res, "wrong number of signers; expected 2, got 1", before)

	res = f.DeliverBy([]*appfixture.Account{mallory, accomplice}, squat)
	requireRefused(t, f, res, "pubKey does not match signer address "+victimW.Address.String(), before)

	// The worker's signature in the operator's place, and the operator's in the worker's,
	// is no consent either: each signature is checked against its signer.
	res = f.DeliverBy([]*appfixture.Account{accomplice, mallory}, squat)
	requireRefused(t, f, res, "pubKey does not match signer address "+mallory.Address.String(), before)

	f.RegisterProvider(victim, victimW, registerMsgOf(victim.Address.String(), victimW.Address.String()))
	p, err := f.App.ProviderKeeper.GetProviderByWorker(f.Ctx(), victimW.Address)
	require.NoError(t, err)
	require.Equal(t, victim.Address.String(), p.Operator)
	_, err = f.App.ProviderKeeper.GetProvider(f.Ctx(), mallory.Address)
	require.ErrorIs(t, err, types.ErrProviderNotFound)
}

// TestAttackWorkerSquatOnChange: mallory, already a provider, moves its worker to the
// victim's unbound worker address without that key's signature. Refused, nothing changes.
// The old way, a worker set by MsgUpdateProvider (its field 2, now reserved), is refused
// at decoding, not silently ignored. With the new worker's signature the change goes
// through and the old worker address is free again.
func TestAttackWorkerSquatOnChange(t *testing.T) {
	f := bindingChain(t)
	mallory, victimW, accomplice := f.Accounts["mallory"], f.Accounts["victimw"], f.Accounts["accomplice"]
	f.MustDeliver(mallory, registerMsgOf(mallory.Address.String(), mallory.Address.String()))

	before := snapshotBinding(t, f)
	change := &types.MsgChangeWorker{Operator: mallory.Address.String(), Worker: victimW.Address.String()}
	res := f.Deliver(mallory, change)
	requireRefused(t, f, res, "wrong number of signers; expected 2, got 1", before)
	res = f.DeliverBy([]*appfixture.Account{mallory, accomplice}, change)
	requireRefused(t, f, res, "pubKey does not match signer address "+victimW.Address.String(), before)

	// A client built before MsgChangeWorker sets MsgUpdateProvider's old worker field: the
	// node refuses the tx at CheckTx (and a proposal would drop it: it does not decode).
	forged := withUpdateWorkerField(t, f.SignTx(mallory,
		&types.MsgUpdateProvider{Operator: mallory.Address.String(), MaxJobs: 3}), victimW.Address.String())
	f.SyncSequence(mallory)
	check, err := f.App.CheckTx(&abci.RequestCheckTx{Tx: forged, Type: abci.CheckTxType_New})
	require.NoError(t, err)
	require.NotZero(t, check.Code)
	require.Contains(t, check.Log, `errUnknownField "*types.MsgUpdateProvider": {TagNum: 2`)
	require.Empty(t, f.NextBlock(forged), "a proposal included the tx")
	require.Equal(t, before, snapshotBinding(t, f))

	// With the new worker's signature: bound, and mallory's own address is free again.
	f.MustDeliverBy([]*appfixture.Account{mallory, accomplice},
		&types.MsgChangeWorker{Operator: mallory.Address.String(), Worker: accomplice.Address.String()})
	p, err := f.App.ProviderKeeper.GetProviderByWorker(f.Ctx(), accomplice.Address)
	require.NoError(t, err)
	require.Equal(t, mallory.Address.String(), p.Operator)
	require.Equal(t, accomplice.Address.String(), p.Worker)
	require.Equal(t, uint32(types.DefaultMaxJobs), p.MaxJobs, "the forged update changed max_jobs")
	_, err = f.App.ProviderKeeper.GetProviderByWorker(f.Ctx(), mallory.Address)
	require.ErrorIs(t, err, types.ErrProviderNotFound)
}

// TestWorkerBoundElsewhereRefused: even with the worker's signature (its owner colludes, or
// runs two providers), an address that is already another provider's worker cannot be
// bound again, at registration or by a change.
func TestWorkerBoundElsewhereRefused(t *testing.T) {
	f := bindingChain(t)
	victim, victimW, prov2, prov2W := f.Accounts["victim"], f.Accounts["victimw"], f.Accounts["prov2"], f.Accounts["prov2w"]
	f.RegisterProvider(victim, victimW, registerMsgOf(victim.Address.String(), victimW.Address.String()))

	before := snapshotBinding(t, f)
	res := f.DeliverBy([]*appfixture.Account{prov2, victimW}, registerMsgOf(prov2.Address.String(), victimW.Address.String()))
	requireRefused(t, f, res, types.ErrWorkerInUse.Error(), before)
	require.Contains(t, res.Log, "is the worker of provider "+victim.Address.String())

	f.RegisterProvider(prov2, prov2W, registerMsgOf(prov2.Address.String(), prov2W.Address.String()))
	before = snapshotBinding(t, f)
	res = f.DeliverBy([]*appfixture.Account{prov2, victimW}, &types.MsgChangeWorker{Operator: prov2.Address.String(), Worker: victimW.Address.String()})
	requireRefused(t, f, res, types.ErrWorkerInUse.Error(), before)
}

// TestWorkerIsOperatorOneSignature: a provider that is its own worker signs once: the SDK
// counts a signer once, whatever case the message spells the worker's address in.
func TestWorkerIsOperatorOneSignature(t *testing.T) {
	f := bindingChain(t)
	victim, prov2 := f.Accounts["victim"], f.Accounts["prov2"]
	msg := registerMsgOf(victim.Address.String(), victim.Address.String())
	tx := f.SignTx(victim, msg)
	requireSignatures(t, f, tx, 1)
	res := f.NextBlock(tx)[0]
	require.Zero(t, res.Code, res.Log)
	f.SyncSequence(victim)
	p, err := f.App.ProviderKeeper.GetProviderByWorker(f.Ctx(), victim.Address)
	require.NoError(t, err)
	require.Equal(t, victim.Address.String(), p.Operator)

	f.MustDeliver(prov2, registerMsgOf(prov2.Address.String(), strings.ToUpper(prov2.Address.String())))
	p, err = f.App.ProviderKeeper.GetProvider(f.Ctx(), prov2.Address)
	require.NoError(t, err)
	require.Equal(t, prov2.Address.String(), p.Worker, "stored in canonical lower case")

	// Back from another worker to itself: one signature again.
	f.MustDeliverBy([]*appfixture.Account{victim, f.Accounts["victimw"]},
		&types.MsgChangeWorker{Operator: victim.Address.String(), Worker: f.Accounts["victimw"].Address.String()})
	f.MustDeliver(victim, &types.MsgChangeWorker{Operator: victim.Address.String(), Worker: victim.Address.String()})
	p, err = f.App.ProviderKeeper.GetProvider(f.Ctx(), victim.Address)
	require.NoError(t, err)
	require.Equal(t, victim.Address.String(), p.Worker)
}

// TestWorkerWithoutAccountRefused: a worker address that never received coins has no
// account, so its signature cannot be checked (the ante handler needs its account number):
// the registration is refused with "does not exist" and changes nothing. Funding the
// address first makes it work.
func TestWorkerWithoutAccountRefused(t *testing.T) {
	f := bindingChain(t)
	victim := f.Accounts["victim"]
	priv := secp256k1.GenPrivKeyFromSecret([]byte("sovra-fixture/fresh-worker"))
	fresh := &appfixture.Account{Name: "fresh", Priv: priv, Address: sdk.AccAddress(priv.PubKey().Address()), Number: 1000}
	msg := registerMsgOf(victim.Address.String(), fresh.Address.String())

	before := snapshotBinding(t, f)
	res := f.DeliverBy([]*appfixture.Account{victim, fresh}, msg)
	requireRefused(t, f, res, "account "+fresh.Address.String()+" does not exist", before)

	f.MustDeliver(victim, banktypes.NewMsgSend(victim.Address, fresh.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))))
	fresh.Number = f.App.AccountKeeper.GetAccount(f.Ctx(), fresh.Address).GetAccountNumber()
	f.SyncSequence(fresh)
	f.RegisterProvider(victim, fresh, msg)
	p, err := f.App.ProviderKeeper.GetProviderByWorker(f.Ctx(), fresh.Address)
	require.NoError(t, err)
	require.Equal(t, victim.Address.String(), p.Operator)
}

// TestTxClientCoSignedRegistration: the tx client's SignMulti (what `sovrad tx provider
// register --worker KEY` and SendCoSigned use), given the worker's key before the
// operator's, signs a registration that the real ante handler accepts.
func TestTxClientCoSignedRegistration(t *testing.T) {
	f := bindingChain(t)
	victim, victimW := f.Accounts["victim"], f.Accounts["victimw"]
	bz, err := txclient.SignMulti(context.Background(), params.Encoding(), appfixture.ChainID, []txclient.Signer{
		{Key: txclient.PrivKey(victimW.Priv), Number: victimW.Number, Sequence: victimW.Seq},
		{Key: txclient.PrivKey(victim.Priv), Number: victim.Number, Sequence: victim.Seq},
	}, txclient.Fee{Gas: 1_000_000}, registerMsgOf(victim.Address.String(), victimW.Address.String()))
	require.NoError(t, err)
	requireSignatures(t, f, bz, 2)
	res := f.NextBlock(bz)[0]
	require.Zero(t, res.Code, res.Log)
	p, err := f.App.ProviderKeeper.GetProviderByWorker(f.Ctx(), victimW.Address)
	require.NoError(t, err)
	require.Equal(t, victim.Address.String(), p.Operator)
}

// requireSignatures checks how many signatures the encoded tx carries.
func requireSignatures(t *testing.T, f *appfixture.Fixture, txBytes []byte, n int) {
	t.Helper()
	decoded, err := f.App.TxConfig().TxDecoder()(txBytes)
	require.NoError(t, err)
	sigs, err := decoded.(authsigning.Tx).GetSignaturesV2()
	require.NoError(t, err)
	require.Len(t, sigs, n)
}

// withUpdateWorkerField returns the signed tx with field 2 (the old worker field) appended
// to its MsgUpdateProvider, as a client built against the old schema would encode it.
// The signatures no longer match, but the tx is refused at decoding, before they are
// checked.
func withUpdateWorkerField(t *testing.T, txBytes []byte, worker string) []byte {
	t.Helper()
	var raw txtypes.TxRaw
	require.NoError(t, raw.Unmarshal(txBytes))
	var body txtypes.TxBody
	require.NoError(t, body.Unmarshal(raw.BodyBytes))
	require.Equal(t, "/"+gogoproto.MessageName(&types.MsgUpdateProvider{}), body.Messages[0].TypeUrl)
	field := protowire.AppendTag(nil, 2, protowire.BytesType)
	field = protowire.AppendString(field, worker)
	body.Messages[0].Value = append(body.Messages[0].Value, field...)
	var err error
	raw.BodyBytes, err = body.Marshal()
	require.NoError(t, err)
	out, err := raw.Marshal()
	require.NoError(t, err)
	return out
}
