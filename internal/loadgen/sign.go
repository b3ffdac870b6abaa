package loadgen

import (
	"fmt"
	"os"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/sovra-network/sovra/txclient"
)

// DeriveKey is load account i's key for a seed: secp256k1 from "<seed>/<i>".
func DeriveKey(seed string, i int) *secp256k1.PrivKey {
	return secp256k1.GenPrivKeyFromSecret([]byte(fmt.Sprintf("%s/%d", seed, i)))
}

func openKeyring(dir, backend string) (keyring.Keyring, error) {
	return txclient.OpenKeyring(backend, dir, os.Stdin)
}
