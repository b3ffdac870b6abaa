package txclient

import (
	"bytes"
	"context"
	"fmt"

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

// Signer is one signature of a transaction: the key, and its account's number and
// sequence on the chain.
type Signer struct {
	Key      Key
	Number   uint64
	Sequence uint64
}

// Sign builds a transaction of msgs signed SIGN_MODE_DIRECT by key and returns its bytes.
// It touches no node.
func Sign(ctx context.Context, enc params.EncodingConfig, key Key, acc Account, fee Fee, msgs ...sdk.Msg) ([]byte, error) {
	return sign(ctx, enc, acc.ChainID, []Signer{{Key: key, Number: acc.Number, Sequence: acc.Sequence}}, fee, msgs)
}

// SignMulti builds a transaction of msgs signed SIGN_MODE_DIRECT by several keys (a
// provider registration is signed by its operator and by the worker it binds), each with
// its own account number and sequence, and returns its bytes. The signers may come in any
// order: the signatures are placed in the order in which the messages name their signers
// (the ante handler matches them by position), and a key given twice signs once. A
// required signer without a key, or a key the messages do not require, is an error. It
// touches no node.
func SignMulti(ctx context.Context, enc params.EncodingConfig, chainID string, signers []Signer, fee Fee, msgs ...sdk.Msg) ([]byte, error) {
	txb := enc.TxConfig.NewTxBuilder()
	if err := txb.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	required, err := txb.GetTx().GetSigners()
	if err != nil {
		return nil, err
	}
	ordered := make([]Signer, 0, len(required))
	for _, addr := range required {
		i := indexOf(signers, addr)
		if i < 0 {
			return nil, fmt.Errorf("the messages need the signature of %s too: no key given for it", sdk.AccAddress(addr))
		}
		ordered = append(ordered, signers[i])
	}
	for _, s := range signers {
		if indexOf(ordered, s.Key.Address) < 0 {
			return nil, fmt.Errorf("key %s is not a signer of these messages", s.Key.Bech32())
		}
	}
	return sign(ctx, enc, chainID, ordered, fee, msgs)
}

// indexOf is the index of the first signer whose key has address addr, or -1.
func indexOf(signers []Signer, addr []byte) int {
	for i, s := range signers {
		if bytes.Equal(s.Key.Address, addr) {
			return i
		}
	}
	return -1
}

// sign signs msgs with signers, in the order given.
func sign(ctx context.Context, enc params.EncodingConfig, chainID string, signers []Signer, fee Fee, msgs []sdk.Msg) ([]byte, error) {
	txb := enc.TxConfig.NewTxBuilder()
	if err := txb.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	txb.SetGasLimit(fee.Gas)
	txb.SetFeeAmount(fee.Amount)
	txb.SetMemo(fee.Memo)
	// The signer infos (public key, mode, sequence) are part of the signed bytes, so they
	// are set first with empty signatures; every signer then signs the same body and auth
	// info, with its own account number.
	sigs := make([]signing.SignatureV2, len(signers))
	for i, s := range signers {
		sigs[i] = signing.SignatureV2{
			PubKey:   s.Key.PubKey,
			Data:     &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT},
			Sequence: s.Sequence,
		}
	}
	if err := txb.SetSignatures(sigs...); err != nil {
		return nil, err
	}
	for i, s := range signers {
		data := authsigning.SignerData{
			Address: s.Key.Bech32(), ChainID: chainID, AccountNumber: s.Number, Sequence: s.Sequence, PubKey: s.Key.PubKey,
		}
		signBytes, err := authsigning.GetSignBytesAdapter(ctx, enc.TxConfig.SignModeHandler(),
			signing.SignMode_SIGN_MODE_DIRECT, data, txb.GetTx())
		if err != nil {
			return nil, err
		}
		raw, err := s.Key.Sign(signBytes)
		if err != nil {
			return nil, err
		}
		sigs[i].Data = &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT, Signature: raw}
	}
	if err := txb.SetSignatures(sigs...); err != nil {
		return nil, err
	}
	return enc.TxConfig.TxEncoder()(txb.GetTx())
}
