// Package cli holds the verify commands autocli cannot build: commit and reveal take hex
// and compute the blinded commitment, so an operator can act by hand.
package cli

import (
	"crypto/rand"
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

	"github.com/sovra-network/sovra/x/verify/types"
)

// Flags of the commit command.
const (
	FlagSalt     = "salt"
	FlagOperator = "operator"
	FlagTrace    = "trace"
)

// readTrace reads a trace (x/verify README) from a JSON file.
func readTrace(cmd *cobra.Command) (types.Trace, error) {
	path, _ := cmd.Flags().GetString(FlagTrace)
	var t types.Trace
	bz, err := os.ReadFile(path)
	if err != nil {
		return t, fmt.Errorf("--%s: %w", FlagTrace, err)
	}
	if err := json.Unmarshal(bz, &t); err != nil {
		return t, fmt.Errorf("--%s %s: not a trace: %w", FlagTrace, path, err)
	}
	return t, nil
}

// NewTxCmd returns `sovrad tx verify`.
func NewTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: types.ModuleName, Short: "Audit transactions (verifiers and audited providers)", RunE: client.ValidateCmd}
	cmd.AddCommand(NewOpenCmd(), NewCommitCmd(), NewRevealCmd())
	return cmd
}

// NewCommitCmd: `sovrad tx verify commit JOB_ID OUTPUT_HASH_HEX [--salt HEX] [--operator ADDR]`.
func NewCommitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commit [job-id] [output-hash-hex] --trace FILE",
		Short: "Commit a verifier's re-scoring of an audited job: sha256(domain ‖ output_hash ‖ trace_hash ‖ salt ‖ operator)",
		Long: `Commit the output hash and trace you computed for an audited job, blinded with a salt.
Keep the printed salt: it is needed to reveal. --trace is a JSON file with the trace
(chosen, top, lo, hi, challenge). --operator is the verifying provider (default: the
--from address; set it when signing with the provider's worker key).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, hash, err := jobAndHash(args)
			if err != nil {
				return err
			}
			saltHex, _ := cmd.Flags().GetString(FlagSalt)
			salt, err := saltOrRandom(saltHex)
			if err != nil {
				return err
			}
			operator := clientCtx.GetFromAddress()
			if op, _ := cmd.Flags().GetString(FlagOperator); op != "" {
				if operator, err = sdk.AccAddressFromBech32(op); err != nil {
					return fmt.Errorf("--%s %q: %w", FlagOperator, op, err)
				}
			}
			trace, err := readTrace(cmd)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "salt (keep it to reveal): %s\n", hex.EncodeToString(salt))
			msg := &types.MsgCommitVerification{
				Signer: clientCtx.GetFromAddress().String(), JobId: id,
				Commitment: types.VerifierCommitment(hash, trace.Hash(), salt, operator),
			}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagSalt, "", "salt in hex (16 to 64 bytes; default: 32 random bytes, printed)")
	cmd.Flags().String(FlagOperator, "", "the verifying provider's operator address (default: --from)")
	cmd.Flags().String(FlagTrace, "", "JSON file with the trace (required)")
	_ = cmd.MarkFlagRequired(FlagTrace)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// NewRevealCmd: `sovrad tx verify reveal JOB_ID OUTPUT_HASH_HEX SALT_HEX`.
func NewRevealCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reveal [job-id] [output-hash-hex] [salt-hex] --trace FILE",
		Short: "Reveal an output hash, its trace and salt: the audited provider's result, or a verifier's commitment",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, hash, err := jobAndHash(args)
			if err != nil {
				return err
			}
			salt, err := hex.DecodeString(args[2])
			if err != nil {
				return fmt.Errorf("salt %q is not hex: %w", args[2], err)
			}
			trace, err := readTrace(cmd)
			if err != nil {
				return err
			}
			msg := &types.MsgReveal{Signer: clientCtx.GetFromAddress().String(), JobId: id, OutputHash: hash, Salt: salt, Trace: trace}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagTrace, "", "JSON file with the trace (required)")
	_ = cmd.MarkFlagRequired(FlagTrace)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func jobAndHash(args []string) (uint64, []byte, error) {
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil || id == 0 {
		return 0, nil, fmt.Errorf("job id %q must be a positive integer", args[0])
	}
	hash, err := hex.DecodeString(args[1])
	if err != nil || len(hash) != types.HashLen {
		return 0, nil, fmt.Errorf("output hash %q must be %d bytes of hex", args[1], types.HashLen)
	}
	return id, hash, nil
}

func saltOrRandom(s string) ([]byte, error) {
	if s == "" {
		salt := make([]byte, 32)
		_, err := rand.Read(salt)
		return salt, err
	}
	salt, err := hex.DecodeString(s)
	if err != nil || len(salt) < types.MinSaltLen || len(salt) > types.MaxSaltLen {
		return nil, fmt.Errorf("--%s must be %d to %d bytes of hex", FlagSalt, types.MinSaltLen, types.MaxSaltLen)
	}
	return salt, nil
}
