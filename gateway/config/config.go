// Package config loads the sovra-gateway configuration from <home>/gateway.toml, the
// environment (SOVRA_GATEWAY_*) and command-line flags, in increasing precedence.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// FileName is the config file inside the gateway's home.
const FileName = "gateway.toml"

// EnvPrefix prefixes every environment variable: SOVRA_GATEWAY_LISTEN, ...
const EnvPrefix = "SOVRA_GATEWAY"

// Keys of the configuration (file keys; env suffixes upper-cased; flags with '-').
const (
	KeyChainID          = "chain_id"
	KeyGRPC             = "grpc_address"
	KeyRPC              = "rpc_address"
	KeyKey              = "key"
	KeyKeyringBackend   = "keyring_backend"
	KeyKeyringDir       = "keyring_dir"
	KeyListen           = "listen"
	KeyAPIToken         = "api_token"
	KeyMaxFee           = "max_fee"
	KeyBudget           = "budget"
	KeyMaxPrice         = "max_price_per_token"
	KeyDefaultMaxTokens = "default_max_tokens"
	KeyDeadlineBlocks   = "deadline_blocks"
	KeyGasPrices        = "gas_prices"
	KeyGasAdjustment    = "gas_adjustment"
	KeyDataDir          = "data_dir"
	KeyPollInterval     = "poll_interval"
	KeyStreamConnect    = "stream_connect_timeout"
)

var keys = []string{
	KeyChainID, KeyGRPC, KeyRPC, KeyKey, KeyKeyringBackend, KeyKeyringDir, KeyListen, KeyAPIToken,
	KeyMaxFee, KeyBudget, KeyMaxPrice, KeyDefaultMaxTokens, KeyDeadlineBlocks, KeyGasPrices,
	KeyGasAdjustment, KeyDataDir, KeyPollInterval, KeyStreamConnect,
}

// Config is the gateway's whole configuration.
type Config struct {
	Home           string
	ChainID        string
	GRPCAddress    string // host:port of the node's gRPC server
	RPCAddress     string // CometBFT RPC, e.g. tcp://127.0.0.1:26657
	Key            string // name of the user's key in the keyring: it pays for the jobs
	KeyringBackend string // test, file, os
	KeyringDir     string
	// Listen is the OpenAI API's address; loopback unless APIToken is set.
	Listen string
	// APIToken, when set, is the bearer token every request must carry.
	APIToken string
	// MaxFee caps what one request may escrow (its max_fee on chain).
	MaxFee sdk.Coin
	// Budget caps what the requests of one UTC day may cost (escrowed until settled, then
	// the fees charged); zero: no daily cap.
	Budget sdk.Coin
	// MaxPrice caps the price per token a request bids; zero: the dearest provider's.
	MaxPrice sdk.Coin
	// DefaultMaxTokens is a request's output bound when it names none.
	DefaultMaxTokens uint64
	// DeadlineBlocks is each job's deadline after assignment; 0 takes the chain's default.
	DeadlineBlocks uint64
	GasPrices      string // e.g. 0.01usovra; empty = no fee
	GasAdjustment  float64
	DataDir        string // the budget ledger
	// PollInterval is how often the node's height is read while jobs are open.
	PollInterval time.Duration
	// StreamConnectTimeout bounds the wait for a provider's token stream before the
	// request falls back to the committed result.
	StreamConnectTimeout time.Duration
}

func setDefaults(v *viper.Viper, home string) {
	v.SetDefault(KeyChainID, "")
	v.SetDefault(KeyGRPC, "127.0.0.1:9090")
	v.SetDefault(KeyRPC, "tcp://127.0.0.1:26657")
	v.SetDefault(KeyKey, "")
	v.SetDefault(KeyKeyringBackend, "test")
	v.SetDefault(KeyKeyringDir, "")
	v.SetDefault(KeyListen, "127.0.0.1:8780")
	v.SetDefault(KeyAPIToken, "")
	v.SetDefault(KeyMaxFee, "1000000usovra")
	v.SetDefault(KeyBudget, "")
	v.SetDefault(KeyMaxPrice, "")
	v.SetDefault(KeyDefaultMaxTokens, 256)
	v.SetDefault(KeyDeadlineBlocks, 0)
	v.SetDefault(KeyGasPrices, "")
	v.SetDefault(KeyGasAdjustment, 1.5)
	v.SetDefault(KeyDataDir, filepath.Join(home, "data"))
	v.SetDefault(KeyPollInterval, "100ms")
	v.SetDefault(KeyStreamConnect, "5s")
}

func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// AddFlags registers the flags that override the file and the environment.
func AddFlags(fs *pflag.FlagSet) {
	fs.String(flagName(KeyChainID), "", "chain id")
	fs.String(flagName(KeyGRPC), "", "node gRPC address (host:port)")
	fs.String(flagName(KeyRPC), "", "node CometBFT RPC address (tcp://host:port)")
	fs.String(flagName(KeyKey), "", "name of the key that pays for the jobs")
	fs.String(flagName(KeyKeyringBackend), "", "keyring backend (test, file, os)")
	fs.String(flagName(KeyKeyringDir), "", "keyring directory (e.g. the sovrad home)")
	fs.String(flagName(KeyListen), "", "listen address of the OpenAI API (loopback unless --api-token is set)")
	fs.String(flagName(KeyAPIToken), "", "bearer token required of every request")
	fs.String(flagName(KeyMaxFee), "", "most one request may escrow, e.g. 1000000usovra")
	fs.String(flagName(KeyBudget), "", "most the requests of one UTC day may cost (\"\" = no cap)")
	fs.String(flagName(KeyMaxPrice), "", "highest price per token to bid (\"\" = the dearest provider's)")
	fs.Uint64(flagName(KeyDefaultMaxTokens), 0, "output tokens of a request that names no max_tokens")
	fs.Uint64(flagName(KeyDeadlineBlocks), 0, "job deadline in blocks after assignment (0 = the chain's default)")
	fs.String(flagName(KeyGasPrices), "", "gas prices, e.g. 0.01usovra")
	fs.Float64(flagName(KeyGasAdjustment), 0, "gas adjustment over simulation")
	fs.String(flagName(KeyDataDir), "", "data directory (default <home>/data)")
	fs.Duration(flagName(KeyPollInterval), 0, "how often the node's height is read while jobs are open")
	fs.Duration(flagName(KeyStreamConnect), 0, "wait for a provider's token stream before using the committed result")
}

// Load reads <home>/gateway.toml when it exists, then SOVRA_GATEWAY_* variables, then the
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
	path := filepath.Join(home, FileName)
	if _, err := os.Stat(path); err == nil {
		v.SetConfigFile(path)
		v.SetConfigType("toml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		for _, k := range v.AllKeys() {
			if !isKey(k) {
				return nil, fmt.Errorf("%s: unknown key %q", path, k)
			}
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if fs != nil {
		var bindErr error
		fs.VisitAll(func(f *pflag.Flag) {
			key := strings.ReplaceAll(f.Name, "-", "_")
			if f.Changed && isKey(key) {
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
		Home:             home,
		ChainID:          v.GetString(KeyChainID),
		GRPCAddress:      v.GetString(KeyGRPC),
		RPCAddress:       v.GetString(KeyRPC),
		Key:              v.GetString(KeyKey),
		KeyringBackend:   v.GetString(KeyKeyringBackend),
		KeyringDir:       abs(home, v.GetString(KeyKeyringDir)),
		Listen:           v.GetString(KeyListen),
		APIToken:         v.GetString(KeyAPIToken),
		DefaultMaxTokens: v.GetUint64(KeyDefaultMaxTokens),
		DeadlineBlocks:   v.GetUint64(KeyDeadlineBlocks),
		GasPrices:        v.GetString(KeyGasPrices),
		GasAdjustment:    v.GetFloat64(KeyGasAdjustment),
		DataDir:          abs(home, v.GetString(KeyDataDir)),
	}
	coins := []struct {
		key      string
		dst      *sdk.Coin
		optional bool
	}{{KeyMaxFee, &cfg.MaxFee, false}, {KeyBudget, &cfg.Budget, true}, {KeyMaxPrice, &cfg.MaxPrice, true}}
	for _, c := range coins {
		s := strings.TrimSpace(v.GetString(c.key))
		if s == "" && c.optional {
			continue
		}
		coin, err := sdk.ParseCoinNormalized(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q must be an amount with its denom, like 1000000usovra: %w", c.key, s, err)
		}
		*c.dst = coin
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{KeyPollInterval, &cfg.PollInterval}, {KeyStreamConnect, &cfg.StreamConnectTimeout}} {
		s := v.GetString(d.key)
		if *d.dst, err = time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("%s %q is not a duration like 100ms", d.key, s)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid gateway config: %w", err)
	}
	return cfg, nil
}

func isKey(k string) bool {
	for _, key := range keys {
		if k == key {
			return true
		}
	}
	return false
}

func abs(home, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(home, p)
}

// Validate checks every field and names the first bad one.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.ChainID) == "" {
		return fmt.Errorf("%s is empty", KeyChainID)
	}
	if _, _, err := net.SplitHostPort(c.GRPCAddress); err != nil || strings.Contains(c.GRPCAddress, "://") {
		return fmt.Errorf("%s %q must be host:port", KeyGRPC, c.GRPCAddress)
	}
	u, err := url.Parse(c.RPCAddress)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q must look like tcp://host:port", KeyRPC, c.RPCAddress)
	}
	if c.Key == "" {
		return fmt.Errorf("%s is empty: name the keyring key that pays for the jobs", KeyKey)
	}
	switch c.KeyringBackend {
	case "test", "file", "os":
	default:
		return fmt.Errorf("%s %q must be test, file or os", KeyKeyringBackend, c.KeyringBackend)
	}
	if c.KeyringDir == "" {
		return fmt.Errorf("%s is empty: the folder that holds the keyring (e.g. the sovrad home)", KeyKeyringDir)
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("%s %q must be host:port", KeyListen, c.Listen)
	}
	if !isLoopback(host) && c.APIToken == "" {
		return fmt.Errorf("%s %q is not a loopback address: set %s so that only your clients can spend your key's funds", KeyListen, c.Listen, KeyAPIToken)
	}
	if !c.MaxFee.IsPositive() {
		return fmt.Errorf("%s must be positive", KeyMaxFee)
	}
	for _, o := range []struct {
		key  string
		coin sdk.Coin
	}{{KeyBudget, c.Budget}, {KeyMaxPrice, c.MaxPrice}} {
		if o.coin.Denom != "" && o.coin.Denom != c.MaxFee.Denom {
			return fmt.Errorf("%s is in %s, %s in %s: use one denom", o.key, o.coin.Denom, KeyMaxFee, c.MaxFee.Denom)
		}
	}
	if c.Budget.Denom != "" && c.Budget.Amount.LT(c.MaxFee.Amount) {
		return fmt.Errorf("%s %s is below %s %s: no request could be sent", KeyBudget, c.Budget, KeyMaxFee, c.MaxFee)
	}
	if c.DefaultMaxTokens == 0 {
		return fmt.Errorf("%s must be positive", KeyDefaultMaxTokens)
	}
	if c.GasPrices != "" {
		if _, err := sdk.ParseDecCoins(c.GasPrices); err != nil {
			return fmt.Errorf("%s %q: %w", KeyGasPrices, c.GasPrices, err)
		}
	}
	if c.GasAdjustment < 1 {
		return fmt.Errorf("%s must be at least 1, got %v", KeyGasAdjustment, c.GasAdjustment)
	}
	if c.DataDir == "" {
		return fmt.Errorf("%s is empty", KeyDataDir)
	}
	if c.PollInterval < 10*time.Millisecond || c.PollInterval > time.Minute {
		return fmt.Errorf("%s %s must be between 10ms and 1m", KeyPollInterval, c.PollInterval)
	}
	if c.StreamConnectTimeout <= 0 || c.StreamConnectTimeout > 5*time.Minute {
		return fmt.Errorf("%s %s must be between 0 and 5m", KeyStreamConnect, c.StreamConnectTimeout)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
