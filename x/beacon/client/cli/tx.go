package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// GetTxCmd returns the beacon tx commands (`tx beacon ...`).
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Beacon transaction subcommands",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(TxRegisterVRFKeyCmd())
	return cmd
}

// TxRegisterVRFKeyCmd returns `register-vrf-key --from KEY`: it proves possession of
// the node's VRF key for the validator operated by the --from account and sends
// MsgRegisterVRFKey.
func TxRegisterVRFKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register-vrf-key",
		Short: "Register this node's VRF public key for the validator operated by --from",
		Long: `Read <home>/config/vrf_key.json, prove possession of the key over the chain id and the
validator operator address of the --from account, and broadcast MsgRegisterVRFKey.
A validator registers one key; it cannot be replaced.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg, err := BuildRegisterVRFKeyMsg(cmd, clientCtx)
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagKeyFile, "", "VRF key file (default <home>/config/vrf_key.json)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// BuildRegisterVRFKeyMsg builds the registration message for the --from account from
// the key file and chain id of clientCtx.
func BuildRegisterVRFKeyMsg(cmd *cobra.Command, clientCtx client.Context) (*types.MsgRegisterVRFKey, error) {
	from := clientCtx.GetFromAddress()
	if from.Empty() {
		return nil, errors.New("pass --from with the validator operator's key")
	}
	if clientCtx.ChainID == "" {
		return nil, fmt.Errorf("the chain id is unknown: pass --%s", flags.FlagChainID)
	}
	key, _, err := loadKey(cmd)
	if err != nil {
		return nil, err
	}
	valoper := sdk.ValAddress(from).String()
	proof, _ := key.Prove(vrf.PossessionInput(clientCtx.ChainID, valoper))
	msg := types.NewMsgRegisterVRFKey(from.String(), key.PubKey(), proof)
	return msg, msg.ValidateBasic()
}
