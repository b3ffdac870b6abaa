package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cosmossdk.io/math"
	"github.com/cometbft/cometbft/p2p"
	"github.com/pelletier/go-toml/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// NodeInfo describes a node added to a running network by AddNode: a full node that
// joins by block sync or state sync, as a new node joins any Cosmos chain, and that its
// operator may then turn into a validator (create-validator, vrf init,
// register-vrf-key).
type NodeInfo struct {
	// Name is the node's moniker and the name of its home under the network's home.
	Name   string `json:"name"`
	Home   string `json:"home"`
	NodeID string `json:"node_id"`
	Ports  Ports  `json:"ports"`
	// StateSync is set when the node was configured to start from a snapshot.
	StateSync bool `json:"state_sync,omitempty"`
	// Key is the operator key's name in the node home's keyring (keyring-backend
	// test); "" when AddNode created none. Address and Operator are its addresses.
	Key      string `json:"key,omitempty"`
	Address  string `json:"address,omitempty"`
	Operator string `json:"operator,omitempty"`
	// ValidatorFile is the JSON file for `tx staking create-validator` that AddNode
	// wrote with the node's consensus key ("" without Key).
	ValidatorFile string `json:"validator_file,omitempty"`
	// PID is the process id of the running sovrad start, 0 when stopped.
	PID int `json:"pid"`
}

// AddNodeOptions configure AddNode.
type AddNodeOptions struct {
	// Name is the moniker and home directory name (default node<N>, N the number of
	// nodes of the network so far).
	Name string
	// StateSync configures [statesync]: the node restores the newest snapshot the
	// validators serve (rpc_servers: two running validators; trust height and hash:
	// the latest block of a running validator), then follows by block sync. Without
	// it the node replays every block from genesis.
	StateSync bool
	// Key, when set, creates an operator key of that name in the node home's keyring,
	// funds it from the network's faucet account and writes
	// <home>/config/validator.json for create-validator. Nothing is sent on chain
	// beyond the funding: the operator runs create-validator when the node has caught
	// up.
	Key string
	// Stake is validator.json's self-delegation (default: validator 0's bonded stake).
	Stake string
	// Fund is what the faucet sends to the key (default: Stake plus 10,000,000 of the
	// bond denom for fees).
	Fund string
	// Log receives one line per step (nil: silent).
	Log io.Writer
}

// nodeName is what AddNode accepts as a name: it becomes a directory and a moniker.
var nodeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)

// AddNode adds a node to the running network, as a new operator joins a chain: `sovrad
// init` in a new home under the network's home, the network's genesis, the running
// validators as persistent peers, free loopback ports, state sync when asked; then it
// starts the node (managed like the validators: Stop stops it too) and returns its
// index among the joined nodes. It does not wait for the node to catch up
// (WaitJoinedCaughtUp).
func (n *Network) AddNode(ctx context.Context, opts AddNodeOptions) (int, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	j := &joiner{n: n, ctx: ctx, opts: opts, log: opts.Log}
	if err := j.plan(); err != nil {
		return 0, err
	}
	if err := os.Mkdir(j.node.Home, 0o755); err != nil {
		return 0, fmt.Errorf("localnet: node home: %w", err)
	}
	for _, step := range []struct {
		what string
		fn   func() error
	}{
		{"sovrad init " + j.node.Name + " and copy the network's genesis", j.initHome},
		{"write config.toml (ports, persistent peers, state sync) and app.toml", j.configs},
		{"create and fund the operator key", j.operatorKey},
	} {
		fmt.Fprintf(j.log, "localnet: %s\n", step.what)
		if err := step.fn(); err != nil {
			_ = os.RemoveAll(j.node.Home)
			return 0, fmt.Errorf("localnet: add node %s: %s: %w", j.node.Name, step.what, err)
		}
	}

	n.mu.Lock()
	n.st.Nodes = append(n.st.Nodes, j.node)
	idx := len(n.st.Nodes) - 1
	err := n.saveLocked()
	n.mu.Unlock()
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(j.log, "localnet: start %s\n", j.node.Name)
	return idx, n.StartJoined(idx)
}

// joiner carries AddNode's steps.
type joiner struct {
	n    *Network
	ctx  context.Context
	opts AddNodeOptions
	log  io.Writer
	node NodeInfo
	// running are the validators whose processes are alive: the peers and the state
	// sync servers.
	running []int
	v0Home  string
}

func (j *joiner) run(stdin string, args ...string) (string, error) {
	return runBinary(j.ctx, j.n.st.Binary, j.n.home, stdin, args...)
}

// plan picks the name, home and ports, and checks that the network runs.
func (j *joiner) plan() error {
	n := j.n
	n.mu.Lock()
	vals := append([]ValidatorInfo(nil), n.st.Validators...)
	joined := append([]NodeInfo(nil), n.st.Nodes...)
	n.mu.Unlock()
	for i := range vals {
		if n.Running(i) {
			j.running = append(j.running, i)
		}
	}
	if len(j.running) == 0 {
		return fmt.Errorf("localnet: no validator of %s is running; start the network first", n.home)
	}
	j.v0Home = vals[0].Home

	k := len(vals) + len(joined) // this node's number among all the network's nodes
	name := j.opts.Name
	if name == "" {
		name = "node" + strconv.Itoa(k)
	}
	if !nodeName.MatchString(name) {
		return fmt.Errorf("localnet: node name %q: letters, digits, - and _ only (at most 40)", name)
	}
	taken := map[string]bool{"client": true}
	for _, v := range vals {
		taken[v.Name], taken[filepath.Base(v.Home)] = true, true
	}
	for _, x := range joined {
		taken[x.Name] = true
	}
	for _, a := range n.st.Accounts {
		taken[a.Name] = true
	}
	if taken[name] {
		return fmt.Errorf("localnet: the name %q is taken in this network", name)
	}
	if j.opts.Key != "" && taken[j.opts.Key] {
		return fmt.Errorf("localnet: the key name %q is taken in this network", j.opts.Key)
	}
	home := filepath.Join(n.home, name)
	if _, err := os.Stat(home); err == nil {
		return fmt.Errorf("localnet: %s exists already", home)
	}

	// The network's port layout (node k at BasePort+10k) when that block is free, any
	// free loopback ports otherwise.
	ports := PortsFor(n.st.BasePort, k)
	if n.st.BasePort == 0 || !portsFree(ports.RPC, 1) {
		free, err := FreePorts(portsPerNode)
		if err != nil {
			return err
		}
		ports = Ports{RPC: free[0], P2P: free[1], GRPC: free[2], API: free[3], ABCI: free[4]}
	}
	j.node = NodeInfo{Name: name, Home: home, Ports: ports, StateSync: j.opts.StateSync}
	return nil
}

func (j *joiner) initHome() error {
	if _, err := j.run("", "init", j.node.Name, "--chain-id", j.n.st.ChainID,
		"--default-denom", j.n.st.BondDenom, "--home", j.node.Home); err != nil {
		return err
	}
	key, err := p2p.LoadNodeKey(filepath.Join(j.node.Home, "config", "node_key.json"))
	if err != nil {
		return err
	}
	j.node.NodeID = string(key.ID())
	return copyFile(filepath.Join(j.v0Home, "config", "genesis.json"), filepath.Join(j.node.Home, "config", "genesis.json"))
}

// configs writes the node's config.toml, app.toml and client.toml. Consensus timeouts,
// minimum gas prices and snapshot settings are the validators' (validator 0's files).
func (j *joiner) configs() error {
	n, node := j.n, &j.node
	v0Comet, err := readTOML(filepath.Join(j.v0Home, "config", "config.toml"))
	if err != nil {
		return err
	}
	v0App, err := readTOML(filepath.Join(j.v0Home, "config", "app.toml"))
	if err != nil {
		return err
	}
	var peers []string
	for _, i := range j.running {
		peers = append(peers, n.P2P(i))
	}
	comet := map[string]any{
		"proxy_app": fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.ABCI),
		"rpc": map[string]any{
			"laddr":       fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.RPC),
			"pprof_laddr": "",
		},
		"p2p": map[string]any{
			"laddr":              fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.P2P),
			"external_address":   fmt.Sprintf("127.0.0.1:%d", node.Ports.P2P),
			"persistent_peers":   strings.Join(peers, ","),
			"allow_duplicate_ip": true,
			"addr_book_strict":   false,
		},
	}
	if cons, ok := asMap(v0Comet["consensus"]); ok {
		comet["consensus"] = cons
	}
	if j.opts.StateSync {
		ss, err := j.stateSync(v0App)
		if err != nil {
			return err
		}
		comet["statesync"] = ss
	}
	if err := PatchTOMLFile(filepath.Join(node.Home, "config", "config.toml"), comet); err != nil {
		return err
	}

	app := map[string]any{
		"api":  map[string]any{"enable": true, "address": fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.API)},
		"grpc": map[string]any{"enable": true, "address": fmt.Sprintf("127.0.0.1:%d", node.Ports.GRPC)},
	}
	if gas, ok := v0App["minimum-gas-prices"]; ok {
		app["minimum-gas-prices"] = gas
	}
	if ss, ok := asMap(v0App["state-sync"]); ok {
		app["state-sync"] = ss // the joined node serves snapshots too
	}
	if err := PatchTOMLFile(filepath.Join(node.Home, "config", "app.toml"), app); err != nil {
		return err
	}

	// client.toml: commands run with --home <node home> go to this node.
	path := filepath.Join(node.Home, "config", "client.toml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if _, err := j.run("", "keys", "list", "--keyring-backend", "test", "--home", node.Home); err != nil {
			return err
		}
	}
	return PatchTOMLFile(path, map[string]any{
		"chain-id":        n.st.ChainID,
		"keyring-backend": "test",
		"node":            fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.RPC),
	})
}

// stateSync builds [statesync]: two running validators' RPC as light client servers
// (the same one twice when only one runs: CometBFT wants two entries), and as trust
// root the latest block of the first running validator.
func (j *joiner) stateSync(v0App map[string]any) (map[string]any, error) {
	n := j.n
	interval := int64(0)
	if ss, ok := asMap(v0App["state-sync"]); ok {
		interval, _ = ss["snapshot-interval"].(int64)
	}
	if interval <= 0 {
		return nil, fmt.Errorf("the validators take no state sync snapshots (app.toml [state-sync] snapshot-interval = 0 in %s): set it (config.yml validators[].app) and restart the network, or join by block sync", j.v0Home)
	}
	servers := []string{n.RPC(j.running[0]), n.RPC(j.running[len(j.running)-1])}
	if len(j.running) > 2 {
		servers[1] = n.RPC(j.running[1])
	}
	trust, err := latestBlock(j.ctx, n.RPC(j.running[0]))
	if err != nil {
		return nil, fmt.Errorf("trust height and hash from %s: %w", n.RPC(j.running[0]), err)
	}
	fmt.Fprintf(j.log, "localnet: state sync: trust height %d, hash %s (from %s); snapshots every %d blocks\n",
		trust.Height, trust.Hash, n.RPC(j.running[0]), interval)
	if trust.Height < interval {
		fmt.Fprintf(j.log, "localnet: no snapshot yet: the node waits for the first one, at height %d\n", interval)
	}
	return map[string]any{
		"enable":         true,
		"rpc_servers":    strings.Join(servers, ","),
		"trust_height":   trust.Height,
		"trust_hash":     trust.Hash,
		"trust_period":   "168h0m0s",
		"discovery_time": "5s",
	}, nil
}

// operatorKey creates the operator key, funds it from the faucet and writes
// validator.json (only with opts.Key).
func (j *joiner) operatorKey() error {
	if j.opts.Key == "" {
		return nil
	}
	n, node := j.n, &j.node
	stake := j.opts.Stake
	if stake == "" {
		stake = n.Validator(0).Bonded
	}
	stakeCoin, err := sdk.ParseCoinNormalized(stake)
	if err != nil || !stakeCoin.IsPositive() {
		return fmt.Errorf("stake %q must be one positive coin such as 100000000%s", stake, n.st.BondDenom)
	}
	fund := j.opts.Fund
	if fund == "" {
		fund = stakeCoin.Add(sdk.NewCoin(stakeCoin.Denom, math.NewInt(10_000_000))).String()
	}
	faucet := n.st.Faucet
	if faucet == "" && len(n.st.Accounts) > 0 {
		faucet = n.st.Accounts[0].Name
	}
	if faucet == "" {
		return errors.New("the network has no faucet account to fund the key from")
	}

	out, err := j.run("", "keys", "add", j.opts.Key, "--keyring-backend", "test", "--home", node.Home, "--output", "json")
	if err != nil {
		return err
	}
	var k keyOutput
	if err := firstJSONObject(out, &k); err != nil {
		return fmt.Errorf("keys add %s: %w", j.opts.Key, err)
	}
	_, raw, err := bech32.DecodeAndConvert(k.Address)
	if err != nil {
		return fmt.Errorf("address %s: %w", k.Address, err)
	}
	prefix := strings.SplitN(k.Address, "1", 2)[0]
	if node.Operator, err = bech32.ConvertAndEncode(prefix+"valoper", raw); err != nil {
		return err
	}
	node.Key, node.Address = j.opts.Key, k.Address
	// Mnemonic beside the keyring, as `keys add` printed it (a test keyring: no secret).
	if err := os.WriteFile(filepath.Join(node.Home, "config", "operator_mnemonic.txt"), []byte(k.Mnemonic+"\n"), 0o600); err != nil {
		return err
	}

	cli := n.Client()
	if _, err := cli.Tx("bank", "send", faucet, k.Address, fund); err != nil {
		return fmt.Errorf("fund %s from %s: %w", k.Address, faucet, err)
	}
	fmt.Fprintf(j.log, "localnet: key %s (%s) funded with %s from %s\n", j.opts.Key, k.Address, fund, faucet)

	pub, err := j.run("", "comet", "show-validator", "--home", node.Home)
	if err != nil {
		return err
	}
	doc := map[string]any{
		"pubkey":                     json.RawMessage(strings.TrimSpace(pub)),
		"amount":                     stakeCoin.String(),
		"moniker":                    node.Name,
		"commission-rate":            "0.1",
		"commission-max-rate":        "0.2",
		"commission-max-change-rate": "0.01",
		"min-self-delegation":        "1",
	}
	rawDoc, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	node.ValidatorFile = filepath.Join(node.Home, "config", "validator.json")
	return os.WriteFile(node.ValidatorFile, append(rawDoc, '\n'), 0o644)
}

// blockRef is a height and its block hash.
type blockRef struct {
	Height int64
	Hash   string
}

// latestBlock reads the latest block's height and hash from a CometBFT RPC.
func latestBlock(ctx context.Context, rpc string) (blockRef, error) {
	var res struct {
		BlockID struct {
			Hash string `json:"hash"`
		} `json:"block_id"`
		Block struct {
			Header struct {
				Height flexInt `json:"height"`
			} `json:"header"`
		} `json:"block"`
	}
	if err := rpcGet(ctx, rpc+"/block", &res); err != nil {
		return blockRef{}, err
	}
	if res.BlockID.Hash == "" || res.Block.Header.Height <= 0 {
		return blockRef{}, errors.New("no block yet")
	}
	return blockRef{Height: int64(res.Block.Header.Height), Hash: res.BlockID.Hash}, nil
}

func readTOML(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := toml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return m, nil
}

// NumJoined is the number of nodes added by AddNode.
func (n *Network) NumJoined() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.st.Nodes)
}

// Joined returns joined node i's description.
func (n *Network) Joined(i int) NodeInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.st.Nodes[i]
}

// JoinedNodes returns every joined node's description.
func (n *Network) JoinedNodes() []NodeInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]NodeInfo(nil), n.st.Nodes...)
}

// JoinedRPC is joined node i's CometBFT RPC URL.
func (n *Network) JoinedRPC(i int) string {
	return "http://127.0.0.1:" + strconv.Itoa(n.Joined(i).Ports.RPC)
}

// JoinedAPI is joined node i's REST URL.
func (n *Network) JoinedAPI(i int) string {
	return "http://127.0.0.1:" + strconv.Itoa(n.Joined(i).Ports.API)
}

// JoinedLog is the path of joined node i's log file.
func (n *Network) JoinedLog(i int) string { return nodeLogIn(n.Joined(i).Home) }

// JoinedLogTail returns the last size bytes of joined node i's log.
func (n *Network) JoinedLogTail(i, size int) string {
	raw, err := os.ReadFile(n.JoinedLog(i))
	if err != nil {
		return err.Error()
	}
	return tail(string(raw), size)
}

// StartJoined starts joined node i (nothing when it runs).
func (n *Network) StartJoined(i int) error { return n.startMember(member{joined: true, i: i}) }

// StopJoined stops joined node i as StopNode stops a validator.
func (n *Network) StopJoined(i int) error { return n.stopMember(member{joined: true, i: i}) }

// JoinedRunning reports whether joined node i's process is alive.
func (n *Network) JoinedRunning(i int) bool { return n.memberRunning(member{joined: true, i: i}) }

// SyncInfo is a node's sync state from its RPC /status.
type SyncInfo struct {
	Height         int64 // latest committed height
	EarliestHeight int64 // first block it stores (above 1 after state sync)
	AppHash        string
	CatchingUp     bool
}

// NodeSyncInfo reads a node's /status.
func NodeSyncInfo(ctx context.Context, rpc string) (SyncInfo, error) {
	var st struct {
		SyncInfo struct {
			Latest     flexInt `json:"latest_block_height"`
			Earliest   flexInt `json:"earliest_block_height"`
			AppHash    string  `json:"latest_app_hash"`
			CatchingUp bool    `json:"catching_up"`
		} `json:"sync_info"`
	}
	if err := rpcGet(ctx, rpc+"/status", &st); err != nil {
		return SyncInfo{}, err
	}
	s := st.SyncInfo
	return SyncInfo{Height: int64(s.Latest), EarliestHeight: int64(s.Earliest), AppHash: s.AppHash, CatchingUp: s.CatchingUp}, nil
}

// WaitJoinedCaughtUp waits until joined node i no longer catches up (block sync or
// state sync done) and has committed height minHeight, and returns its sync state. A
// node that exits ends the wait with its log's tail.
func (n *Network) WaitJoinedCaughtUp(ctx context.Context, i int, minHeight int64) (SyncInfo, error) {
	var last SyncInfo
	var lastErr error
	for {
		if !n.JoinedRunning(i) {
			return last, fmt.Errorf("localnet: joined node %d exited; log tail:\n%s", i, n.JoinedLogTail(i, 3000))
		}
		s, err := NodeSyncInfo(ctx, n.JoinedRPC(i))
		if err == nil && !s.CatchingUp && s.Height >= minHeight {
			return s, nil
		}
		if err == nil {
			last = s
		}
		lastErr = err
		if !sleepCtx(ctx) {
			return last, fmt.Errorf("localnet: joined node %d at height %d (catching up %v), waiting for %d: %w (last RPC error: %w); log tail:\n%s",
				i, last.Height, last.CatchingUp, minHeight, ctx.Err(), lastErr, n.JoinedLogTail(i, 3000))
		}
	}
}

// JoinedStatus reports every joined node's process, height and peers, as Status does
// for the validators (Index is the joined node's index).
func (n *Network) JoinedStatus(ctx context.Context) []NodeStatus {
	nodes := n.JoinedNodes()
	out := make([]NodeStatus, len(nodes))
	for i, node := range nodes {
		s := NodeStatus{Index: i, Name: node.Name, PID: node.PID, Running: n.JoinedRunning(i)}
		if !s.Running {
			s.PID = 0
		}
		rpc := n.JoinedRPC(i)
		if si, err := NodeSyncInfo(ctx, rpc); err != nil {
			s.Err = err
		} else {
			s.Height, s.CatchingUp = si.Height, si.CatchingUp
			var ni struct {
				NPeers flexInt `json:"n_peers"`
			}
			if rpcGet(ctx, rpc+"/net_info", &ni) == nil {
				s.Peers = int(ni.NPeers)
			}
		}
		out[i] = s
	}
	return out
}

// sleepCtx waits a poll interval; false when ctx ended first.
func sleepCtx(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(200 * time.Millisecond):
		return true
	}
}
