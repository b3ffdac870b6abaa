package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"cosmossdk.io/math"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

const (
	FlagMaxTokens   = "max-tokens"
	FlagMaxFee      = "max-fee"
	FlagSeed        = "seed"
	FlagTemperature = "temperature"
	FlagTopK        = "top-k"
	FlagTopP        = "top-p"
	FlagDeadline    = "deadline"
	FlagOutputFile  = "output-file"
	defaultWait     = 60 * time.Second
)

// NewTxCmd holds the task commands that autocli cannot build.
func NewTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: types.ModuleName, Short: "Inference job transactions", RunE: client.ValidateCmd}
	cmd.AddCommand(NewSubmitCmd(), NewCommitResultCmd())
	return cmd
}

// NewSubmitCmd submits a job and prints its id once the tx is in a block.
func NewSubmitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "submit [model-id] [prompt]",
		Short: "Submit an inference job; the fee is escrowed and the unused part refunded",
		Long: `Submit an inference job. --max-fee is escrowed; at settlement the provider is paid
its price for the prompt and output tokens and the rest is refunded. The output is sealed
to an X25519 key derived from the --from key, so 'sovrad q task output ID --from KEY' reads it.`,
		Example: `sovrad tx task submit tiny-llama "Once upon a time" --max-tokens 32 --max-fee 200000usovra --from alice`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg, err := submitMsgFromFlags(cmd, clientCtx, args[0], args[1])
			if err != nil {
				return err
			}
			res, err := broadcastAndWait(clientCtx, cmd.Flags(), msg)
			if err != nil || res == nil {
				return err
			}
			ids, err := types.SubmittedJobIDs(res.Events)
			if err != nil {
				return err
			}
			id := ""
			if len(ids) > 0 {
				id = strconv.FormatUint(ids[0], 10)
			}
			return printResult(clientCtx, map[string]string{"job_id": id, "txhash": res.TxHash, "height": strconv.FormatInt(res.Height, 10)})
		},
	}
	cmd.Flags().Uint64(FlagMaxTokens, 0, "maximum output tokens (required)")
	cmd.Flags().String(FlagMaxFee, "", "most you pay, escrowed until settlement, e.g. 200000usovra (required)")
	cmd.Flags().Uint64(FlagSeed, 0, "sampling seed (used when temperature > 0)")
	cmd.Flags().String(FlagTemperature, "0", "sampling temperature, 0 (greedy) to 2, at most 3 decimals")
	cmd.Flags().Uint32(FlagTopK, 0, "top-k sampling (0 = off)")
	cmd.Flags().String(FlagTopP, "1", "top-p sampling, 0 to 1, at most 3 decimals (1 = off)")
	cmd.Flags().Uint64(FlagDeadline, 0, "blocks the provider has to commit (0 = the chain's default)")
	cmd.Flags().Duration(FlagWaitTimeout, defaultWait, "how long to wait for the tx to be included")
	_ = cmd.MarkFlagRequired(FlagMaxTokens)
	_ = cmd.MarkFlagRequired(FlagMaxFee)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func submitMsgFromFlags(cmd *cobra.Command, clientCtx client.Context, modelID, prompt string) (*types.MsgSubmitJob, error) {
	f := cmd.Flags()
	maxTokens, _ := f.GetUint64(FlagMaxTokens)
	feeStr, _ := f.GetString(FlagMaxFee)
	fee, err := sdk.ParseCoinNormalized(feeStr)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: %w", FlagMaxFee, feeStr, err)
	}
	seed, _ := f.GetUint64(FlagSeed)
	tempStr, _ := f.GetString(FlagTemperature)
	temp, err := parseMilli(FlagTemperature, tempStr, types.MaxTemperatureMilli)
	if err != nil {
		return nil, err
	}
	topPStr, _ := f.GetString(FlagTopP)
	topP, err := parseMilli(FlagTopP, topPStr, types.MaxTopPMilli)
	if err != nil {
		return nil, err
	}
	topK, _ := f.GetUint32(FlagTopK)
	deadline, _ := f.GetUint64(FlagDeadline)
	_, pub, err := outputKeyPair(clientCtx)
	if err != nil {
		return nil, err
	}
	return &types.MsgSubmitJob{
		Submitter:       clientCtx.GetFromAddress().String(),
		ModelId:         modelID,
		Prompt:          prompt,
		MaxOutputTokens: maxTokens,
		Sampling:        types.Sampling{Seed: seed, TemperatureMilli: temp, TopK: topK, TopPMilli: topP},
		MaxFee:          fee,
		OutputKey:       pub[:],
		DeadlineBlocks:  deadline,
	}, nil
}

// parseMilli turns a decimal such as "0.7" into thousandths, refusing more precision.
func parseMilli(flag, s string, limit uint32) (uint32, error) {
	d, err := math.LegacyNewDecFromStr(s)
	if err != nil {
		return 0, fmt.Errorf("--%s %q: not a decimal number", flag, s)
	}
	milli := d.MulInt64(1000)
	if !milli.IsInteger() || milli.IsNegative() || milli.GT(math.LegacyNewDec(int64(limit))) {
		return 0, fmt.Errorf("--%s %q: must be between 0 and %s with at most 3 decimals", flag, s, math.LegacyNewDec(int64(limit)).QuoInt64(1000))
	}
	return uint32(milli.TruncateInt64()), nil //nolint:gosec // G115: checked above to be in [0, limit], limit a uint32
}

// ResultFile is the JSON that `commit-result --output-file` reads.
type ResultFile struct {
	PromptTokens []uint32 `json:"prompt_tokens"`
	OutputTokens []uint32 `json:"output_tokens"`
	Text         string   `json:"text"`
	// Salt is hex; a random one is made (and printed) when empty.
	Salt string `json:"salt,omitempty"`
	// StopToken is the end-of-generation token that ended the output; absent when
	// max_output_tokens did.
	StopToken *uint32 `json:"stop_token,omitempty"`
	// Trace is the audit trace of the output (x/verify README), committed with it.
	Trace verifytypes.Trace `json:"trace"`
}

// NewCommitResultCmd lets an operator commit a result by hand, as the worker does.
func NewCommitResultCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commit-result [job-id]",
		Short: "Commit a job's result with the provider's worker key",
		Long: `Commit a job's result as the worker does. --output-file is JSON:
{"prompt_tokens": [1, 415], "output_tokens": [29871, 13], "text": "...", "salt": "optional hex"}
The command computes the output hash, commits sha256(output_hash || salt), seals the text
and token ids to the submitter and prints the salt: keep it to reveal if the job is audited.`,
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
			path, _ := cmd.Flags().GetString(FlagOutputFile)
			rf, err := readResultFile(path)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			jobRes, err := types.NewQueryClient(clientCtx).Job(ctx, &types.QueryJobRequest{Id: id})
			if err != nil {
				return err
			}
			job := jobRes.Job
			modelRes, err := providertypes.NewQueryClient(clientCtx).Model(ctx, &providertypes.QueryModelRequest{Id: job.ModelId})
			if err != nil {
				return err
			}
			result, hash, salt, err := BuildResult(job, modelRes.Model, rf)
			if err != nil {
				return err
			}
			msg := &types.MsgCommitResult{Worker: clientCtx.GetFromAddress().String(), Results: []types.JobResult{result}}
			res, err := broadcastAndWait(clientCtx, cmd.Flags(), msg)
			if err != nil || res == nil {
				return err
			}
			return printResult(clientCtx, map[string]string{
				"job_id": args[0], "output_hash": hex.EncodeToString(hash[:]), "salt": hex.EncodeToString(salt),
				"txhash": res.TxHash, "height": strconv.FormatInt(res.Height, 10),
			})
		},
	}
	cmd.Flags().String(FlagOutputFile, "", "JSON file with prompt_tokens, output_tokens and text (required)")
	cmd.Flags().Duration(FlagWaitTimeout, defaultWait, "how long to wait for the tx to be included")
	_ = cmd.MarkFlagRequired(FlagOutputFile)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func readResultFile(path string) (ResultFile, error) {
	var rf ResultFile
	bz, err := os.ReadFile(path)
	if err != nil {
		return rf, fmt.Errorf("--%s: %w", FlagOutputFile, err)
	}
	if err := json.Unmarshal(bz, &rf); err != nil {
		return rf, fmt.Errorf("--%s %s: not valid JSON: %w", FlagOutputFile, path, err)
	}
	if len(rf.PromptTokens) == 0 || (len(rf.OutputTokens) == 0 && rf.StopToken == nil) {
		return rf, fmt.Errorf("--%s %s: prompt_tokens must be non-empty, and output_tokens too unless stop_token says the first token ended generation", FlagOutputFile, path)
	}
	return rf, nil
}

// BuildResult hashes, commits and seals a result for a job from a result file.
func BuildResult(job types.Job, model providertypes.Model, rf ResultFile) (types.JobResult, [32]byte, []byte, error) {
	var salt []byte
	if rf.Salt != "" {
		var err error
		if salt, err = hex.DecodeString(rf.Salt); err != nil {
			return types.JobResult{}, [32]byte{}, nil, fmt.Errorf("salt must be hex: %w", err)
		}
	}
	stop := types.NoStopToken
	if rf.StopToken != nil {
		stop = *rf.StopToken
	}
	c := types.Claimed{PromptTokens: rf.PromptTokens, OutputTokens: rf.OutputTokens, StopToken: stop}
	return types.BuildResult(job, model.Sha256, c, []byte(rf.Text), rf.Trace.Hash(), salt)
}

// printResult prints a flat map as JSON with --output json, else as "key: value" lines
// in a fixed order.
func printResult(clientCtx client.Context, kv map[string]string) error {
	if clientCtx.OutputFormat == flags.OutputFormatJSON {
		return printJSON(clientCtx, kv)
	}
	for _, k := range []string{"job_id", "output_hash", "salt", "height", "txhash"} {
		if v, ok := kv[k]; ok {
			if err := clientCtx.PrintString(fmt.Sprintf("%s: %s\n", k, v)); err != nil {
				return err
			}
		}
	}
	return nil
}

// printJSON prints v as one line of JSON.
func printJSON(clientCtx client.Context, v any) error {
	bz, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return clientCtx.PrintString(string(bz) + "\n")
}
