// Command sovra-gateway serves the OpenAI API on the user's machine and buys verified
// inference on Sovra with the user's key: `sovra-gateway init --home DIR --chain-id ID
// --key NAME --keyring-dir DIR`, then `sovra-gateway start --home DIR`.
package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sovra-network/sovra/gateway"
	"github.com/sovra-network/sovra/gateway/config"
	"github.com/sovra-network/sovra/worker/chain"
)

const flagHome = "home"

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func defaultHome() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return ".sovra-gateway"
	}
	return filepath.Join(h, ".sovra-gateway")
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "sovra-gateway",
		Short:         "An OpenAI-compatible API that buys verified inference on Sovra with your key",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String(flagHome, defaultHome(), "gateway home (holds gateway.toml and the budget ledger)")
	root.AddCommand(newInitCmd(), newStartCmd())
	return root
}

func newInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented gateway.toml",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, _ := cmd.Flags().GetString(flagHome)
			f := cmd.Flags()
			var iv config.InitValues
			iv.ChainID, _ = f.GetString("chain-id")
			iv.GRPC, _ = f.GetString("grpc-address")
			iv.RPC, _ = f.GetString("rpc-address")
			iv.Key, _ = f.GetString("key")
			iv.KeyringBackend, _ = f.GetString("keyring-backend")
			iv.KeyringDir, _ = f.GetString("keyring-dir")
			iv.Listen, _ = f.GetString("listen")
			iv.MaxFee, _ = f.GetString("max-fee")
			iv.Budget, _ = f.GetString("budget")
			if iv.ChainID == "" || iv.Key == "" || iv.KeyringDir == "" {
				return fmt.Errorf("--chain-id, --key and --keyring-dir are required")
			}
			path, err := iv.WriteFile(home)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "config: %s\n", path)
			return nil
		},
	}
	f := cmd.Flags()
	f.String("chain-id", "", "chain id")
	f.String("grpc-address", "", "node gRPC address (default 127.0.0.1:9090)")
	f.String("rpc-address", "", "node CometBFT RPC (default tcp://127.0.0.1:26657)")
	f.String("key", "", "name of the key that pays for the jobs")
	f.String("keyring-backend", "test", "keyring backend (test, file, os)")
	f.String("keyring-dir", "", "keyring directory (e.g. the sovrad home)")
	f.String("listen", "", "API listen address (default 127.0.0.1:8780)")
	f.String("max-fee", "", "most one request may escrow (default 1000000usovra)")
	f.String("budget", "", "most one UTC day may cost (default: no cap)")
	return cmd
}

func newStartCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Serve the OpenAI API until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			chain.Encoding() // the bech32 prefixes, before the config is validated
			home, _ := cmd.Flags().GetString(flagHome)
			cfg, err := config.Load(home, cmd.Flags())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := log.New(cmd.ErrOrStderr(), "sovra-gateway ", log.LstdFlags|log.Lmicroseconds)
			g, err := gateway.New(cfg, gateway.Options{Logf: logger.Printf})
			if err != nil {
				return err
			}
			if err := g.Start(); err != nil {
				g.Close()
				return err
			}
			logger.Printf("OpenAI API on http://%s/v1 (paying with %s), health on /healthz, metrics on /metrics", g.Addr(), g.Address())
			<-ctx.Done()
			logger.Printf("stopping")
			return g.Close()
		},
	}
	config.AddFlags(cmd.Flags())
	return cmd
}
