package cli

import (
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/sovra-network/sovra/x/task/types"
)

// outputKeyPair derives the submitter's X25519 output key from its keyring key: the key
// signs a fixed domain string (secp256k1 signing is deterministic, RFC 6979), and the
// signature seeds the X25519 key. The same keyring key always opens its own outputs.
func outputKeyPair(clientCtx client.Context) (priv, pub *[32]byte, err error) {
	if clientCtx.Keyring == nil || clientCtx.FromName == "" {
		return nil, nil, fmt.Errorf("--from must name a key in the keyring")
	}
	sig, _, err := clientCtx.Keyring.Sign(clientCtx.FromName, []byte(types.OutputKeyDomain), signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, nil, fmt.Errorf("derive output key from %q: %w", clientCtx.FromName, err)
	}
	return types.DeriveOutputKey(sig)
}
