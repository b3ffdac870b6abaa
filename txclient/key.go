package txclient

import (
	"fmt"
	"io"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/sovra-network/sovra/app/params"
)

// Key is one account's public key and a way to sign with it (SIGN_MODE_DIRECT bytes).
type Key struct {
	Address sdk.AccAddress
	PubKey  cryptotypes.PubKey
	Sign    func(signBytes []byte) ([]byte, error)
}

// OpenKeyring opens a keyring folder with the chain's codecs; input answers a file
// keyring's passphrase prompt (nil for backends that need none).
func OpenKeyring(backend, dir string, input io.Reader) (keyring.Keyring, error) {
	kr, err := keyring.New(sdk.KeyringServiceName(), backend, dir, input, params.Encoding().Codec)
	if err != nil {
		return nil, fmt.Errorf("open keyring %s (%s): %w", dir, backend, err)
	}
	return kr, nil
}

// Bech32 is the key's account address.
func (k Key) Bech32() string { return k.Address.String() }

// KeyringKey signs with the keyring entry name.
func KeyringKey(kr keyring.Keyring, name string) (Key, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return Key{}, fmt.Errorf("key %q: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return Key{}, fmt.Errorf("key %q: %w", name, err)
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		return Key{}, fmt.Errorf("key %q: %w", name, err)
	}
	return Key{
		Address: addr, PubKey: pub,
		Sign: func(b []byte) ([]byte, error) {
			sig, _, err := kr.Sign(name, b, signing.SignMode_SIGN_MODE_DIRECT)
			if err != nil {
				return nil, fmt.Errorf("sign with %q: %w", name, err)
			}
			return sig, nil
		},
	}, nil
}

// PrivKey signs with a raw private key (load accounts, tests).
func PrivKey(k cryptotypes.PrivKey) Key {
	pub := k.PubKey()
	return Key{Address: sdk.AccAddress(pub.Address()), PubKey: pub, Sign: k.Sign}
}
