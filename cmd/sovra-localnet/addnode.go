package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/sovra-network/sovra/internal/localnet"
)

// addNode adds a node to the running network (localnet.AddNode), waits until it has
// caught up, and prints what it did and the commands that make it a validator.
func addNode(o options, stdout, stderr io.Writer) error {
	net, err := localnet.Attach(o.home)
	if err != nil {
		return err
	}
	net.SetDetached(true)
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	idx, err := net.AddNode(ctx, localnet.AddNodeOptions{
		Name: o.name, StateSync: o.stateSync, Key: o.key, Stake: o.stake, Log: stderr,
	})
	if err != nil {
		return err
	}
	node := net.Joined(idx)
	how := "block sync (replaying every block from genesis)"
	if node.StateSync {
		how = "state sync (the validators' latest snapshot), then block sync"
	}
	fmt.Fprintf(stderr, "sovra-localnet: %s started; waiting until it has caught up by %s\n", node.Name, how)
	top, err := net.Height(ctx, 0)
	if err != nil {
		return err
	}
	start := time.Now()
	si, err := net.WaitJoinedCaughtUp(ctx, idx, top)
	if err != nil {
		return fmt.Errorf("%w\n(the node keeps running; stop it with scripts/localnet.sh stop --home %s)", err, net.Home())
	}
	printJoined(stdout, net, node, si, time.Since(start))
	return nil
}

func printJoined(w io.Writer, net *localnet.Network, node localnet.NodeInfo, si localnet.SyncInfo, took time.Duration) {
	rpc := fmt.Sprintf("http://127.0.0.1:%d", node.Ports.RPC)
	bin := net.Binary()
	home := node.Home
	fmt.Fprintf(w, "Node %s joined %s: height %d after %s, blocks stored from height %d", node.Name, net.ChainID(),
		si.Height, took.Round(time.Second), si.EarliestHeight)
	if node.StateSync {
		fmt.Fprint(w, " (state sync)")
	}
	fmt.Fprintf(w, "\n  home      %s (genesis copied from validator 0; config.toml: persistent_peers = the running validators", home)
	if node.StateSync {
		fmt.Fprint(w, ", [statesync] enabled with trust height and hash from validator 0")
	}
	fmt.Fprintf(w, ")\n  node id   %s\n  rpc       %s\n  p2p       127.0.0.1:%d\n  grpc      127.0.0.1:%d\n  rest      http://127.0.0.1:%d\n  log       %s\n\n",
		node.NodeID, rpc, node.Ports.P2P, node.Ports.GRPC, node.Ports.API, filepath.Join(home, "node.log"))

	key := node.Key
	fmt.Fprintln(w, "Make it a validator (each command on this node, --home selects it; see README, \"Join the testnet\"):")
	if key == "" {
		key = "operator"
		fmt.Fprintf(w, "  %s keys add %s --keyring-backend test --home %s\n", bin, key, home)
		fmt.Fprintf(w, "  %s tx bank send %s <address of %s> 110000000%s --home %s --yes   # fund it from the faucet\n",
			bin, faucetName(net), key, net.BondDenom(), net.ClientHome())
		fmt.Fprintf(w, "  %s comet show-validator --home %s   # the pubkey for validator.json (README shows the file)\n", bin, home)
	} else {
		fmt.Fprintf(w, "  # done: key %s (%s, operator %s) funded from %s; %s written\n",
			key, node.Address, node.Operator, faucetName(net), node.ValidatorFile)
	}
	file := node.ValidatorFile
	if file == "" {
		file = filepath.Join(home, "config", "validator.json")
	}
	fmt.Fprintf(w, "  %s tx staking create-validator %s --from %s --home %s --gas auto --gas-adjustment 1.5 --yes\n", bin, file, key, home)
	fmt.Fprintf(w, "  %s vrf init --home %s                      # the node loads the key without a restart\n", bin, home)
	fmt.Fprintf(w, "  %s tx beacon register-vrf-key --from %s --home %s --yes\n", bin, key, home)
	fmt.Fprintf(w, "  %s vrf status --home %s                    # ready when its proposals carry VRF proofs\n", bin, home)
	fmt.Fprintf(w, "\nStop it with the network: scripts/localnet.sh stop --home %s\n", net.Home())
}

func faucetName(net *localnet.Network) string {
	if f := net.Faucet(); f != "" {
		return f
	}
	return firstAccount(net)
}
