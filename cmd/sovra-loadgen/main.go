// Command sovra-loadgen measures the committed-transaction throughput of one or more
// message kinds against a running sovrad node (see package internal/loadgen).
//
//	sovra-loadgen --node http://127.0.0.1:26657 --home ~/.sovra --funder alice \
//	    --kind send,submit-job --provider-key provider1 -n 2000 -k 8
//
// It prints one summary line per kind, or with --json one JSON Result per line on stdout
// (the summary then goes to stderr).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sovra-network/sovra/internal/loadgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sovra-loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sovra-loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o loadgen.Options
	var kinds string
	var asJSON, quiet, strict bool
	fs.StringVar(&o.RPC, "node", "http://127.0.0.1:26657", "CometBFT RPC URL")
	fs.StringVar(&o.GRPC, "grpc", "", "gRPC address host:port for queries (default: ABCI queries through --node)")
	fs.StringVar(&o.ChainID, "chain-id", "", "chain id (default: the node's)")
	fs.StringVar(&o.Denom, "denom", "usovra", "denom of funding and job fees")
	fs.StringVar(&kinds, "kind", "send", "message kind(s), comma-separated, run in order: send, submit-job")
	fs.IntVar(&o.Count, "n", 1000, "transactions per kind")
	fs.IntVar(&o.Concurrency, "k", 4, "accounts, one broadcasting goroutine each")
	fs.StringVar(&o.Seed, "seed", loadgen.DefaultSeed, "seed of the deterministic load accounts")
	fs.StringVar(&o.KeyringDir, "home", "", "keyring directory (--home) of the funder and provider keys")
	fs.StringVar(&o.KeyringBackend, "keyring-backend", "test", "keyring backend")
	fs.StringVar(&o.FunderKey, "funder", "", "key that tops up the load accounts")
	fs.Int64Var(&o.FundAmount, "fund-amount", 0, "balance each load account is topped up to (0: enough for its share)")
	fs.Int64Var(&o.SendAmount, "send-amount", 1, "amount of each send")
	fs.StringVar(&o.ModelID, "model", "demo-tiny", "model of the jobs")
	fs.StringVar(&o.Prompt, "prompt", "loadgen", "prompt of every job")
	fs.Uint64Var(&o.MaxOutputTokens, "max-output-tokens", 16, "max output tokens of every job")
	fs.Int64Var(&o.MaxFee, "max-fee", 0, "max fee of every job (0: the cheapest provider's price for the job)")
	fs.Uint64Var(&o.DeadlineBlocks, "deadline-blocks", 0, "deadline of every job (0: the chain's maximum)")
	fs.StringVar(&o.ProviderKey, "provider-key", "", "key that registers a provider for --model when none is active")
	fs.Uint64Var(&o.GasLimit, "gas", 0, "gas limit per tx (0: simulate once per kind)")
	fs.Float64Var(&o.GasAdjustment, "gas-adjustment", 1.5, "multiplier of the simulated gas")
	fs.DurationVar(&o.CommitTimeout, "commit-timeout", 0, "wait for accepted txs to be in blocks after the last broadcast (default 60s)")
	fs.BoolVar(&asJSON, "json", false, "print each Result as one JSON line on stdout")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	fs.BoolVar(&strict, "strict", false, "exit 1 unless every tx was committed with code 0")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sovra-loadgen [flags]\n\nMeasures committed tx/s of one message kind against a running sovrad node.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !quiet {
		o.Log = stderr
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var incomplete []string
	totals := map[loadgen.Kind]*total{}
	for _, k := range strings.Split(kinds, ",") {
		opts := o
		opts.Kind = loadgen.Kind(strings.TrimSpace(k))
		res, err := loadgen.Run(ctx, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", opts.Kind, err)
		}
		if asJSON {
			raw, err := json.Marshal(res)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, string(raw))
			fmt.Fprintln(stderr, res.Summary())
		} else {
			fmt.Fprintln(stdout, res.Summary())
		}
		t := totals[res.Kind]
		if t == nil {
			t = &total{}
			totals[res.Kind] = t
		}
		t.committed += res.Committed
		t.seconds += res.Seconds
		if res.Committed < res.Requested {
			incomplete = append(incomplete, fmt.Sprintf("%s: %d of %d committed", res.Kind, res.Committed, res.Requested))
		}
	}
	printComparison(stdout, totals)
	if strict && len(incomplete) > 0 {
		return fmt.Errorf("not every tx was committed with code 0: %s", strings.Join(incomplete, "; "))
	}
	return nil
}

// total accumulates the rounds of one kind.
type total struct {
	committed int
	seconds   float64
}

func (t total) tps() float64 {
	if t.seconds <= 0 {
		return 0
	}
	return float64(t.committed) / t.seconds
}

// printComparison prints, when both kinds ran, each kind's tx/s over all its rounds and
// the ratio that DESIGN.md's throughput target is about (MsgSubmitJob over MsgSend).
func printComparison(w io.Writer, totals map[loadgen.Kind]*total) {
	send, job := totals[loadgen.KindSend], totals[loadgen.KindSubmitJob]
	if send == nil || job == nil || send.tps() == 0 {
		return
	}
	fmt.Fprintf(w, "MsgSend: %.0f tx/s, MsgSubmitJob: %.0f tx/s, ratio MsgSubmitJob/MsgSend = %.2f (target >= 0.8)\n",
		send.tps(), job.tps(), job.tps()/send.tps())
}
