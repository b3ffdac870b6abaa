package gateway_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/gateway"
	"github.com/sovra-network/sovra/gateway/config"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/worker/chain"
	wconfig "github.com/sovra-network/sovra/worker/config"
)

// Helpers shared by the end-to-end test (e2e_test.go) and the latency benchmark
// (latency_bench_test.go).

// startGateway starts a gateway paying with alice's key on env's network, logging to the
// test's log, stopped when the test ends.
func startGateway(t testing.TB, env *gatewayEnv, mutate func(*config.Config)) *gateway.Gateway {
	t.Helper()
	return startGatewayWith(t, env, gateway.Options{Logf: t.Logf}, mutate)
}

// startGatewayWith is startGateway with the gateway's options given.
func startGatewayWith(t testing.TB, env *gatewayEnv, opts gateway.Options, mutate func(*config.Config)) *gateway.Gateway {
	t.Helper()
	cfg := &config.Config{
		Home: t.TempDir(), ChainID: env.net.ChainID(), GRPCAddress: env.net.GRPC(0), RPCAddress: env.net.RPC(0),
		Key: "alice", KeyringBackend: "test", KeyringDir: env.net.ClientHome(), Listen: "127.0.0.1:0",
		MaxFee: sdk.NewInt64Coin("usovra", 10000), DefaultMaxTokens: 16, GasAdjustment: 1.5,
		PollInterval: 100 * time.Millisecond, StreamConnectTimeout: 5 * time.Second,
	}
	cfg.DataDir = filepath.Join(cfg.Home, "data")
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	g, err := gateway.New(cfg, opts)
	require.NoError(t, err)
	require.NoError(t, g.Start())
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// workerConfig writes worker i's home: the network's worker<i> key in its own keyring,
// serving provider<i> with the demo model.
func workerConfig(t testing.TB, net *localnet.Network, i int, libDir, modelPath string) *wconfig.Config {
	t.Helper()
	home := t.TempDir()
	name := "worker" + strconv.Itoa(i)
	src, err := chain.OpenKeyring("test", net.ClientHome())
	require.NoError(t, err)
	armor, err := src.ExportPrivKeyArmor(name, "pass1234")
	require.NoError(t, err)
	dst, err := chain.OpenKeyring("test", filepath.Join(home, "keyring"))
	require.NoError(t, err)
	require.NoError(t, dst.ImportPrivKey(name, armor, "pass1234"))
	_, err = wconfig.InitValues{
		ChainID: net.ChainID(), GRPC: net.GRPC(0), RPC: net.RPC(0), Provider: net.AccountAddress("provider" + strconv.Itoa(i)),
		KeyName: name, Models: map[string]string{"demo-tiny": modelPath}, LibDir: libDir, Threads: 1,
	}.WriteFile(home)
	require.NoError(t, err)
	cfg, err := wconfig.Load(home, nil)
	require.NoError(t, err)
	cfg.PollInterval = 200 * time.Millisecond
	return cfg
}

func subMap(m map[string]any, key string) map[string]any {
	sub, ok := m[key].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[key] = sub
	}
	return sub
}
