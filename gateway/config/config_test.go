package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/app/params"
)

func writeHome(t *testing.T, iv InitValues) string {
	t.Helper()
	params.Encoding() // bech32 prefixes
	home := t.TempDir()
	_, err := iv.WriteFile(home)
	require.NoError(t, err)
	return home
}

func TestInitWritesAConfigThatLoads(t *testing.T) {
	home := writeHome(t, InitValues{ChainID: "sovra-local-1", Key: "alice", KeyringDir: "/keys", Budget: "5000000usovra"})
	cfg, err := Load(home, nil)
	require.NoError(t, err)
	require.Equal(t, "sovra-local-1", cfg.ChainID)
	require.Equal(t, "alice", cfg.Key)
	require.Equal(t, "127.0.0.1:8780", cfg.Listen)
	require.Equal(t, "1000000usovra", cfg.MaxFee.String())
	require.Equal(t, "5000000usovra", cfg.Budget.String())
	require.True(t, cfg.MaxPrice.Amount.IsNil(), "no price cap by default")
	require.Equal(t, uint64(256), cfg.DefaultMaxTokens)
	require.Equal(t, filepath.Join(home, "data"), cfg.DataDir)
	_, err = InitValues{ChainID: "x", Key: "k", KeyringDir: "/k"}.WriteFile(home)
	require.ErrorContains(t, err, "already exists")
}

func TestEnvironmentAndFlagsOverrideTheFile(t *testing.T) {
	home := writeHome(t, InitValues{ChainID: "sovra-local-1", Key: "alice", KeyringDir: "/keys"})
	t.Setenv("SOVRA_GATEWAY_MAX_FEE", "2000usovra")
	t.Setenv("SOVRA_GATEWAY_LISTEN", "127.0.0.1:9999")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs)
	require.NoError(t, fs.Parse([]string{"--listen", "127.0.0.1:7777", "--default-max-tokens", "32"}))
	cfg, err := Load(home, fs)
	require.NoError(t, err)
	require.Equal(t, "2000usovra", cfg.MaxFee.String())
	require.Equal(t, "127.0.0.1:7777", cfg.Listen, "a flag beats the environment")
	require.Equal(t, uint64(32), cfg.DefaultMaxTokens)
}

// Every bad field is refused with its name.
func TestBadConfigIsRefusedByName(t *testing.T) {
	cases := map[string]string{
		`listen = "0.0.0.0:8780"`:             "api_token",
		`listen = "nonsense"`:                 "listen",
		`max_fee = "0usovra"`:                 "max_fee",
		`max_fee = "12"`:                      "max_fee",
		`budget = "10usovra"`:                 "budget",
		`budget = "5000000stake"`:             "budget",
		`max_price_per_token = "1stake"`:      "max_price_per_token",
		`default_max_tokens = 0`:              "default_max_tokens",
		`gas_adjustment = 0.5`:                "gas_adjustment",
		`gas_prices = "cheap"`:                "gas_prices",
		`poll_interval = "1ms"`:               "poll_interval",
		`poll_interval = "soon"`:              "poll_interval",
		`stream_connect_timeout = "0s"`:       "stream_connect_timeout",
		`keyring_backend = "memory"`:          "keyring_backend",
		`rpc_address = "127.0.0.1:26657"`:     "rpc_address",
		`grpc_address = "http://127.0.0.1:1"`: "grpc_address",
		`key = ""`:                            "key",
		`chain_id = ""`:                       "chain_id",
		`unknown_thing = 1`:                   "unknown_thing",
	}
	for line, name := range cases {
		home := writeHome(t, InitValues{ChainID: "sovra-local-1", Key: "alice", KeyringDir: "/keys"})
		path := filepath.Join(home, FileName)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		key := strings.SplitN(line, " ", 2)[0]
		var out []string
		for _, l := range strings.Split(string(raw), "\n") {
			if !strings.HasPrefix(l, key+" =") {
				out = append(out, l)
			}
		}
		out = append(out, line)
		require.NoError(t, os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600))
		_, err = Load(home, nil)
		require.Error(t, err, line)
		require.Contains(t, err.Error(), name, line)
	}
	// A non-loopback address is fine with a token.
	home := writeHome(t, InitValues{ChainID: "sovra-local-1", Key: "alice", KeyringDir: "/keys", Listen: "0.0.0.0:8780"})
	t.Setenv("SOVRA_GATEWAY_API_TOKEN", "secret")
	_, err := Load(home, nil)
	require.NoError(t, err)
}
