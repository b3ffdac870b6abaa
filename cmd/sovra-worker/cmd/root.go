// Package cmd holds the sovra-worker commands.
package cmd

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/spf13/cobra"

	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/apiserver"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/store"
)

const flagHome = "home"

// DefaultHome is ~/.sovra-worker.
func DefaultHome() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return ".sovra-worker"
	}
	return filepath.Join(h, ".sovra-worker")
}

// NewRootCmd returns the sovra-worker command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "sovra-worker",
		Short:         "Sovra worker: runs jobs assigned to a provider and commits their results",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String(flagHome, DefaultHome(), "worker home (holds worker.toml, keyring and data)")
	root.AddCommand(newInitCmd(), newStartCmd(), newStatusCmd())
	return root
}

func home(cmd *cobra.Command) string {
	h, _ := cmd.Flags().GetString(flagHome)
	return h
}

func newInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented worker.toml and create the worker key (prints its address)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := filepath.Abs(home(cmd))
			if err != nil {
				return err
			}
			f := cmd.Flags()
			iv := config.InitValues{}
			iv.ChainID, _ = f.GetString("chain-id")
			iv.GRPC, _ = f.GetString("grpc-address")
			iv.RPC, _ = f.GetString("rpc-address")
			iv.Provider, _ = f.GetString("provider-address")
			iv.KeyName, _ = f.GetString("worker-key")
			iv.Backend, _ = f.GetString("keyring-backend")
			iv.KeyringDir, _ = f.GetString("keyring-dir")
			iv.Models, _ = f.GetStringToString("models")
			iv.LibDir, _ = f.GetString("lib-dir")
			iv.Threads, _ = f.GetInt("threads")
			iv.InferenceBackend, _ = f.GetString("backend")
			iv.LlamaServerURL, _ = f.GetString("llama-server-url")
			iv.APIGRPC, _ = f.GetString("api-grpc-address")
			iv.APIHTTP, _ = f.GetString("api-http-address")
			iv.StreamListen, _ = f.GetString("stream-listen")
			if iv.KeyName == "" {
				iv.KeyName = "worker"
			}
			switch iv.InferenceBackend {
			case "", config.BackendLlama, config.BackendLlamaServer:
			default:
				return fmt.Errorf("--backend %q must be %s or %s", iv.InferenceBackend, config.BackendLlama, config.BackendLlamaServer)
			}
			if iv.Backend == "" {
				iv.Backend = "test"
			}
			krDir := iv.KeyringDir
			if krDir == "" {
				krDir = "keyring"
			}
			if !filepath.IsAbs(krDir) {
				krDir = filepath.Join(h, krDir)
			}
			path, err := iv.WriteFile(h)
			if err != nil {
				return err
			}
			addr, mnemonic, err := ensureKey(iv.Backend, krDir, iv.KeyName)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "config: %s\n", path)
			fmt.Fprintf(out, "worker key %q (%s keyring in %s)\n", iv.KeyName, iv.Backend, krDir)
			if mnemonic != "" {
				fmt.Fprintf(out, "mnemonic (write it down): %s\n", mnemonic)
			}
			fmt.Fprintf(out, "address: %s\n", addr)
			return nil
		},
	}
	f := cmd.Flags()
	f.String("chain-id", "", "chain id")
	f.String("grpc-address", "", "node gRPC address (default 127.0.0.1:9090)")
	f.String("rpc-address", "", "node CometBFT RPC (default tcp://127.0.0.1:26657)")
	f.String("provider-address", "", "provider address this worker serves")
	f.String("worker-key", "worker", "worker key name")
	f.String("keyring-backend", "test", "keyring backend (test, file, os)")
	f.String("keyring-dir", "", "keyring directory (default <home>/keyring)")
	f.StringToString("models", nil, "models served, id=path.gguf")
	f.String("lib-dir", "", "llama.cpp library folder (default .llama/lib/x64)")
	f.Int("threads", 1, "inference threads")
	f.String("backend", "llama", "inference backend: llama (in process) or llama-server")
	f.String("llama-server-url", "", "llama-server base URL (default http://127.0.0.1:8080)")
	f.String("api-grpc-address", "", "the worker's gRPC API (default 127.0.0.1:7070)")
	f.String("api-http-address", "", "the worker's REST, /healthz and /metrics (default 127.0.0.1:7071)")
	f.String("stream-listen", "", "the public token stream, e.g. 0.0.0.0:7072 (default off); register its URL as the provider's endpoint")
	return cmd
}

// ensureKey returns the key's address, creating it (and returning its mnemonic) when absent.
func ensureKey(backend, dir, name string) (addr, mnemonic string, err error) {
	kr, err := chain.OpenKeyring(backend, dir)
	if err != nil {
		return "", "", err
	}
	rec, err := kr.Key(name)
	if err != nil {
		rec, mnemonic, err = kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
		if err != nil {
			return "", "", fmt.Errorf("create key %q: %w", name, err)
		}
	}
	a, err := rec.GetAddress()
	if err != nil {
		return "", "", err
	}
	return a.String(), mnemonic, nil
}

func newStartCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Serve jobs assigned to the provider until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			chain.Encoding() // sets the bech32 prefixes before the config is validated
			cfg, err := config.Load(home(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := log.New(cmd.ErrOrStderr(), "sovra-worker ", log.LstdFlags|log.Lmicroseconds)
			w, err := worker.New(ctx, cfg, worker.Options{Logf: logger.Printf})
			if err != nil {
				return err
			}
			defer w.Close()
			api, err := apiserver.Start(w, w.Metrics().Registry, cfg.APIGRPCAddress, cfg.APIHTTPAddress)
			if err != nil {
				return err
			}
			defer api.Close()
			if api.GRPCAddr != "" {
				logger.Printf("gRPC API on %s", api.GRPCAddr)
			}
			if api.HTTPAddr != "" {
				logger.Printf("REST API on http://%s/v1/status, health on /healthz, metrics on /metrics", api.HTTPAddr)
			}
			if a := w.StreamAddr(); a != "" {
				logger.Printf("token stream on http://%s/v1/jobs/{id}/stream (chunks sealed to each job's output key)", a)
			}
			logger.Printf("started; data in %s", cfg.DataDir)
			err = w.Run(ctx)
			logger.Printf("stopped")
			return err
		},
	}
	config.AddFlags(cmd.Flags())
	return cmd
}

func newStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print the jobs the worker's store holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			chain.Encoding()
			cfg, err := config.Load(home(cmd), nil)
			if err != nil {
				return err
			}
			st, err := store.Open(cfg.DataDir)
			if err != nil {
				return err
			}
			recs, err := st.List()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "provider %s, worker key %q, data %s: %d job(s)\n", cfg.Provider, cfg.WorkerKey, cfg.DataDir, len(recs))
			fmt.Fprintln(out, liveStatus(cfg.APIHTTPAddress))
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "JOB\tSTATUS\tMODEL\tPROMPT\tOUTPUT\tINFER_MS\tHEIGHT\tTX\tERROR")
			for _, r := range recs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.JobID, r.Status, r.ModelID,
					len(r.PromptTokens), len(r.OutputTokens), r.InferenceMs, r.CommitHeight, r.TxHash, r.Error)
			}
			return tw.Flush()
		},
	}
}

// liveStatus asks a running worker's REST API for its view of the chain.
func liveStatus(httpAddr string) string {
	if httpAddr == "" {
		return "running worker: unknown (api_http_address is disabled)"
	}
	c := http.Client{Timeout: 2 * time.Second}
	res, err := c.Get("http://" + httpAddr + "/v1/status")
	if err != nil {
		return fmt.Sprintf("running worker: none answering on %s", httpAddr)
	}
	defer res.Body.Close()
	var st struct {
		Height         string `json:"height"`
		Following      string `json:"following"`
		ChainReachable bool   `json:"chain_reachable"`
		Backend        string `json:"backend"`
		Uptime         string `json:"uptime_seconds"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&st) != nil {
		return fmt.Sprintf("running worker: %s answered %s", httpAddr, res.Status)
	}
	return fmt.Sprintf("running worker: up %ss, backend %s, chain height %s (reachable %v), following by %s",
		st.Uptime, st.Backend, st.Height, st.ChainReachable, st.Following)
}
