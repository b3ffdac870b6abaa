package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

// FlagWaitTimeout bounds how long a command waits for its tx to be included in a block.
const FlagWaitTimeout = "wait-timeout"

// broadcastAndWait signs and broadcasts msg, then waits until the tx is in a block, so the
// command can print what the chain decided (a job id, a failure reason). It returns
// (nil, nil) for --generate-only and --dry-run, where nothing is broadcast.
func broadcastAndWait(clientCtx client.Context, flags *pflag.FlagSet, msg sdk.Msg) (*sdk.TxResponse, error) {
	if m, ok := msg.(sdk.HasValidateBasic); ok {
		if err := m.ValidateBasic(); err != nil {
			return nil, err
		}
	}
	if clientCtx.GenerateOnly || clientCtx.Simulate {
		return nil, tx.GenerateOrBroadcastTxCLI(clientCtx, flags, msg)
	}
	txf, err := tx.NewFactoryCLI(clientCtx, flags)
	if err != nil {
		return nil, err
	}
	if txf, err = txf.Prepare(clientCtx); err != nil {
		return nil, err
	}
	if txf.SimulateAndExecute() {
		_, gas, err := tx.CalculateGas(clientCtx, txf, msg)
		if err != nil {
			return nil, err
		}
		txf = txf.WithGas(gas)
	}
	builder, err := txf.BuildUnsignedTx(msg)
	if err != nil {
		return nil, err
	}
	if err := tx.Sign(clientCtx.GetCmdContextWithFallback(), txf, clientCtx.FromName, builder, true); err != nil {
		return nil, err
	}
	txBytes, err := clientCtx.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return nil, err
	}
	res, err := clientCtx.WithBroadcastMode("sync").BroadcastTx(txBytes)
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return nil, fmt.Errorf("tx %s refused (code %d): %s", res.TxHash, res.Code, res.RawLog)
	}
	timeout, _ := flags.GetDuration(FlagWaitTimeout)
	return waitForTx(clientCtx, res.TxHash, timeout)
}

func waitForTx(clientCtx client.Context, hash string, timeout time.Duration) (*sdk.TxResponse, error) {
	deadline := time.Now().Add(timeout)
	for {
		res, err := authtx.QueryTx(clientCtx, hash)
		if err == nil {
			if res.Code != 0 {
				return res, fmt.Errorf("tx %s failed at height %d (code %d): %s", hash, res.Height, res.Code, res.RawLog)
			}
			return res, nil
		}
		if !strings.Contains(err.Error(), "not found") {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, errors.New("tx " + hash + " was broadcast but not included within " + timeout.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// eventAttr returns the first value of attribute key in events of type typ.
func eventAttr(res *sdk.TxResponse, typ, key string) (string, bool) {
	for _, ev := range res.Events {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == key {
				return a.Value, true
			}
		}
	}
	return "", false
}
