// Package params holds what every Sovra process shares without building an app: the
// chain's names, denoms and bech32 prefixes, and the codecs of every module's messages.
// The node, the worker, the load generator and the CLI helpers all take their codecs from
// MakeEncodingConfig, so a message one of them signs is one the others decode.
package params

import (
	"fmt"
	"os"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// Name of the application and of its binary's folder in the user's home.
	Name = "sovra"
	// AccountPrefix is the bech32 prefix of account addresses (sovra1...).
	AccountPrefix = "sovra"
	// BondDenom is the base denom: 1 SOVRA = 10^6 usovra.
	BondDenom    = "usovra"
	DisplayDenom = "SOVRA"
	// DenomExponent is the number of decimals of the display denom.
	DenomExponent = 6
)

// SetAddressPrefixes sets the bech32 prefixes once per process (sovra, sovravaloper,
// sovravalcons and their pub variants) and makes usovra the SDK's default bond denom, so
// every module's default genesis (staking, mint, gov) uses it.
func SetAddressPrefixes() {
	// sdk.GetConfig keys its registry by executable path, hostname and pid, and reads the
	// first two with system calls on every call, that is on every bech32 encode or decode.
	// Naming the scope once makes each call a cheap environment lookup.
	if os.Getenv(sdk.EnvConfigScope) == "" {
		_ = os.Setenv(sdk.EnvConfigScope, fmt.Sprintf("sovra-%d", os.Getpid()))
	}
	sdk.DefaultBondDenom = BondDenom
	cfg := sdk.GetConfig()
	if cfg.GetBech32AccountAddrPrefix() == AccountPrefix {
		return
	}
	cfg.SetBech32PrefixForAccount(AccountPrefix, AccountPrefix+"pub")
	cfg.SetBech32PrefixForValidator(AccountPrefix+"valoper", AccountPrefix+"valoperpub")
	cfg.SetBech32PrefixForConsensusNode(AccountPrefix+"valcons", AccountPrefix+"valconspub")
	cfg.Seal()
}
