package loadgen

import (
	"context"
	"fmt"
	"os"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/sovra-network/sovra/app"
)

// signer is one account that signs transactions: a raw key or a keyring entry.
type signer struct {
	addr   sdk.AccAddress
	bech   string
	pub    cryptotypes.PubKey
	sign   func(signBytes []byte) ([]byte, error)
	accNum uint64
}

// DeriveKey is load account i's key for a seed: secp256k1 from "<seed>/<i>".
func DeriveKey(seed string, i int) *secp256k1.PrivKey {
	return secp256k1.GenPrivKeyFromSecret([]byte(fmt.Sprintf("%s/%d", seed, i)))
}

func privSigner(k *secp256k1.PrivKey) *signer {
	addr := sdk.AccAddress(k.PubKey().Address())
	return &signer{addr: addr, bech: addr.String(), pub: k.PubKey(), sign: k.Sign}
}

func openKeyring(dir, backend string) (keyring.Keyring, error) {
	kr, err := keyring.New(sdk.KeyringServiceName(), backend, dir, os.Stdin, Encoding().Codec)
	if err != nil {
		return nil, fmt.Errorf("open keyring %s (%s): %w", dir, backend, err)
	}
	return kr, nil
}

func keyringSigner(kr keyring.Keyring, name string) (*signer, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	return &signer{
		addr: addr, bech: addr.String(), pub: pub,
		sign: func(b []byte) ([]byte, error) {
			sig, _, err := kr.Sign(name, b, signing.SignMode_SIGN_MODE_DIRECT)
			return sig, err
		},
	}, nil
}

// signTx builds a tx of msgs with the gas limit and no fee, signed SIGN_MODE_DIRECT by
// s at sequence seq, and returns its bytes.
func signTx(ctx context.Context, enc app.EncodingConfig, chainID string, s *signer, seq, gas uint64, msgs ...sdk.Msg) ([]byte, error) {
	txb := enc.TxConfig.NewTxBuilder()
	if err := txb.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	txb.SetGasLimit(gas)
	// The signer info (public key, mode, sequence) is part of the signed bytes, so it is
	// set first with an empty signature.
	sig := signing.SignatureV2{
		PubKey:   s.pub,
		Data:     &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT},
		Sequence: seq,
	}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, err
	}
	data := authsigning.SignerData{
		Address: s.bech, ChainID: chainID, AccountNumber: s.accNum, Sequence: seq, PubKey: s.pub,
	}
	signBytes, err := authsigning.GetSignBytesAdapter(ctx, enc.TxConfig.SignModeHandler(),
		signing.SignMode_SIGN_MODE_DIRECT, data, txb.GetTx())
	if err != nil {
		return nil, err
	}
	raw, err := s.sign(signBytes)
	if err != nil {
		return nil, err
	}
	sig.Data = &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT, Signature: raw}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, err
	}
	return enc.TxConfig.TxEncoder()(txb.GetTx())
}
