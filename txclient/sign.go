package txclient

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/sovra-network/sovra/app/params"
)

// Account is what a signature commits to besides the messages: the chain, the account
// number and the sequence.
type Account struct {
	ChainID  string
	Number   uint64
	Sequence uint64
}

// Fee is a transaction's gas limit, fee and memo.
type Fee struct {
	Gas    uint64
	Amount sdk.Coins
	Memo   string
}

// Sign builds a transaction of msgs signed SIGN_MODE_DIRECT by key and returns its bytes.
// It touches no node.
func Sign(ctx context.Context, enc params.EncodingConfig, key Key, acc Account, fee Fee, msgs ...sdk.Msg) ([]byte, error) {
	txb := enc.TxConfig.NewTxBuilder()
	if err := txb.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	txb.SetGasLimit(fee.Gas)
	txb.SetFeeAmount(fee.Amount)
	txb.SetMemo(fee.Memo)
	// The signer info (public key, mode, sequence) is part of the signed bytes, so it is
	// set first with an empty signature.
	sig := signing.SignatureV2{
		PubKey:   key.PubKey,
		Data:     &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT},
		Sequence: acc.Sequence,
	}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, err
	}
	data := authsigning.SignerData{
		Address: key.Bech32(), ChainID: acc.ChainID, AccountNumber: acc.Number, Sequence: acc.Sequence, PubKey: key.PubKey,
	}
	signBytes, err := authsigning.GetSignBytesAdapter(ctx, enc.TxConfig.SignModeHandler(),
		signing.SignMode_SIGN_MODE_DIRECT, data, txb.GetTx())
	if err != nil {
		return nil, err
	}
	raw, err := key.Sign(signBytes)
	if err != nil {
		return nil, err
	}
	sig.Data = &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT, Signature: raw}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, err
	}
	return enc.TxConfig.TxEncoder()(txb.GetTx())
}
