package cli

import (
	"github.com/spf13/pflag"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/txclient/clitx"
)

// FlagWaitTimeout bounds how long a command waits for its tx to be included in a block.
const FlagWaitTimeout = clitx.FlagWaitTimeout

// broadcastAndWait signs and broadcasts msg through the project's tx client, then waits
// until the tx is in a block, so the command can print what the chain decided (a job id,
// a failure reason). It returns (nil, nil) for --generate-only and --dry-run, where
// nothing is broadcast (the SDK's own path serves those).
func broadcastAndWait(clientCtx client.Context, flagSet *pflag.FlagSet, msg sdk.Msg) (*sdk.TxResponse, error) {
	if clientCtx.GenerateOnly || clientCtx.Simulate {
		if m, ok := msg.(sdk.HasValidateBasic); ok {
			if err := m.ValidateBasic(); err != nil {
				return nil, err
			}
		}
		return nil, tx.GenerateOrBroadcastTxCLI(clientCtx, flagSet, msg)
	}
	return clitx.Send(clientCtx, flagSet, nil, msg)
}
