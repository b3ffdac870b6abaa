package app

import (
	"os"
	"path/filepath"

	"github.com/sovra-network/sovra/app/params"
)

// The chain's names and denoms, defined in app/params so clients share them without
// importing the app.
const (
	Name          = params.Name
	AccountPrefix = params.AccountPrefix
	BondDenom     = params.BondDenom
	DisplayDenom  = params.DisplayDenom
	DenomExponent = params.DenomExponent
)

// DefaultNodeHome is ~/.sovra.
var DefaultNodeHome = func() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".sovra"
	}
	return filepath.Join(home, ".sovra")
}()

// SetAddressPrefixes sets the bech32 prefixes once per process (see params).
func SetAddressPrefixes() { params.SetAddressPrefixes() }
