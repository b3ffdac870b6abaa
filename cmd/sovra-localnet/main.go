// Command sovra-localnet starts, stops and reports on a local Sovra network built from
// config.yml (see internal/localnet). The nodes run detached: they outlive the command.
//
//	sovra-localnet start  [--validators N] [--home DIR] [--config config.yml] [--binary PATH] [--reset]
//	sovra-localnet stop   [--home DIR]
//	sovra-localnet status [--home DIR]
//	sovra-localnet add-node [--home DIR] [--name NAME] [--state-sync] [--validator KEY] [--stake COIN]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/sovra-network/sovra/internal/localnet"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sovra-localnet:", err)
		os.Exit(1)
	}
}

type options struct {
	validators int
	home       string
	config     string
	binary     string
	basePort   int
	reset      bool
	timeout    time.Duration
	// add-node
	name      string
	stateSync bool
	key       string
	stake     string
}

const usage = `usage: sovra-localnet start|stop|status|add-node [flags]

  start     initialize the network if its home holds none (or with --reset), start every
            validator (and every node added before) in the background and wait until
            all validators have committed height 2
  stop      stop every validator and added node of the network in --home
  status    print each node's process and height
  add-node  add a node to the running network as a new operator would join it: sovrad
            init, the network's genesis, the validators as peers, block sync (or state
            sync from the validators' snapshots with --state-sync); --validator KEY also
            creates and funds an operator key and writes validator.json; prints how to
            make the node a validator
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	verb := args[0]
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	var o options
	fs := flag.NewFlagSet("sovra-localnet "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.validators, "validators", 0, "number of validators (start; default 1, or the existing network's)")
	fs.StringVar(&o.home, "home", filepath.Join(wd, "build", "localnet"), "network home directory")
	fs.StringVar(&o.config, "config", "config.yml", "config.yml to build the network from (start)")
	fs.StringVar(&o.binary, "binary", "sovrad", "sovrad binary (start)")
	fs.IntVar(&o.basePort, "base-port", 0, "first port; validator i uses base+10i..+4 (start; 0 picks free ports)")
	fs.BoolVar(&o.reset, "reset", false, "stop and delete an existing network first (start)")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long start waits for blocks (add-node: for catching up)")
	fs.StringVar(&o.name, "name", "", "add-node: the node's moniker and directory (default node<N>)")
	fs.BoolVar(&o.stateSync, "state-sync", false, "add-node: start from the validators' latest state sync snapshot instead of replaying every block")
	fs.StringVar(&o.key, "validator", "", "add-node: create an operator key of this name in the node's home, fund it from the faucet and write validator.json")
	fs.StringVar(&o.stake, "stake", "", "add-node: self-delegation in validator.json (default: validator 0's bonded stake)")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.home, err = filepath.Abs(o.home); err != nil {
		return err
	}
	switch verb {
	case "start":
		return start(o, stdout, stderr)
	case "stop":
		return stop(o, stdout)
	case "status":
		return status(o, stdout)
	case "add-node":
		return addNode(o, stdout, stderr)
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", verb)
	}
}

func start(o options, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	net, err := localnet.Attach(o.home)
	switch {
	case err == nil && o.reset:
		if err := net.Stop(); err != nil {
			return err
		}
		if err := removeNetworkHome(o.home); err != nil {
			return err
		}
		net = nil
	case err == nil && o.validators > 0 && o.validators != net.NumValidators():
		return fmt.Errorf("%s holds a network of %d validators; use --reset to build one of %d",
			o.home, net.NumValidators(), o.validators)
	case err == nil:
		fmt.Fprintf(stderr, "sovra-localnet: restarting the existing network in %s\n", o.home)
	case errors.Is(err, localnet.ErrNoNetwork):
		if o.reset {
			if err := removeNetworkHome(o.home); err != nil {
				return err
			}
		}
		net = nil
	default:
		return err
	}

	if net == nil {
		cfg, err := localnet.LoadConfig(o.config)
		if err != nil {
			return err
		}
		net, err = localnet.Init(ctx, localnet.InitOptions{
			Binary: o.binary, Home: o.home, Validators: o.validators, BasePort: o.basePort,
			Config: cfg, Log: stderr,
		})
		if err != nil {
			return err
		}
	}
	net.SetDetached(true)
	fmt.Fprintf(stderr, "sovra-localnet: starting %d validator(s)\n", net.NumValidators())
	if err := net.Start(); err != nil {
		return err
	}
	// Height 2, then one block more: a restarted network is past 2 already and must be
	// seen producing blocks again.
	err = net.WaitForHeight(ctx, 2)
	if err == nil {
		var h int64
		if h, err = net.Height(ctx, 0); err == nil {
			err = net.WaitForHeight(ctx, h+1)
		}
	}
	if err != nil {
		_ = net.Stop()
		return fmt.Errorf("the network does not produce blocks (stopped it): %w", err)
	}
	printNetwork(stdout, net)
	return nil
}

// removeNetworkHome deletes a home only when it looks like a localnet home, so a wrong
// --home cannot wipe anything else.
func removeNetworkHome(home string) error {
	entries, err := os.ReadDir(home)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, marker := range []string{localnet.StateFile, "validator0"} {
		if _, err := os.Stat(filepath.Join(home, marker)); err == nil {
			return os.RemoveAll(home)
		}
	}
	return fmt.Errorf("refusing to delete %s: it does not look like a localnet home", home)
}

func stop(o options, stdout io.Writer) error {
	net, err := localnet.Attach(o.home)
	if err != nil {
		return err
	}
	if err := net.Stop(); err != nil {
		return err
	}
	joined := ""
	if k := net.NumJoined(); k > 0 {
		joined = fmt.Sprintf(" and %d added node(s)", k)
	}
	fmt.Fprintf(stdout, "stopped %d validator(s)%s of %s (data kept in %s)\n", net.NumValidators(), joined, net.ChainID(), o.home)
	return nil
}

func status(o options, stdout io.Writer) error {
	net, err := localnet.Attach(o.home)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "chain %s, home %s\n", net.ChainID(), o.home)
	fmt.Fprintln(tw, "#\tNAME\tPID\tHEIGHT\tPEERS\tRPC\tSTATE")
	for _, s := range net.Status(ctx) {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%s\t%s\n", s.Index, s.Name, s.PID, s.Height, s.Peers, net.RPC(s.Index), nodeState(s))
	}
	for _, s := range net.JoinedStatus(ctx) {
		fmt.Fprintf(tw, "+%d\t%s\t%d\t%d\t%d\t%s\t%s (added node)\n", s.Index, s.Name, s.PID, s.Height, s.Peers, net.JoinedRPC(s.Index), nodeState(s))
	}
	return tw.Flush()
}

// nodeState is a node's STATE column.
func nodeState(s localnet.NodeStatus) string {
	switch {
	case !s.Running:
		return "stopped"
	case s.Err != nil:
		return "rpc error: " + s.Err.Error()
	case s.CatchingUp:
		return "catching up"
	}
	return "running"
}

func printNetwork(w io.Writer, net *localnet.Network) {
	fmt.Fprintf(w, "Sovra localnet %q is running: %d validator(s), home %s\n\n", net.ChainID(), net.NumValidators(), net.Home())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNAME\tRPC\tREST\tGRPC\tLOG")
	for i, v := range net.Validators() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i, v.Name, net.RPC(i), net.API(i), net.GRPC(i), net.NodeLog(i))
	}
	for i, node := range net.JoinedNodes() {
		fmt.Fprintf(tw, "+%d\t%s\t%s\t%s\t%s\t%s\n", i, node.Name, net.JoinedRPC(i), net.JoinedAPI(i),
			fmt.Sprintf("127.0.0.1:%d", node.Ports.GRPC), net.JoinedLog(i))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nChain id: %s\nClient home: %s (keyring-backend test; its client.toml points at validator 0)\n",
		net.ChainID(), net.ClientHome())
	fmt.Fprintf(w, "  e.g. %s q bank balances %s --home %s\n\nAccounts:\n", net.Binary(), net.AccountAddress(firstAccount(net)), net.ClientHome())
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range net.Accounts() {
		fmt.Fprintf(tw, "  %s\t%s\n", a.Name, a.Address)
	}
	for _, v := range net.Validators() {
		fmt.Fprintf(tw, "  %s\t%s\t(validator %s)\n", v.Name, v.Address, v.Operator)
	}
	_ = tw.Flush()
	if f := net.Faucet(); f != "" {
		fmt.Fprintf(w, "Faucet account: %s\n", f)
	}
	fmt.Fprintf(w, "\nStop with: scripts/localnet.sh stop --home %s\n", net.Home())
}

func firstAccount(net *localnet.Network) string {
	if accs := net.Accounts(); len(accs) > 0 {
		return accs[0].Name
	}
	return net.Validator(0).Name
}
