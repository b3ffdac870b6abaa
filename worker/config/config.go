// Package config loads the sovra-worker configuration from <home>/worker.toml, the
// environment (SOVRA_WORKER_*) and command-line flags, in increasing precedence.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// FileName is the config file inside the worker's home.
const FileName = "worker.toml"

// EnvPrefix prefixes every environment variable: SOVRA_WORKER_CHAIN_ID, ...
const EnvPrefix = "SOVRA_WORKER"

// Keys of the configuration (file keys, env suffixes upper-cased, flags with '-').
const (
	KeyChainID         = "chain_id"
	KeyGRPC            = "grpc_address"
	KeyRPC             = "rpc_address"
	KeyProvider        = "provider_address"
	KeyWorkerKey       = "worker_key"
	KeyKeyringBackend  = "keyring_backend"
	KeyKeyringDir      = "keyring_dir"
	KeyModels          = "models"
	KeyLibDir          = "lib_dir"
	KeyThreads         = "threads"
	KeyContext         = "context"
	KeyDataDir         = "data_dir"
	KeyPollInterval    = "poll_interval"
	KeyGasPrices       = "gas_prices"
	KeyGasAdjustment   = "gas_adjustment"
	KeyMaxResultsPerTx = "max_results_per_tx"
	KeyBackend         = "backend"
	KeyLlamaServerURL  = "llama_server_url"
	KeyMaxAttempts     = "max_inference_attempts"
	KeyAPIGRPC         = "api_grpc_address"
	KeyAPIHTTP         = "api_http_address"
	KeyStreamListen    = "stream_listen"
)

// Inference backends.
const (
	BackendLlama       = "llama"        // llama.cpp in process through yzma
	BackendLlamaServer = "llama-server" // an operator's llama.cpp server over HTTP
)

// Config is the worker's whole configuration.
type Config struct {
	Home           string
	ChainID        string
	GRPCAddress    string // host:port of the node's gRPC server
	RPCAddress     string // CometBFT RPC, e.g. tcp://127.0.0.1:26657
	Provider       string // the provider account this worker serves
	WorkerKey      string // name of the worker key in the keyring
	KeyringBackend string // test, file, os
	KeyringDir     string
	Models         map[string]string // model id -> GGUF path
	LibDir         string            // llama.cpp shared libraries
	Threads        int
	Context        int // llama context size in tokens; 0 = backend default
	DataDir        string
	PollInterval   time.Duration
	GasPrices      string // e.g. 0.01usovra; empty = no fee
	GasAdjustment  float64
	// MaxResultsPerTx bounds how many results one MsgCommitResult carries.
	MaxResultsPerTx int
	Backend         string // BackendLlama or BackendLlamaServer
	LlamaServerURL  string // base URL of llama-server, e.g. http://127.0.0.1:8080
	// MaxInferenceAttempts bounds how often a job whose inference failed (backend down,
	// garbage answer) is tried before it is given up and reported in the metrics.
	MaxInferenceAttempts int
	APIGRPCAddress       string // the worker's own gRPC API; empty disables it
	APIHTTPAddress       string // REST (grpc-gateway), /healthz and /metrics; empty disables it
	// StreamListen is where the worker streams its jobs' tokens to anyone who asks (each
	// chunk sealed to the job's output key; worker/stream), apart from the operator API:
	// it faces the public. Register its public URL as the provider's endpoint. Empty
	// disables it.
	StreamListen string
}

// Defaults for a home directory.
func setDefaults(v *viper.Viper, home string) {
	v.SetDefault(KeyChainID, "")
	v.SetDefault(KeyGRPC, "127.0.0.1:9090")
	v.SetDefault(KeyRPC, "tcp://127.0.0.1:26657")
	v.SetDefault(KeyProvider, "")
	v.SetDefault(KeyWorkerKey, "worker")
	v.SetDefault(KeyKeyringBackend, "test")
	v.SetDefault(KeyKeyringDir, filepath.Join(home, "keyring"))
	v.SetDefault(KeyLibDir, ".llama/lib/x64")
	v.SetDefault(KeyThreads, 1)
	v.SetDefault(KeyContext, 0)
	v.SetDefault(KeyDataDir, filepath.Join(home, "data"))
	v.SetDefault(KeyPollInterval, "500ms")
	v.SetDefault(KeyGasPrices, "")
	v.SetDefault(KeyGasAdjustment, 1.5)
	v.SetDefault(KeyMaxResultsPerTx, 8)
	v.SetDefault(KeyBackend, BackendLlama)
	v.SetDefault(KeyLlamaServerURL, "http://127.0.0.1:8080")
	v.SetDefault(KeyMaxAttempts, 3)
	v.SetDefault(KeyAPIGRPC, "127.0.0.1:7070")
	v.SetDefault(KeyAPIHTTP, "127.0.0.1:7071")
	v.SetDefault(KeyStreamListen, "")
}

// flagName maps a key to its flag: grpc_address -> grpc-address.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// AddFlags registers the flags that override the file and the environment.
func AddFlags(fs *pflag.FlagSet) {
	fs.String(flagName(KeyChainID), "", "chain id")
	fs.String(flagName(KeyGRPC), "", "node gRPC address (host:port)")
	fs.String(flagName(KeyRPC), "", "node CometBFT RPC address (tcp://host:port)")
	fs.String(flagName(KeyProvider), "", "provider address this worker serves")
	fs.String(flagName(KeyWorkerKey), "", "worker key name in the keyring")
	fs.String(flagName(KeyKeyringBackend), "", "keyring backend (test, file, os)")
	fs.String(flagName(KeyKeyringDir), "", "keyring directory (default <home>/keyring)")
	fs.StringToString(flagName(KeyModels), nil, "models served, id=path.gguf (repeatable)")
	fs.String(flagName(KeyLibDir), "", "llama.cpp library folder")
	fs.Int(flagName(KeyThreads), 0, "inference threads")
	fs.Int(flagName(KeyContext), 0, "context size in tokens (0 = backend default)")
	fs.String(flagName(KeyDataDir), "", "data directory (default <home>/data)")
	fs.Duration(flagName(KeyPollInterval), 0, "how often assigned jobs are polled")
	fs.String(flagName(KeyGasPrices), "", "gas prices for commit transactions, e.g. 0.01usovra")
	fs.String(flagName(KeyBackend), "", "inference backend: llama or llama-server")
	fs.String(flagName(KeyLlamaServerURL), "", "llama-server base URL (backend llama-server)")
	fs.Int(flagName(KeyMaxAttempts), 0, "inference attempts per job before it is given up")
	fs.String(flagName(KeyAPIGRPC), "", "listen address of the worker's gRPC API (\"\" disables it)")
	fs.String(flagName(KeyAPIHTTP), "", "listen address of REST, /healthz and /metrics (\"\" disables it)")
	fs.String(flagName(KeyStreamListen), "", "listen address of the public token stream, e.g. 0.0.0.0:7072 (\"\" disables it)")
}

// Load reads <home>/worker.toml (it must exist), then SOVRA_WORKER_* variables, then the
// flags that were set, and validates the result. Relative paths are resolved against home.
func Load(home string, fs *pflag.FlagSet) (*Config, error) {
	if home == "" {
		return nil, errors.New("--home is required")
	}
	home, err := filepath.Abs(home)
	if err != nil {
		return nil, err
	}
	v := viper.New()
	setDefaults(v, home)
	v.SetConfigFile(filepath.Join(home, FileName))
	v.SetConfigType("toml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s (run `sovra-worker init --home %s` first): %w", filepath.Join(home, FileName), home, err)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if fs != nil {
		var bindErr error
		fs.VisitAll(func(f *pflag.Flag) {
			key := strings.ReplaceAll(f.Name, "-", "_")
			if key == KeyModels || !isKey(key) {
				return
			}
			if f.Changed {
				if err := v.BindPFlag(key, f); err != nil {
					bindErr = err
				}
			}
		})
		if bindErr != nil {
			return nil, bindErr
		}
	}
	cfg := &Config{
		Home:                 home,
		ChainID:              v.GetString(KeyChainID),
		GRPCAddress:          v.GetString(KeyGRPC),
		RPCAddress:           v.GetString(KeyRPC),
		Provider:             v.GetString(KeyProvider),
		WorkerKey:            v.GetString(KeyWorkerKey),
		KeyringBackend:       v.GetString(KeyKeyringBackend),
		KeyringDir:           abs(home, v.GetString(KeyKeyringDir)),
		LibDir:               abs(home, v.GetString(KeyLibDir)),
		Threads:              v.GetInt(KeyThreads),
		Context:              v.GetInt(KeyContext),
		DataDir:              abs(home, v.GetString(KeyDataDir)),
		GasPrices:            v.GetString(KeyGasPrices),
		GasAdjustment:        v.GetFloat64(KeyGasAdjustment),
		MaxResultsPerTx:      v.GetInt(KeyMaxResultsPerTx),
		Models:               map[string]string{},
		Backend:              v.GetString(KeyBackend),
		LlamaServerURL:       v.GetString(KeyLlamaServerURL),
		APIGRPCAddress:       v.GetString(KeyAPIGRPC),
		APIHTTPAddress:       v.GetString(KeyAPIHTTP),
		StreamListen:         v.GetString(KeyStreamListen),
		MaxInferenceAttempts: v.GetInt(KeyMaxAttempts),
	}
	if cfg.PollInterval, err = parseDuration(v.GetString(KeyPollInterval)); err != nil {
		return nil, fmt.Errorf("%s: %w", KeyPollInterval, err)
	}
	// Model ids are read from the file itself: viper lower-cases keys and splits them at
	// dots, and model ids may hold both.
	fileModels, err := readModels(filepath.Join(home, FileName))
	if err != nil {
		return nil, err
	}
	for id, p := range fileModels {
		cfg.Models[id] = abs(home, p)
	}
	if env := os.Getenv(EnvPrefix + "_MODELS"); env != "" {
		m, err := parseModelList(env)
		if err != nil {
			return nil, fmt.Errorf("%s_MODELS: %w", EnvPrefix, err)
		}
		cfg.Models = map[string]string{}
		for id, p := range m {
			cfg.Models[id] = abs(home, p)
		}
	}
	if fs != nil {
		if f := fs.Lookup(flagName(KeyModels)); f != nil && f.Changed {
			m, err := fs.GetStringToString(flagName(KeyModels))
			if err != nil {
				return nil, err
			}
			cfg.Models = map[string]string{}
			for id, p := range m {
				cfg.Models[id] = abs(home, p)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid config %s: %w", filepath.Join(home, FileName), err)
	}
	return cfg, nil
}

func isKey(k string) bool {
	switch k {
	case KeyChainID, KeyGRPC, KeyRPC, KeyProvider, KeyWorkerKey, KeyKeyringBackend, KeyKeyringDir,
		KeyModels, KeyLibDir, KeyThreads, KeyContext, KeyDataDir, KeyPollInterval, KeyGasPrices,
		KeyGasAdjustment, KeyMaxResultsPerTx, KeyBackend, KeyLlamaServerURL, KeyMaxAttempts,
		KeyAPIGRPC, KeyAPIHTTP, KeyStreamListen:
		return true
	}
	return false
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 500ms", s)
	}
	return d, nil
}

func abs(home, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return filepath.Join(home, p)
}

// Validate checks every field and names the first bad one.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.ChainID) == "" {
		return fmt.Errorf("%s is empty", KeyChainID)
	}
	if _, _, err := splitHostPort(c.GRPCAddress); err != nil {
		return fmt.Errorf("%s %q: %w", KeyGRPC, c.GRPCAddress, err)
	}
	u, err := url.Parse(c.RPCAddress)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q must look like tcp://host:port", KeyRPC, c.RPCAddress)
	}
	if c.Provider == "" {
		return fmt.Errorf("%s is empty: set it to the provider account this worker serves", KeyProvider)
	}
	if _, err := sdk.AccAddressFromBech32(c.Provider); err != nil {
		return fmt.Errorf("%s %q: %w", KeyProvider, c.Provider, err)
	}
	if c.WorkerKey == "" {
		return fmt.Errorf("%s is empty", KeyWorkerKey)
	}
	switch c.KeyringBackend {
	case "test", "file", "os":
	default:
		return fmt.Errorf("%s %q must be test, file or os", KeyKeyringBackend, c.KeyringBackend)
	}
	if c.KeyringDir == "" {
		return fmt.Errorf("%s is empty", KeyKeyringDir)
	}
	if len(c.Models) == 0 {
		return fmt.Errorf("%s is empty: add at least one `id = \"path.gguf\"` under [models]", KeyModels)
	}
	for _, id := range c.ModelIDs() {
		if c.Models[id] == "" {
			return fmt.Errorf("model %q has an empty path", id)
		}
	}
	if c.LibDir == "" {
		return fmt.Errorf("%s is empty", KeyLibDir)
	}
	if c.Threads < 1 {
		return fmt.Errorf("%s must be at least 1, got %d", KeyThreads, c.Threads)
	}
	if c.Context < 0 {
		return fmt.Errorf("%s must not be negative, got %d", KeyContext, c.Context)
	}
	if c.DataDir == "" {
		return fmt.Errorf("%s is empty", KeyDataDir)
	}
	if c.PollInterval < 10*time.Millisecond || c.PollInterval > 10*time.Minute {
		return fmt.Errorf("%s %s must be between 10ms and 10m", KeyPollInterval, c.PollInterval)
	}
	if c.GasPrices != "" {
		if _, err := sdk.ParseDecCoins(c.GasPrices); err != nil {
			return fmt.Errorf("%s %q: %w", KeyGasPrices, c.GasPrices, err)
		}
	}
	if c.GasAdjustment < 1 {
		return fmt.Errorf("%s must be at least 1, got %v", KeyGasAdjustment, c.GasAdjustment)
	}
	if c.MaxResultsPerTx < 1 {
		return fmt.Errorf("%s must be at least 1, got %d", KeyMaxResultsPerTx, c.MaxResultsPerTx)
	}
	switch c.Backend {
	case BackendLlama:
	case BackendLlamaServer:
		u, err := url.Parse(c.LlamaServerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s %q must look like http://host:port", KeyLlamaServerURL, c.LlamaServerURL)
		}
	default:
		return fmt.Errorf("%s %q must be %s or %s", KeyBackend, c.Backend, BackendLlama, BackendLlamaServer)
	}
	if c.MaxInferenceAttempts < 1 || c.MaxInferenceAttempts > 100 {
		return fmt.Errorf("%s must be between 1 and 100, got %d", KeyMaxAttempts, c.MaxInferenceAttempts)
	}
	listeners := []struct{ key, addr string }{{KeyAPIGRPC, c.APIGRPCAddress}, {KeyAPIHTTP, c.APIHTTPAddress}, {KeyStreamListen, c.StreamListen}}
	for i, a := range listeners {
		if a.addr == "" {
			continue
		}
		if _, _, err := splitHostPort(a.addr); err != nil {
			return fmt.Errorf("%s %q: %w (or \"\" to disable)", a.key, a.addr, err)
		}
		for _, b := range listeners[:i] {
			if b.addr == a.addr {
				return fmt.Errorf("%s and %s are both %q", b.key, a.key, a.addr)
			}
		}
	}
	return nil
}

// ModelIDs returns the served model ids, sorted.
func (c *Config) ModelIDs() []string {
	ids := make([]string, 0, len(c.Models))
	for id := range c.Models {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func splitHostPort(a string) (string, string, error) {
	i := strings.LastIndex(a, ":")
	if a == "" || i <= 0 || i == len(a)-1 || strings.Contains(a, "://") {
		return "", "", errors.New("must be host:port")
	}
	return a[:i], a[i+1:], nil
}

// readModels returns the [models] table of the config file, keys verbatim.
func readModels(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Models map[string]any `toml:"models"`
	}
	if err := toml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	out := make(map[string]string, len(doc.Models))
	for id, v := range doc.Models {
		p, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s: models.%s must be a path string, got %T", path, id, v)
		}
		out[id] = p
	}
	return out, nil
}

// parseModelList parses "id=path,id2=path2".
func parseModelList(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, p, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(id) == "" || strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("%q must be id=path", part)
		}
		out[strings.TrimSpace(id)] = strings.TrimSpace(p)
	}
	return out, nil
}
