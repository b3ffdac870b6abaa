package localnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

func TestLoadRepoConfig(t *testing.T) {
	cfg, err := LoadConfig("../../config.yml")
	require.NoError(t, err)
	require.Equal(t, "sovra-local-1", cfg.ChainID())
	require.Equal(t, "usovra", cfg.BondDenom())
	require.Len(t, cfg.Accounts, 8)
	require.Equal(t, "alice", cfg.Accounts[0].Name)
	require.Equal(t, []string{"1000000000000usovra"}, cfg.Accounts[0].Coins)
	require.Len(t, cfg.Validators, 1)
	v := cfg.Validators[0]
	require.Equal(t, "100000000usovra", v.Bonded)
	require.Equal(t, "1s", v.Config["consensus"].(map[string]any)["timeout_commit"])
	require.Equal(t, "0usovra", v.App["minimum-gas-prices"])
	require.Equal(t, "bob", cfg.Faucet.Name)
	staking := cfg.AppState()["staking"].(map[string]any)["params"].(map[string]any)
	require.Equal(t, "usovra", staking["bond_denom"])
	// Extra validators copy the first one.
	require.Equal(t, v.Bonded, cfg.ValidatorTemplate(3).Bonded)
}

const goodValidators = `
validators:
  - name: val
    bonded: "100usovra"
    coins: ["1000usovra"]
`

func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"missing chain id", "accounts: []\n" + goodValidators, "genesis.chain_id is required"},
		{"empty chain id", "genesis: {chain_id: \"\"}\n" + goodValidators, "non-empty string"},
		{"chain id with space", "genesis: {chain_id: \"a b\"}\n" + goodValidators, "no spaces"},
		{"no validators", "genesis: {chain_id: c-1}\n", "at least one validator is required"},
		{
			"bad account coins", "genesis: {chain_id: c-1}\naccounts: [{name: a, coins: [\"12 usovra x\"]}]\n" + goodValidators,
			`accounts[0] (a): coins "12 usovra x"`,
		},
		{
			"empty account coins", "genesis: {chain_id: c-1}\naccounts: [{name: a, coins: [\"\"]}]\n" + goodValidators,
			`accounts[0] (a): coins ""`,
		},
		{
			"account without name", "genesis: {chain_id: c-1}\naccounts: [{coins: [\"1usovra\"]}]\n" + goodValidators,
			"accounts[0]: name is required",
		},
		{
			"duplicate name", "genesis: {chain_id: c-1}\naccounts: [{name: val, coins: [\"1usovra\"]}]\n" + goodValidators,
			`name "val" is already used`,
		},
		{
			"bad bonded", "genesis: {chain_id: c-1}\nvalidators: [{name: v, bonded: lots, coins: [\"1usovra\"]}]\n",
			`bonded "lots" must be one positive coin`,
		},
		{
			"bonded above coins", "genesis: {chain_id: c-1}\nvalidators: [{name: v, bonded: 5usovra, coins: [\"1usovra\"]}]\n",
			"bonded 5usovra exceeds its coins (1usovra)",
		},
		{
			"two bond denoms", "genesis: {chain_id: c-1}\nvalidators: [{name: v, bonded: 5usovra, coins: [\"9usovra\"]}, {name: w, bonded: 5stake, coins: [\"9stake\"]}]\n",
			`bonded denom "stake" differs`,
		},
		{"unknown faucet", "genesis: {chain_id: c-1}\nfaucet: {name: nobody}\n" + goodValidators, `faucet.name "nobody"`},
		{"app_state not a map", "genesis: {chain_id: c-1, app_state: 3}\n" + goodValidators, "genesis.app_state must be a map"},
		{"not yaml", "genesis: [\n", "config.yml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tc.body))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadConfigReportsEveryError(t *testing.T) {
	_, err := LoadConfig(writeConfig(t, "accounts: [{name: a, coins: [bad]}]\n"))
	require.Error(t, err)
	for _, want := range []string{"chain_id is required", "accounts[0] (a)", "at least one validator"} {
		require.Contains(t, err.Error(), want)
	}
	_, err = LoadConfig(filepath.Join(t.TempDir(), "absent.yml"))
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "absent.yml"))
}

func TestLoadConfigMnemonicAndMultiCoins(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, `
genesis: {chain_id: c-1}
accounts:
  - name: a
    coins: ["5usovra,7foo", "3usovra"]
    mnemonic: "word word"
`+goodValidators))
	require.NoError(t, err)
	coins, err := parseCoinList(cfg.Accounts[0].Coins)
	require.NoError(t, err)
	require.Equal(t, "7foo,8usovra", coins.String())
	require.Equal(t, "word word", cfg.Accounts[0].Mnemonic)
}
