// Package clitx sends a CLI command's transaction through txclient: the standard tx flags
// it honours (and those it refuses rather than ignore), signing with the --from key and
// any co-signers of the keyring, and waiting until the tx is in a block, so the command
// can print what the chain decided. sovrad's hand-written commands use it (`tx task
// submit`, `commit-result`, `tx provider register`, `change-worker`).
package clitx

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
)

// FlagWaitTimeout bounds how long a command waits for its tx to be included in a block.
const FlagWaitTimeout = "wait-timeout"

// Send signs msg with the --from key and with each co-signer (names of keys in the same
// keyring; a message such as a provider registration needs its worker's signature too),
// broadcasts it and waits until it is in a block. A tx that failed in its block comes
// back with its result and an error. Callers serve --generate-only and --dry-run
// themselves (tx.GenerateOrBroadcastTxCLI), where nothing is signed or broadcast.
func Send(clientCtx client.Context, flagSet *pflag.FlagSet, coSigners []string, msg sdk.Msg) (*sdk.TxResponse, error) {
	if m, ok := msg.(sdk.HasValidateBasic); ok {
		if err := m.ValidateBasic(); err != nil {
			return nil, err
		}
	}
	opts, err := Options(flagSet)
	if err != nil {
		return nil, err
	}
	if clientCtx.Keyring == nil || clientCtx.FromName == "" {
		return nil, errors.New("no signing key: pass --from with a key of the keyring")
	}
	key, err := txclient.KeyringKey(clientCtx.Keyring, clientCtx.FromName)
	if err != nil {
		return nil, err
	}
	others := make([]txclient.Key, 0, len(coSigners))
	for _, name := range coSigners {
		k, err := txclient.KeyringKey(clientCtx.Keyring, name)
		if err != nil {
			return nil, err
		}
		others = append(others, k)
	}
	if clientCtx.Client == nil {
		return nil, errors.New("no node to broadcast to: pass --node")
	}
	c := txclient.New(params.Encoding(), clientCtx.ChainID, txclient.NewNode(clientCtx, clientCtx.Client), key, opts)
	ctx := clientCtx.GetCmdContextWithFallback()
	var res txclient.Result
	if len(others) == 0 {
		res, err = c.Send(ctx, nil, msg)
	} else {
		res, err = c.SendCoSigned(ctx, others, msg)
	}
	var check *txclient.CheckTxError
	switch {
	case errors.As(err, &check):
		return nil, fmt.Errorf("tx refused (code %d, %s): %s", check.Code, check.Codespace, check.Log)
	case errors.Is(err, txclient.ErrTxFailed):
		return TxResponse(res), fmt.Errorf("tx %s failed at height %d (code %d): %s", res.Hash, res.Height, res.Code, res.Log)
	case err != nil:
		return nil, err
	}
	return TxResponse(res), nil
}

// Options reads the SDK's standard tx flags that Send honours and refuses those it cannot
// (a fee payer or granter, offline signing, timeouts), so none is silently ignored.
func Options(f *pflag.FlagSet) (txclient.Options, error) {
	for _, name := range []string{flags.FlagFeePayer, flags.FlagFeeGranter, flags.FlagOffline, flags.FlagTimeoutHeight, flags.FlagUnordered} {
		if fl := f.Lookup(name); fl != nil && fl.Changed {
			return txclient.Options{}, fmt.Errorf("--%s is not supported by this command (use --generate-only and sign the tx yourself)", name)
		}
	}
	var opts txclient.Options
	gasStr, _ := f.GetString(flags.FlagGas)
	gas, err := flags.ParseGasSetting(gasStr)
	if err != nil {
		return opts, err
	}
	if !gas.Simulate {
		opts.Gas = gas.Gas
	}
	if opts.GasAdjustment, err = f.GetFloat64(flags.FlagGasAdjustment); err != nil {
		return opts, err
	}
	fees, _ := f.GetString(flags.FlagFees)
	prices, _ := f.GetString(flags.FlagGasPrices)
	if fees != "" && prices != "" {
		return opts, errors.New("pass either --fees or --gas-prices, not both")
	}
	if fees != "" {
		if opts.Fees, err = sdk.ParseCoinsNormalized(fees); err != nil {
			return opts, fmt.Errorf("--fees %q: %w", fees, err)
		}
	}
	if prices != "" {
		if opts.GasPrices, err = sdk.ParseDecCoins(prices); err != nil {
			return opts, fmt.Errorf("--gas-prices %q: %w", prices, err)
		}
	}
	opts.Memo, _ = f.GetString(flags.FlagNote)
	opts.TxTimeout, _ = f.GetDuration(FlagWaitTimeout)
	opts.PollInterval = 250 * time.Millisecond
	return opts, nil
}

// TxResponse is the SDK's form of a transaction in a block, for the CLI's output.
func TxResponse(r txclient.Result) *sdk.TxResponse {
	return &sdk.TxResponse{
		TxHash: r.Hash, Height: r.Height, Code: r.Code, Codespace: r.Codespace, RawLog: r.Log,
		GasWanted: r.GasWanted, GasUsed: r.GasUsed, Events: r.Events,
	}
}
