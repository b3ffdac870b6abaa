package localnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// StateFile is the file in a network's home that records it, so that another process
// can Attach to it.
const StateFile = "localnet.json"

// ErrNoNetwork is returned by Attach when a home holds no network.
var ErrNoNetwork = errors.New("no local network in this home")

// ValidatorInfo describes one validator of a network.
type ValidatorInfo struct {
	// Name is the moniker and the validator's key name in the client home.
	Name string `json:"name"`
	// Home is the node's --home.
	Home     string `json:"home"`
	Address  string `json:"address"`  // account address (sovra1...)
	Operator string `json:"operator"` // operator address (sovravaloper1...)
	NodeID   string `json:"node_id"`
	Bonded   string `json:"bonded"`
	Ports    Ports  `json:"ports"`
	// PID is the process id of the running sovrad start, 0 when stopped.
	PID int `json:"pid"`
}

// AccountInfo is one config.yml account whose key is in the client home.
type AccountInfo struct {
	Name     string   `json:"name"`
	Address  string   `json:"address"`
	Coins    []string `json:"coins"`
	Mnemonic string   `json:"mnemonic,omitempty"`
}

// state is what StateFile holds.
type state struct {
	ChainID    string          `json:"chain_id"`
	Binary     string          `json:"binary"`
	BondDenom  string          `json:"bond_denom"`
	BasePort   int             `json:"base_port"`
	ClientHome string          `json:"client_home"`
	Faucet     string          `json:"faucet,omitempty"`
	Validators []ValidatorInfo `json:"validators"`
	Accounts   []AccountInfo   `json:"accounts"`
	// Nodes are the nodes added to the running network by AddNode.
	Nodes []NodeInfo `json:"nodes,omitempty"`
}

// Network is a local network: its homes, keys, ports and processes. Its methods are
// safe for concurrent use.
type Network struct {
	mu       sync.Mutex
	home     string
	st       state
	detached bool
	procs    map[int]*process // validator processes this value started
	// joinedProcs are the joined nodes' processes this value started.
	joinedProcs map[int]*process
}

// Attach opens the network recorded in home (by Init, possibly in another process).
// Processes started through an attached network are detached: they outlive the caller.
func Attach(home string) (*Network, error) {
	abs, err := filepath.Abs(home)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(abs, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoNetwork, abs)
	}
	if err != nil {
		return nil, err
	}
	n := &Network{home: abs, detached: true, procs: map[int]*process{}}
	if err := json.Unmarshal(raw, &n.st); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(abs, StateFile), err)
	}
	if len(n.st.Validators) == 0 {
		return nil, fmt.Errorf("%s lists no validators", filepath.Join(abs, StateFile))
	}
	return n, nil
}

// SetDetached chooses whether nodes started from now on outlive this process (true:
// for a command that starts a network and exits) or are killed when it dies (false,
// the default after Init: a test that crashes leaves no nodes behind).
func (n *Network) SetDetached(detached bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.detached = detached
}

// saveLocked writes the state file atomically. Callers hold n.mu.
func (n *Network) saveLocked() error {
	raw, err := json.MarshalIndent(n.st, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(n.home, StateFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Home is the network's root directory.
func (n *Network) Home() string { return n.home }

// Binary is the sovrad binary the network runs.
func (n *Network) Binary() string { return n.st.Binary }

// ChainID is the network's chain id.
func (n *Network) ChainID() string { return n.st.ChainID }

// BondDenom is the staking denom (usovra).
func (n *Network) BondDenom() string { return n.st.BondDenom }

// ClientHome holds every account's and validator's key (keyring-backend test) and a
// client.toml pointing at validator 0: `sovrad --home $(ClientHome) ...`.
func (n *Network) ClientHome() string { return n.st.ClientHome }

// NumValidators is the number of validators.
func (n *Network) NumValidators() int { return len(n.st.Validators) }

// Validator returns validator i's description.
func (n *Network) Validator(i int) ValidatorInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.st.Validators[i]
}

// Validators returns every validator's description.
func (n *Network) Validators() []ValidatorInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]ValidatorInfo(nil), n.st.Validators...)
}

// Accounts returns the config.yml accounts with their addresses and mnemonics.
func (n *Network) Accounts() []AccountInfo {
	return append([]AccountInfo(nil), n.st.Accounts...)
}

// AccountAddress is the address of a config.yml account or of a validator's key (by
// its name), or "" when no key has that name.
func (n *Network) AccountAddress(name string) string {
	for _, a := range n.st.Accounts {
		if a.Name == name {
			return a.Address
		}
	}
	for _, v := range n.st.Validators {
		if v.Name == name {
			return v.Address
		}
	}
	return ""
}

// KeyNames lists every key in the client home (accounts, then validators).
func (n *Network) KeyNames() []string {
	var names []string
	for _, a := range n.st.Accounts {
		names = append(names, a.Name)
	}
	for _, v := range n.st.Validators {
		names = append(names, v.Name)
	}
	return names
}

// Faucet is the name of the faucet account from config.yml ("" when none).
func (n *Network) Faucet() string { return n.st.Faucet }

// RPC is validator i's CometBFT RPC URL (http://127.0.0.1:port), usable as --node.
func (n *Network) RPC(i int) string {
	return "http://127.0.0.1:" + strconv.Itoa(n.st.Validators[i].Ports.RPC)
}

// GRPC is validator i's gRPC address (127.0.0.1:port).
func (n *Network) GRPC(i int) string {
	return "127.0.0.1:" + strconv.Itoa(n.st.Validators[i].Ports.GRPC)
}

// API is validator i's REST (gRPC-gateway) URL.
func (n *Network) API(i int) string {
	return "http://127.0.0.1:" + strconv.Itoa(n.st.Validators[i].Ports.API)
}

// P2P is validator i's peer address (nodeid@127.0.0.1:port).
func (n *Network) P2P(i int) string {
	v := n.st.Validators[i]
	return v.NodeID + "@127.0.0.1:" + strconv.Itoa(v.Ports.P2P)
}

// NodeLog is the path of validator i's log file.
func (n *Network) NodeLog(i int) string {
	return nodeLogIn(n.st.Validators[i].Home)
}

func (n *Network) pidFile(i int) string {
	return pidFileIn(n.st.Validators[i].Home)
}

// nodeLogIn and pidFileIn are a node's log and pid file in its home.
func nodeLogIn(home string) string { return filepath.Join(home, "node.log") }

func pidFileIn(home string) string { return filepath.Join(home, "sovrad.pid") }
