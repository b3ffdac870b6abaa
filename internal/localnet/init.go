package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/p2p"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// InitOptions configure Init.
type InitOptions struct {
	// Binary is the sovrad binary (required).
	Binary string
	// Home is the network's root; it must be empty or absent. Validator i lives in
	// Home/validator{i}, the keys in Home/client.
	Home string
	// Validators is the number of validators (default 1). Beyond the ones config.yml
	// lists, validators copy the first one's stake and overrides.
	Validators int
	// BasePort is validator 0's first port; validator i uses BasePort+10*i .. +4
	// (rpc, p2p, grpc, api, abci). 0 picks a free block.
	BasePort int
	// Config is the parsed config.yml (required).
	Config *Config
	// Log receives one line per step (nil: silent).
	Log io.Writer
}

// Init writes a new network's homes, keys and genesis, without starting it. Nodes
// started later by the returned Network die with this process unless SetDetached(true).
func Init(ctx context.Context, opts InitOptions) (*Network, error) {
	if opts.Binary == "" || opts.Config == nil || opts.Home == "" {
		return nil, errors.New("localnet: Binary, Home and Config are required")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("localnet config: %w", err)
	}
	if opts.Validators <= 0 {
		opts.Validators = 1
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	binary, err := resolveBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	home, err := filepath.Abs(opts.Home)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(home); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("localnet: %s is not empty (reset it first)", home)
	}
	base := opts.BasePort
	if base == 0 {
		if base, err = FreeBasePort(opts.Validators); err != nil {
			return nil, err
		}
	}

	cfg := opts.Config
	n := &Network{home: home, procs: map[int]*process{}}
	n.st = state{
		ChainID:    cfg.ChainID(),
		Binary:     binary,
		BondDenom:  cfg.BondDenom(),
		BasePort:   base,
		ClientHome: filepath.Join(home, "client"),
	}
	if cfg.Faucet != nil {
		n.st.Faucet = cfg.Faucet.Name
	}
	taken := map[string]bool{}
	for _, a := range cfg.Accounts {
		taken[a.Name] = true
	}
	for i := 0; i < opts.Validators; i++ {
		tmpl := cfg.ValidatorTemplate(i)
		name := tmpl.Name
		for k := i; taken[name]; k++ {
			name = tmpl.Name + strconv.Itoa(k)
		}
		taken[name] = true
		n.st.Validators = append(n.st.Validators, ValidatorInfo{
			Name:   name,
			Home:   filepath.Join(home, "validator"+strconv.Itoa(i)),
			Bonded: tmpl.Bonded,
			Ports:  PortsFor(base, i),
		})
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}

	b := &builder{n: n, cfg: cfg, ctx: ctx, log: opts.Log}
	for _, step := range []struct {
		what string
		fn   func() error
	}{
		{"initialize validator homes", b.initHomes},
		{"create keys in the client home", b.createKeys},
		{"write genesis accounts and overrides", b.genesisAccounts},
		{"create gentxs", b.gentxs},
		{"register VRF keys", b.vrfKeys},
		{"validate and distribute genesis", b.finishGenesis},
		{"write node and client configs", b.configs},
	} {
		fmt.Fprintf(b.log, "localnet: %s\n", step.what)
		if err := step.fn(); err != nil {
			return nil, fmt.Errorf("localnet: %s: %w", step.what, err)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.saveLocked(); err != nil {
		return nil, err
	}
	return n, nil
}

func resolveBinary(path string) (string, error) {
	if !strings.ContainsRune(path, os.PathSeparator) {
		return path, nil // looked up in PATH when run
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		return "", fmt.Errorf("localnet: binary %s not found", abs)
	}
	return abs, nil
}

// builder carries Init's steps.
type builder struct {
	n   *Network
	cfg *Config
	ctx context.Context
	log io.Writer
}

func (b *builder) run(stdin string, args ...string) (string, error) {
	return runBinary(b.ctx, b.n.st.Binary, b.n.home, stdin, args...)
}

func (b *builder) v(i int) *ValidatorInfo { return &b.n.st.Validators[i] }

func (b *builder) genesisPath(i int) string {
	return filepath.Join(b.v(i).Home, "config", "genesis.json")
}

func (b *builder) initHomes() error {
	return forEach(len(b.n.st.Validators), 2, func(i int) error {
		v := b.v(i)
		if _, err := b.run("", "init", v.Name, "--chain-id", b.n.st.ChainID,
			"--default-denom", b.n.st.BondDenom, "--home", v.Home); err != nil {
			return err
		}
		key, err := p2p.LoadNodeKey(filepath.Join(v.Home, "config", "node_key.json"))
		if err != nil {
			return err
		}
		v.NodeID = string(key.ID())
		return nil
	})
}

// keyOutput is `keys add --output json`.
type keyOutput struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Mnemonic string `json:"mnemonic"`
}

func (b *builder) addKey(name, mnemonic string) (keyOutput, error) {
	args := []string{"keys", "add", name, "--keyring-backend", "test", "--home", b.n.st.ClientHome, "--output", "json"}
	stdin := ""
	if mnemonic != "" {
		args = append(args, "--recover")
		stdin = mnemonic + "\n"
	}
	out, err := b.run(stdin, args...)
	if err != nil {
		return keyOutput{}, err
	}
	var k keyOutput
	if err := firstJSONObject(out, &k); err != nil {
		return keyOutput{}, fmt.Errorf("keys add %s: %w", name, err)
	}
	if k.Address == "" {
		return keyOutput{}, fmt.Errorf("keys add %s printed no address", name)
	}
	if k.Mnemonic == "" {
		k.Mnemonic = mnemonic
	}
	return k, nil
}

func (b *builder) createKeys() error {
	// Sequential: all keys go to one keyring directory.
	for _, a := range b.cfg.Accounts {
		k, err := b.addKey(a.Name, a.Mnemonic)
		if err != nil {
			return err
		}
		b.n.st.Accounts = append(b.n.st.Accounts, AccountInfo{
			Name: a.Name, Address: k.Address, Coins: a.Coins, Mnemonic: k.Mnemonic,
		})
	}
	for i := range b.n.st.Validators {
		v := b.v(i)
		k, err := b.addKey(v.Name, "")
		if err != nil {
			return err
		}
		v.Address = k.Address
		_, raw, err := bech32.DecodeAndConvert(k.Address)
		if err != nil {
			return fmt.Errorf("address %s: %w", k.Address, err)
		}
		prefix := strings.SplitN(k.Address, "1", 2)[0]
		if v.Operator, err = bech32.ConvertAndEncode(prefix+"valoper", raw); err != nil {
			return err
		}
	}
	return nil
}

// genesisAccount is one entry of bulk-add-genesis-account's file.
type genesisAccount struct {
	Address string    `json:"address"`
	Coins   sdk.Coins `json:"coins"`
}

func (b *builder) genesisAccounts() error {
	if over := b.cfg.Genesis; over != nil {
		if err := mergeJSONFile(b.genesisPath(0), over); err != nil {
			return err
		}
	}
	var accs []genesisAccount
	for _, a := range b.n.st.Accounts {
		coins, err := parseCoinList(a.Coins)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.Name, err)
		}
		accs = append(accs, genesisAccount{Address: a.Address, Coins: coins})
	}
	for i, v := range b.n.st.Validators {
		coins, err := parseCoinList(b.cfg.ValidatorTemplate(i).Coins)
		if err != nil {
			return fmt.Errorf("validator %s: %w", v.Name, err)
		}
		accs = append(accs, genesisAccount{Address: v.Address, Coins: coins})
	}
	raw, err := json.Marshal(accs)
	if err != nil {
		return err
	}
	file := filepath.Join(b.n.home, "genesis-accounts.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		return err
	}
	defer os.Remove(file)
	_, err = b.run("", "genesis", "bulk-add-genesis-account", file, "--home", b.v(0).Home)
	return err
}

// gentxs signs each validator's create-validator with its own consensus key, using the
// operator key from the client home, and collects them in validator 0's genesis.
func (b *builder) gentxs() error {
	gentxDir := filepath.Join(b.v(0).Home, "config", "gentx")
	if err := os.MkdirAll(gentxDir, 0o755); err != nil {
		return err
	}
	for i := 1; i < len(b.n.st.Validators); i++ {
		if err := copyFile(b.genesisPath(0), b.genesisPath(i)); err != nil {
			return err
		}
	}
	err := forEach(len(b.n.st.Validators), 2, func(i int) error {
		v := b.v(i)
		_, err := b.run("", "genesis", "gentx", v.Name, v.Bonded,
			"--chain-id", b.n.st.ChainID, "--moniker", v.Name,
			"--home", v.Home, "--keyring-dir", b.n.st.ClientHome, "--keyring-backend", "test",
			"--ip", "127.0.0.1", "--p2p-port", strconv.Itoa(v.Ports.P2P),
			"--output-document", filepath.Join(gentxDir, fmt.Sprintf("gentx-%d.json", i)))
		return err
	})
	if err != nil {
		return err
	}
	_, err = b.run("", "genesis", "collect-gentxs", "--home", b.v(0).Home)
	return err
}

// vrfKeys gives every validator its own VRF key file and registers each, with its
// proof of possession, in validator 0's genesis.
func (b *builder) vrfKeys() error {
	err := forEach(len(b.n.st.Validators), 2, func(i int) error {
		_, err := b.run("", "vrf", "init", "--home", b.v(i).Home)
		return err
	})
	if err != nil {
		return err
	}
	for i, v := range b.n.st.Validators {
		_, err := b.run("", "genesis", "add-vrf-key", v.Operator, "--home", b.v(0).Home,
			"--vrf-key-file", filepath.Join(v.Home, "config", "vrf_key.json"))
		if err != nil {
			return fmt.Errorf("validator %d: %w", i, err)
		}
	}
	return nil
}

func (b *builder) finishGenesis() error {
	if _, err := b.run("", "genesis", "validate", "--home", b.v(0).Home); err != nil {
		return err
	}
	for i := 1; i < len(b.n.st.Validators); i++ {
		if err := copyFile(b.genesisPath(0), b.genesisPath(i)); err != nil {
			return err
		}
	}
	return nil
}

// configs writes each node's ports, peers and config.yml overrides, and the client's
// client.toml.
func (b *builder) configs() error {
	for i := range b.n.st.Validators {
		v := b.v(i)
		tmpl := b.cfg.ValidatorTemplate(i)
		var peers []string
		for j := range b.n.st.Validators {
			if j != i {
				peers = append(peers, b.n.P2P(j))
			}
		}
		comet := DeepMerge(map[string]any{
			"proxy_app": fmt.Sprintf("tcp://127.0.0.1:%d", v.Ports.ABCI),
			"rpc": map[string]any{
				"laddr":       fmt.Sprintf("tcp://127.0.0.1:%d", v.Ports.RPC),
				"pprof_laddr": "",
			},
			"p2p": map[string]any{
				"laddr":              fmt.Sprintf("tcp://127.0.0.1:%d", v.Ports.P2P),
				"external_address":   fmt.Sprintf("127.0.0.1:%d", v.Ports.P2P),
				"persistent_peers":   strings.Join(peers, ","),
				"allow_duplicate_ip": true,
				"addr_book_strict":   false,
			},
		}, tmpl.Config)
		if err := PatchTOMLFile(filepath.Join(v.Home, "config", "config.toml"), comet); err != nil {
			return err
		}
		app := DeepMerge(map[string]any{
			"api":  map[string]any{"enable": true, "address": fmt.Sprintf("tcp://127.0.0.1:%d", v.Ports.API)},
			"grpc": map[string]any{"enable": true, "address": fmt.Sprintf("127.0.0.1:%d", v.Ports.GRPC)},
		}, tmpl.App)
		if err := PatchTOMLFile(filepath.Join(v.Home, "config", "app.toml"), app); err != nil {
			return err
		}
		// A client.toml in each validator home keeps commands run against it on its node.
		if err := b.writeClientConfig(v.Home, i, tmpl.Client); err != nil {
			return err
		}
	}
	return b.writeClientConfig(b.n.st.ClientHome, 0, b.cfg.Validators[0].Client)
}

func (b *builder) writeClientConfig(home string, node int, overrides map[string]any) error {
	path := filepath.Join(home, "config", "client.toml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// Any command with --home writes the default client.toml.
		if _, err := b.run("", "keys", "list", "--keyring-backend", "test", "--home", home); err != nil {
			return err
		}
	}
	return PatchTOMLFile(path, DeepMerge(map[string]any{
		"chain-id":        b.n.st.ChainID,
		"keyring-backend": "test",
		"node":            fmt.Sprintf("tcp://127.0.0.1:%d", b.v(node).Ports.RPC),
		"grpc-address":    fmt.Sprintf("127.0.0.1:%d", b.v(node).Ports.GRPC),
	}, overrides))
}

func copyFile(src, dst string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, raw, 0o644)
}
