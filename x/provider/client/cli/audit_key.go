package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/sovra-network/sovra/x/provider/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// NewSetAuditKeyCmd returns `set-audit-key`: the worker key (--from) derives its X25519
// audit key, as sovra-worker does at its start, and publishes it.
func NewSetAuditKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-audit-key",
		Short: "Publish the audit key of a provider's worker key (--from): audited providers seal claimed outputs to it",
		Long: `The worker key signs a fixed string and the signature seeds an X25519 key pair, so the
same worker key always has the same audit key (sovra-worker derives and publishes it by
itself at its start). Refused while the provider is party to an open audit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			if clientCtx.Keyring == nil || clientCtx.FromName == "" {
				return fmt.Errorf("--from must name the worker key in the keyring")
			}
			sig, _, err := clientCtx.Keyring.Sign(clientCtx.FromName, []byte(verifytypes.AuditKeyDomain), signing.SignMode_SIGN_MODE_DIRECT)
			if err != nil {
				return fmt.Errorf("derive the audit key from %q: %w", clientCtx.FromName, err)
			}
			_, pub, err := verifytypes.DeriveAuditKey(sig)
			if err != nil {
				return err
			}
			msg := &types.MsgSetAuditKey{Worker: clientCtx.GetFromAddress().String(), AuditKey: pub[:]}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}
