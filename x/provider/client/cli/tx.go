// Package cli holds the hand-written provider commands; the rest come from autocli.
package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/txclient/clitx"
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
	cmd.AddCommand(NewRegisterProviderCmd(), NewChangeWorkerCmd(), NewSetAuditKeyCmd())
	return cmd
}

// NewRegisterProviderCmd returns `register`: bond and register the --from key as a provider.
func NewRegisterProviderCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register --models ID[,ID] --bond COIN --price-per-token COIN [--worker KEY|ADDR] [--profile NAME] [--endpoint URL] [--max-jobs N] [--hardware S]",
		Short: "Register the --from key as a compute provider, bonding --bond; the worker key signs too",
		Long: `Register the --from key as the operator of a compute provider. The bond moves to the
provider module account and returns only after unbonding. --max-jobs 0 means the chain
default (4).

--worker is the hot key that posts results and audit messages (default: the operator
itself): a key name of the keyring or an address. A worker address is bound to one
provider only, so the worker signs the registration too (its consent: nobody can bind
another's worker key). When the keyring holds the worker's key, this command signs with
both keys. The worker's account must exist on chain to sign: fund the worker address
first (any amount; the worker also pays the fees of its own transactions).

A worker key kept elsewhere signs in turn (SIGN_MODE_LEGACY_AMINO_JSON, where each
signature covers only the messages, fee and its own account):
  sovrad tx provider register ... --worker ADDR --from OPERATOR --gas 300000 --generate-only > reg.json
  sovrad tx sign reg.json --from OPERATOR --sign-mode amino-json > reg.op.json
  sovrad tx sign reg.op.json --from WORKER --sign-mode amino-json > reg.both.json  # on the worker's machine
  sovrad tx broadcast reg.both.json
The operator signs first (the signatures follow the message's signers: operator, worker).`,
		Example: "sovrad tx provider register --models tinyllama-1.1b-q4 --bond 1000000usovra " +
			"--price-per-token 2usovra --worker worker1 --from operator",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			operator := clientCtx.GetFromAddress()
			if operator.Empty() {
				return fmt.Errorf("--from is required")
			}
			workerArg, _ := cmd.Flags().GetString(FlagWorker)
			worker, err := resolveWorker(clientCtx, operator, workerArg)
			if err != nil {
				return err
			}
			msg, err := registerMsgFromFlags(cmd, operator, worker.addr)
			if err != nil {
				return err
			}
			return sendBinding(cmd, clientCtx, worker, msg)
		},
	}
	cmd.Flags().StringSlice(FlagModels, nil, "model ids to serve, comma-separated (required)")
	cmd.Flags().String(FlagBond, "", "bond, e.g. 1000000usovra (required)")
	cmd.Flags().String(FlagPricePerToken, "", "price per prompt and output token, e.g. 2usovra (required)")
	cmd.Flags().String(FlagWorker, "", "worker (hot key): a key name of the keyring or an address; it signs too; default: the operator")
	cmd.Flags().String(FlagProfile, types.DefaultProfile, "determinism profile name")
	cmd.Flags().String(FlagEndpoint, "", "optional public endpoint URL")
	cmd.Flags().Uint32(FlagMaxJobs, 0, "max concurrent jobs (0: default 4, at most 1024)")
	cmd.Flags().String(FlagHardware, "", "optional hardware description")
	cmd.Flags().Duration(clitx.FlagWaitTimeout, defaultWait, "how long to wait for the tx to be included (when the worker co-signs)")
	for _, f := range []string{FlagModels, FlagBond, FlagPricePerToken} {
		_ = cmd.MarkFlagRequired(f)
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// NewChangeWorkerCmd returns `change-worker`: bind a new worker key, which signs too.
func NewChangeWorkerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "change-worker [worker-key-or-address]",
		Short: "Bind a new worker key to your provider (--from); the new worker key signs too",
		Long: `Bind a new worker key (a key name of the keyring or an address) to the --from
operator's provider. As at registration, the new worker signs the message too, so nobody
can bind another's worker key; its account must exist on chain (fund it first). Refused
while the provider is party to an open audit. The new worker publishes its audit key at
its start (sovra-worker does; or sovrad tx provider set-audit-key --from WORKER).

A worker key kept elsewhere signs in turn, as for register:
  sovrad tx provider change-worker ADDR --from OPERATOR --gas 200000 --generate-only > cw.json
  sovrad tx sign cw.json --from OPERATOR --sign-mode amino-json > cw.op.json
  sovrad tx sign cw.op.json --from WORKER --sign-mode amino-json > cw.both.json
  sovrad tx broadcast cw.both.json`,
		Example: "sovrad tx provider change-worker worker2 --from operator",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			operator := clientCtx.GetFromAddress()
			if operator.Empty() {
				return fmt.Errorf("--from is required")
			}
			worker, err := resolveWorker(clientCtx, operator, args[0])
			if err != nil {
				return err
			}
			msg := &types.MsgChangeWorker{Operator: operator.String(), Worker: worker.addr.String()}
			return sendBinding(cmd, clientCtx, worker, msg)
		},
	}
	cmd.Flags().Duration(clitx.FlagWaitTimeout, defaultWait, "how long to wait for the tx to be included (when the worker co-signs)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// defaultWait bounds the wait for a co-signed tx to be in a block.
const defaultWait = 60 * time.Second

// workerKey is a resolved worker: its address and, when the keyring holds its key and it
// is not the operator, the key's name, which co-signs.
type workerKey struct {
	addr    sdk.AccAddress
	keyName string
}

// resolveWorker reads a worker given as a key name of the keyring or an address; empty is
// the operator. A worker that is the operator needs no second signature.
func resolveWorker(clientCtx client.Context, operator sdk.AccAddress, arg string) (workerKey, error) {
	if arg == "" {
		return workerKey{addr: operator}, nil
	}
	var w workerKey
	if clientCtx.Keyring != nil {
		if rec, err := clientCtx.Keyring.Key(arg); err == nil {
			addr, err := rec.GetAddress()
			if err != nil {
				return w, fmt.Errorf("worker key %q: %w", arg, err)
			}
			w = workerKey{addr: addr, keyName: rec.Name}
		}
	}
	if w.addr == nil {
		addr, err := sdk.AccAddressFromBech32(arg)
		if err != nil {
			return w, fmt.Errorf("worker %q is neither a key of the keyring nor an address: %w", arg, err)
		}
		w.addr = addr
		if clientCtx.Keyring != nil {
			if rec, err := clientCtx.Keyring.KeyByAddress(addr); err == nil {
				w.keyName = rec.Name
			}
		}
	}
	if w.addr.Equals(operator) {
		w.keyName = ""
	}
	return w, nil
}

// sendBinding sends a message that binds worker: signed by the operator alone when the
// worker is the operator (the SDK's path, with all its flags), by both keys through
// txclient when the keyring holds the worker's key, and generated unsigned for a worker
// key kept elsewhere (--generate-only), which then signs in turn.
func sendBinding(cmd *cobra.Command, clientCtx client.Context, worker workerKey, msg sdk.Msg) error {
	if m, ok := msg.(sdk.HasValidateBasic); ok {
		if err := m.ValidateBasic(); err != nil {
			return err
		}
	}
	fs := cmd.Flags()
	operator := clientCtx.GetFromAddress()
	if worker.addr.Equals(operator) {
		return tx.GenerateOrBroadcastTxCLI(clientCtx, fs, msg)
	}
	if clientCtx.GenerateOnly {
		if gas, _ := fs.GetString(flags.FlagGas); gas == flags.GasFlagAuto {
			return errors.New("--gas auto cannot simulate a tx before its worker signed it: pass a gas limit (--gas 300000)")
		}
		return tx.GenerateOrBroadcastTxCLI(clientCtx, fs, msg)
	}
	if clientCtx.Simulate {
		return errors.New("--dry-run cannot simulate a tx that the worker signs too: send it (with --gas auto the gas is found by simulation with both signatures)")
	}
	if worker.keyName == "" {
		return fmt.Errorf("the worker %s must sign too (its consent to the binding), and this keyring holds no key for it: "+
			"add the worker key to this keyring, or build the tx with --generate-only and have the operator and then the worker "+
			"sign it (sovrad tx sign FILE --sign-mode amino-json --from KEY), then sovrad tx broadcast it (see --help)", worker.addr)
	}
	res, err := clitx.Send(clientCtx, fs, []string{worker.keyName}, msg)
	if res != nil {
		if perr := clientCtx.PrintProto(res); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func registerMsgFromFlags(cmd *cobra.Command, operator, worker sdk.AccAddress) (*types.MsgRegisterProvider, error) {
	if operator.Empty() {
		return nil, fmt.Errorf("--from is required")
	}
	fs := cmd.Flags()
	models, _ := fs.GetStringSlice(FlagModels)
	bondStr, _ := fs.GetString(FlagBond)
	priceStr, _ := fs.GetString(FlagPricePerToken)
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
	if worker.Empty() {
		worker = operator
	}
	return &types.MsgRegisterProvider{
		Operator:      operator.String(),
		Worker:        worker.String(),
		Models:        models,
		Bond:          bond,
		PricePerToken: price,
		Profile:       profile,
		Endpoint:      endpoint,
		Hardware:      hardware,
		MaxJobs:       maxJobs,
	}, nil
}
