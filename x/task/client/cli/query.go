package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/sovra-network/sovra/x/task/types"
)

// NewQueryCmd holds the task queries that autocli cannot build.
func NewQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: types.ModuleName, Short: "Inference job queries", RunE: client.ValidateCmd}
	cmd.AddCommand(NewOutputCmd())
	return cmd
}

// NewOutputCmd decrypts a job's sealed output with the submitter's keyring key.
func NewOutputCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "output [job-id]",
		Short: "Decrypt a job's output with the submitter's key (--from)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("job id %q must be a positive integer", args[0])
			}
			res, err := types.NewQueryClient(clientCtx).Job(cmd.Context(), &types.QueryJobRequest{Id: id})
			if err != nil {
				return err
			}
			if len(res.Job.SealedOutput) == 0 {
				return fmt.Errorf("job %d has no output yet (status %s)", id, res.Job.Status)
			}
			priv, pub, err := outputKeyPair(clientCtx)
			if err != nil {
				return err
			}
			out, err := types.Open(res.Job.SealedOutput, pub, priv)
			if err != nil {
				return fmt.Errorf("job %d: %w (was it submitted by %s?)", id, err, clientCtx.FromName)
			}
			if clientCtx.OutputFormat == flags.OutputFormatJSON {
				return printJSON(clientCtx, out)
			}
			return clientCtx.PrintBytes(append(out.Text, '\n'))
		},
	}
	cmd.Flags().String(flags.FlagFrom, "", "name or address of the submitter's key")
	flags.AddKeyringFlags(cmd.Flags())
	flags.AddQueryFlagsToCmd(cmd)
	_ = cmd.MarkFlagRequired(flags.FlagFrom)
	return cmd
}
