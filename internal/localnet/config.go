// Package localnet builds and runs a local multi-validator Sovra network from an
// Ignite-style config.yml: one sovrad process per validator on loopback ports, every
// home under one directory, all account keys in a shared client home.
//
// It drives the sovrad binary (init, keys, genesis, vrf, start) rather than the app in
// process, so what it tests is what an operator runs.
package localnet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/viper"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Config is the part of config.yml (Ignite's format) that localnet uses.
//
// viper folds map keys to lower case; every key localnet reads (config.toml, app.toml,
// genesis JSON) is lower case already.
type Config struct {
	Accounts   []Account   `mapstructure:"accounts"`
	Validators []Validator `mapstructure:"validators"`
	Faucet     *Faucet     `mapstructure:"faucet"`
	// Genesis is merged into genesis.json as a whole (chain_id, app_state, ...); maps
	// merge key by key, anything else (lists included) replaces the default.
	Genesis map[string]any `mapstructure:"genesis"`
}

// Account is a funded genesis account whose key lives in the client home.
type Account struct {
	Name  string   `mapstructure:"name"`
	Coins []string `mapstructure:"coins"`
	// Mnemonic, when set, recovers the key instead of generating one.
	Mnemonic string `mapstructure:"mnemonic"`
}

// Validator is one genesis validator. Config and App are config.toml and app.toml
// overrides (nested maps are TOML sections); Client overrides client.toml.
type Validator struct {
	Name   string         `mapstructure:"name"`
	Bonded string         `mapstructure:"bonded"`
	Coins  []string       `mapstructure:"coins"`
	Config map[string]any `mapstructure:"config"`
	App    map[string]any `mapstructure:"app"`
	Client map[string]any `mapstructure:"client"`
}

// Faucet names the account that hands out coins (recorded, no faucet server is run).
type Faucet struct {
	Name  string   `mapstructure:"name"`
	Coins []string `mapstructure:"coins"`
}

// LoadConfig reads and validates a config.yml.
func LoadConfig(path string) (*Config, error) {
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var cfg Config
	if err := v.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &cfg, nil
}

// ChainID is genesis.chain_id.
func (c *Config) ChainID() string {
	s, _ := c.Genesis["chain_id"].(string)
	return s
}

// AppState is genesis.app_state (nil when absent).
func (c *Config) AppState() map[string]any {
	m, _ := c.Genesis["app_state"].(map[string]any)
	return m
}

// BondDenom is the denom of the first validator's bonded stake.
func (c *Config) BondDenom() string {
	if len(c.Validators) == 0 {
		return ""
	}
	coin, err := sdk.ParseCoinNormalized(c.Validators[0].Bonded)
	if err != nil {
		return ""
	}
	return coin.Denom
}

// ValidatorTemplate is the config entry validator i is built from: its own entry, or
// the first one for validators beyond those listed.
func (c *Config) ValidatorTemplate(i int) Validator {
	if i < len(c.Validators) {
		return c.Validators[i]
	}
	return c.Validators[0]
}

// Validate checks what a network cannot start without, with errors that name the entry.
func (c *Config) Validate() error {
	var errs []error
	chainID := c.ChainID()
	switch {
	case c.Genesis == nil || c.Genesis["chain_id"] == nil:
		errs = append(errs, errors.New("genesis.chain_id is required"))
	case chainID == "":
		errs = append(errs, fmt.Errorf("genesis.chain_id must be a non-empty string, got %v", c.Genesis["chain_id"]))
	case len(chainID) > 48 || strings.ContainsAny(chainID, " \t\n/"):
		errs = append(errs, fmt.Errorf("genesis.chain_id %q: at most 48 characters, no spaces or slashes", chainID))
	}
	if c.Genesis != nil && c.Genesis["app_state"] != nil && c.AppState() == nil {
		errs = append(errs, errors.New("genesis.app_state must be a map of module name to genesis overrides"))
	}

	names := map[string]string{}
	claim := func(name, what string) {
		if prev, ok := names[name]; ok {
			errs = append(errs, fmt.Errorf("%s: name %q is already used by %s", what, name, prev))
			return
		}
		names[name] = what
	}
	for i, a := range c.Accounts {
		what := fmt.Sprintf("accounts[%d]", i)
		if a.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is required", what))
			continue
		}
		what = fmt.Sprintf("%s (%s)", what, a.Name)
		claim(a.Name, what)
		if _, err := parseCoinList(a.Coins); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}

	if len(c.Validators) == 0 {
		errs = append(errs, errors.New("at least one validator is required"))
	}
	for i, v := range c.Validators {
		what := fmt.Sprintf("validators[%d]", i)
		if v.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is required", what))
			continue
		}
		what = fmt.Sprintf("%s (%s)", what, v.Name)
		claim(v.Name, what)
		bonded, err := sdk.ParseCoinNormalized(v.Bonded)
		if err != nil || !bonded.IsPositive() {
			errs = append(errs, fmt.Errorf("%s: bonded %q must be one positive coin such as 100000000usovra", what, v.Bonded))
			continue
		}
		coins, err := parseCoinList(v.Coins)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		if have := coins.AmountOf(bonded.Denom); have.LT(bonded.Amount) {
			errs = append(errs, fmt.Errorf("%s: bonded %s exceeds its coins (%s%s)", what, bonded, have, bonded.Denom))
		}
		if denom := c.BondDenom(); denom != "" && bonded.Denom != denom {
			errs = append(errs, fmt.Errorf("%s: bonded denom %q differs from the first validator's %q", what, bonded.Denom, denom))
		}
	}

	if c.Faucet != nil && c.Faucet.Name != "" {
		found := false
		for _, a := range c.Accounts {
			found = found || a.Name == c.Faucet.Name
		}
		if !found {
			errs = append(errs, fmt.Errorf("faucet.name %q is not one of the accounts", c.Faucet.Name))
		}
		if _, err := parseCoinList(c.Faucet.Coins); err != nil {
			errs = append(errs, fmt.Errorf("faucet: %w", err))
		}
	}
	return errors.Join(errs...)
}

// parseCoinList parses Ignite's list of coin strings ("100usovra", "5stake,7foo").
func parseCoinList(list []string) (sdk.Coins, error) {
	var all sdk.Coins
	for _, s := range list {
		coins, err := sdk.ParseCoinsNormalized(s)
		if err != nil || coins.Empty() {
			return nil, fmt.Errorf("coins %q: not a coin list such as 1000usovra", s)
		}
		all = all.Add(coins...)
	}
	return all, nil
}
