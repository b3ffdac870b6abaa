package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/app"
)

var testProvider = func() string {
	app.SetAddressPrefixes()
	return sdk.AccAddress(make([]byte, 20)).String()
}()

func writeHome(t *testing.T, iv InitValues) string {
	t.Helper()
	home := t.TempDir()
	if _, err := iv.WriteFile(home); err != nil {
		t.Fatal(err)
	}
	return home
}

func validValues() InitValues {
	return InitValues{ChainID: "sovra-local", Provider: testProvider, Models: map[string]string{"Llama-3.1": "models/a.gguf"}}
}

func TestInitTemplateLoads(t *testing.T) {
	home := writeHome(t, validValues())
	cfg, err := Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ChainID != "sovra-local" || cfg.Provider != testProvider || cfg.WorkerKey != "worker" || cfg.KeyringBackend != "test" {
		t.Fatalf("cfg = %+v", cfg)
	}
	if cfg.KeyringDir != filepath.Join(home, "keyring") || cfg.DataDir != filepath.Join(home, "data") {
		t.Fatalf("dirs not under home: %s %s", cfg.KeyringDir, cfg.DataDir)
	}
	if cfg.PollInterval != 500*time.Millisecond || cfg.Threads != 1 || cfg.MaxResultsPerTx != 8 {
		t.Fatalf("defaults: %+v", cfg)
	}
	// Model ids keep their case and dots.
	if got := cfg.Models["Llama-3.1"]; got != filepath.Join(home, "models/a.gguf") {
		t.Fatalf("models = %v", cfg.Models)
	}
	if _, err := validValues().WriteFile(home); err == nil {
		t.Fatal("init overwrote an existing config")
	}
}

func TestEnvAndFlagsOverride(t *testing.T) {
	home := writeHome(t, validValues())
	t.Setenv("SOVRA_WORKER_CHAIN_ID", "from-env")
	t.Setenv("SOVRA_WORKER_THREADS", "3")
	t.Setenv("SOVRA_WORKER_MODELS", "m1=/abs/m1.gguf")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse([]string{"--threads", "4", "--poll-interval", "2s"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(home, fs)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ChainID != "from-env" || cfg.Threads != 4 || cfg.PollInterval != 2*time.Second {
		t.Fatalf("cfg = %+v", cfg)
	}
	if len(cfg.Models) != 1 || cfg.Models["m1"] != "/abs/m1.gguf" {
		t.Fatalf("models = %v", cfg.Models)
	}
}

// TestStreamListen: off by default; set in the file, by SOVRA_WORKER_STREAM_LISTEN or by
// --stream-listen.
func TestStreamListen(t *testing.T) {
	home := writeHome(t, validValues())
	cfg, err := Load(home, nil)
	if err != nil || cfg.StreamListen != "" {
		t.Fatalf("default: %q, %v", cfg.StreamListen, err)
	}
	iv := validValues()
	iv.StreamListen = "0.0.0.0:7072"
	cfg, err = Load(writeHome(t, iv), nil)
	if err != nil || cfg.StreamListen != "0.0.0.0:7072" {
		t.Fatalf("file: %q, %v", cfg.StreamListen, err)
	}
	t.Setenv("SOVRA_WORKER_STREAM_LISTEN", "127.0.0.1:9000")
	cfg, err = Load(home, nil)
	if err != nil || cfg.StreamListen != "127.0.0.1:9000" {
		t.Fatalf("env: %q, %v", cfg.StreamListen, err)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse([]string{"--stream-listen", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(home, fs)
	if err != nil || cfg.StreamListen != "127.0.0.1:0" {
		t.Fatalf("flag: %q, %v", cfg.StreamListen, err)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "sovra-worker init") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadValues(t *testing.T) {
	cases := []struct {
		name, env, val, want string
	}{
		{"no chain id", "CHAIN_ID", " ", "chain_id"},
		{"grpc with scheme", "GRPC_ADDRESS", "tcp://a:1", "grpc_address"},
		{"rpc without scheme", "RPC_ADDRESS", "localhost:26657", "rpc_address"},
		{"bad provider", "PROVIDER_ADDRESS", "cosmos1xyz", "provider_address"},
		{"bad backend", "KEYRING_BACKEND", "memory", "keyring_backend"},
		{"zero threads", "THREADS", "0", "threads"},
		{"bad poll", "POLL_INTERVAL", "fast", "poll_interval"},
		{"tiny poll", "POLL_INTERVAL", "1ms", "poll_interval"},
		{"bad gas prices", "GAS_PRICES", "cheap", "gas_prices"},
		{"bad models", "MODELS", "nopath", "MODELS"},
		{"low gas adjustment", "GAS_ADJUSTMENT", "0.5", "gas_adjustment"},
		{"stream with scheme", "STREAM_LISTEN", "http://0.0.0.0:7072", "stream_listen"},
		{"stream on the API", "STREAM_LISTEN", "127.0.0.1:7071", "api_http_address and stream_listen"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := writeHome(t, validValues())
			t.Setenv("SOVRA_WORKER_"+tc.env, tc.val)
			_, err := Load(home, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	t.Run("no models", func(t *testing.T) {
		iv := validValues()
		iv.Models = nil
		_, err := Load(writeHome(t, iv), nil)
		if err == nil || !strings.Contains(err.Error(), "models is empty") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("model not a string", func(t *testing.T) {
		home := t.TempDir()
		raw := validValues().Render() + "\nbad = 3\n"
		if err := os.WriteFile(filepath.Join(home, FileName), []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(home, nil)
		if err == nil || !strings.Contains(err.Error(), "models.bad") {
			t.Fatalf("err = %v", err)
		}
	})
}
