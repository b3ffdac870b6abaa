// Package cli holds the hand-written provider commands; the rest come from autocli.
package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// Flags of the register command.
const (
	FlagModels        = "models"
	FlagBond          = "bond"
	FlagPricePerToken = "price-per-token"
	FlagWorker        = "worker"
	FlagProfile       = "profile"
	FlagEndpoint      = "endpoint"
	FlagMaxJobs       = "max-jobs"
	FlagHardware      = "hardware"
)

// NewTxCmd returns the `provider` tx command; autocli adds the generated subcommands.
func NewTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Provider registry transactions",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(NewRegisterProviderCmd(), NewSetAuditKeyCmd())
	return cmd
}

// NewRegisterProviderCmd returns `register`: bond and register the --from key as a provider.
func NewRegisterProviderCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register --models ID[,ID] --bond COIN --price-per-token COIN [--worker ADDR] [--profile NAME] [--endpoint URL] [--max-jobs N] [--hardware S]",
		Short: "Register the --from key as a compute provider, bonding --bond",
		Long: `Register the --from key as the operator of a compute provider. The bond moves to the
provider module account and returns only after unbonding. --worker is the hot key that posts
results (default: the operator itself). --max-jobs 0 means the chain default (4).`,
		Example: "sovrad tx provider register --models tinyllama-1.1b-q4 --bond 1000000usovra " +
			"--price-per-token 2usovra --worker sovra1... --from operator",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg, err := registerMsgFromFlags(cmd, clientCtx.GetFromAddress())
			if err != nil {
				return err
			}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().StringSlice(FlagModels, nil, "model ids to serve, comma-separated (required)")
	cmd.Flags().String(FlagBond, "", "bond, e.g. 1000000usovra (required)")
	cmd.Flags().String(FlagPricePerToken, "", "price per prompt and output token, e.g. 2usovra (required)")
	cmd.Flags().String(FlagWorker, "", "worker (hot key) address; default: the operator")
	cmd.Flags().String(FlagProfile, types.DefaultProfile, "determinism profile name")
	cmd.Flags().String(FlagEndpoint, "", "optional public endpoint URL")
	cmd.Flags().Uint32(FlagMaxJobs, 0, "max concurrent jobs (0: default 4, at most 1024)")
	cmd.Flags().String(FlagHardware, "", "optional hardware description")
	for _, f := range []string{FlagModels, FlagBond, FlagPricePerToken} {
		_ = cmd.MarkFlagRequired(f)
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func registerMsgFromFlags(cmd *cobra.Command, operator sdk.AccAddress) (*types.MsgRegisterProvider, error) {
	if operator.Empty() {
		return nil, fmt.Errorf("--from is required")
	}
	fs := cmd.Flags()
	models, _ := fs.GetStringSlice(FlagModels)
	bondStr, _ := fs.GetString(FlagBond)
	priceStr, _ := fs.GetString(FlagPricePerToken)
	worker, _ := fs.GetString(FlagWorker)
	profile, _ := fs.GetString(FlagProfile)
	endpoint, _ := fs.GetString(FlagEndpoint)
	hardware, _ := fs.GetString(FlagHardware)
	maxJobs, _ := fs.GetUint32(FlagMaxJobs)

	bond, err := sdk.ParseCoinNormalized(bondStr)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: %w", FlagBond, bondStr, err)
	}
	price, err := sdk.ParseCoinNormalized(priceStr)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: %w", FlagPricePerToken, priceStr, err)
	}
	for i := range models {
		models[i] = strings.TrimSpace(models[i])
	}
	if worker == "" {
		worker = operator.String()
	}
	return &types.MsgRegisterProvider{
		Operator:      operator.String(),
		Worker:        worker,
		Models:        models,
		Bond:          bond,
		PricePerToken: price,
		Profile:       profile,
		Endpoint:      endpoint,
		Hardware:      hardware,
		MaxJobs:       maxJobs,
	}, nil
}
