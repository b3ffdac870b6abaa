package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// FlagClaimed names the claimed-output file of the open command.
const FlagClaimed = "claimed"

// NewOpenCmd: `sovrad tx verify open JOB_ID --claimed FILE`.
func NewOpenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "open [job-id] --claimed FILE",
		Short: "Open your audited job's claimed output to the current round's verifiers (the audited provider)",
		Long: `Seal the claimed output with the result's salt and trace hash (the result file of
commit-result: prompt_tokens, output_tokens, stop_token when the output ended on an
end-of-generation token, salt, trace) to the audit key of every verifier of the audit's
current round and send the openings. Only those verifiers can read them (each opening's key
derives from the salt, so it can be disclosed to answer a complaint: tx verify disclose); a
provider that does not open in time fails the audit.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("job id %q must be a positive integer", args[0])
			}
			r, err := readClaimed(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			res, err := types.NewQueryClient(clientCtx).Audit(ctx, &types.QueryAuditRequest{JobId: id})
			if err != nil {
				return err
			}
			a := res.Audit
			if a.Status != types.AUDIT_STATUS_OPEN {
				return fmt.Errorf("the audit of job %d is in %s, not waiting for the opening", id, a.Status)
			}
			msg := &types.MsgOpenAudit{Signer: clientCtx.GetFromAddress().String(), JobId: id}
			pq := providertypes.NewQueryClient(clientCtx)
			for _, v := range a.Verifiers {
				if v.Round != a.Round {
					continue
				}
				p, err := pq.Provider(ctx, &providertypes.QueryProviderRequest{Address: v.Operator})
				if err != nil {
					return fmt.Errorf("verifier %s: %w", v.Operator, err)
				}
				op, err := sdk.AccAddressFromBech32(v.Operator)
				if err != nil {
					return err
				}
				sealed, err := types.SealOpening(p.Provider.AuditKey, r.opening, types.DeriveOpeningKey(r.opening.Salt, id, a.Round, op))
				if err != nil {
					return fmt.Errorf("seal the opening for %s: %w", v.Operator, err)
				}
				msg.Openings = append(msg.Openings, types.AuditOpening{Verifier: v.Operator, Sealed: sealed})
			}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagClaimed, "", "JSON file with output_tokens and stop_token (required)")
	_ = cmd.MarkFlagRequired(FlagClaimed)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// claimedFile is a result file as commit-result reads it.
type claimedFile struct {
	opening types.Opening
}

// readClaimed reads a result file: a file without stop_token ended at max tokens.
func readClaimed(cmd *cobra.Command) (claimedFile, error) {
	path, _ := cmd.Flags().GetString(FlagClaimed)
	bz, err := os.ReadFile(path)
	if err != nil {
		return claimedFile{}, fmt.Errorf("--%s: %w", FlagClaimed, err)
	}
	var f struct {
		PromptTokens []uint32    `json:"prompt_tokens"`
		OutputTokens []uint32    `json:"output_tokens"`
		StopToken    *uint32     `json:"stop_token"`
		Salt         string      `json:"salt"`
		Trace        types.Trace `json:"trace"`
	}
	if err := json.Unmarshal(bz, &f); err != nil {
		return claimedFile{}, fmt.Errorf("--%s %s: not valid JSON: %w", FlagClaimed, path, err)
	}
	if len(f.OutputTokens) == 0 {
		return claimedFile{}, fmt.Errorf("--%s %s: output_tokens is empty", FlagClaimed, path)
	}
	salt, err := hex.DecodeString(f.Salt)
	if err != nil || len(salt) < tasktypes.MinSaltLen {
		return claimedFile{}, fmt.Errorf("--%s %s: salt must be the result's salt, at least %d bytes of hex", FlagClaimed, path, tasktypes.MinSaltLen)
	}
	c := tasktypes.Claimed{PromptTokens: f.PromptTokens, OutputTokens: f.OutputTokens, StopToken: tasktypes.NoStopToken}
	if f.StopToken != nil {
		c.StopToken = *f.StopToken
	}
	th := f.Trace.Hash()
	return claimedFile{opening: types.Opening{Claimed: c, Salt: salt, TraceHash: th[:]}}, nil
}
