// Command sovra-loadgen measures the committed-transaction throughput of one or more
// message kinds against a running sovrad node, and the throughput of whole jobs (kind
// job: submissions, scripted workers' results, settlement; see package internal/loadgen).
//
//	sovra-loadgen --node http://127.0.0.1:26657 --home ~/.sovra --funder alice \
//	    --kind send,submit-job,job --provider-key provider1 -n 2000 -k 8
//
// It prints one summary line per kind, or with --json one JSON Result per line on stdout
// (the summary then goes to stderr), then each kind's rate beside MsgSend's over all
// rounds, with the ratio of each round (the i-th run of a kind beside the i-th send).
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
	var kinds, workers string
	var asJSON, quiet, strict bool
	fs.StringVar(&o.RPC, "node", "http://127.0.0.1:26657", "CometBFT RPC URL")
	fs.StringVar(&o.GRPC, "grpc", "", "gRPC address host:port for queries (default: ABCI queries through --node)")
	fs.StringVar(&o.ChainID, "chain-id", "", "chain id (default: the node's)")
	fs.StringVar(&o.Denom, "denom", "usovra", "denom of funding and job fees")
	fs.StringVar(&kinds, "kind", "send", "message kind(s), comma-separated, run in order: send, submit-job, job (whole jobs: submitted, committed by scripted workers, settled)")
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
	fs.StringVar(&workers, "workers", "", "kind job: comma-separated keys of the providers' workers, one scripted worker each (default: --provider-key); a key that is nobody's worker registers itself as a provider")
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
	for _, w := range strings.Split(workers, ",") {
		if w = strings.TrimSpace(w); w != "" {
			o.Workers = append(o.Workers, w)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var incomplete []string
	rounds := map[loadgen.Kind][]loadgen.Result{}
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
		rounds[res.Kind] = append(rounds[res.Kind], res)
		if res.Committed < res.Requested {
			incomplete = append(incomplete, fmt.Sprintf("%s: %d of %d committed", res.Kind, res.Committed, res.Requested))
		}
		if j := res.Jobs; j != nil && (j.Settled+j.Audited < j.Jobs || j.CommitFailed > 0) {
			incomplete = append(incomplete, fmt.Sprintf("job: %d of %d jobs settled or audited, %d commits failed", j.Settled+j.Audited, j.Jobs, j.CommitFailed))
		}
	}
	printComparison(stdout, rounds)
	if strict && len(incomplete) > 0 {
		return fmt.Errorf("not every tx was committed with code 0: %s", strings.Join(incomplete, "; "))
	}
	return nil
}

// rate is what a round measured for the comparison: the count of its unit (committed
// txs, or jobs settled) over its window.
type rate struct {
	count   int
	seconds float64
}

func (r rate) perSecond() float64 {
	if r.seconds <= 0 {
		return 0
	}
	return float64(r.count) / r.seconds
}

// txRate is a round's committed txs; jobRate its jobs settled (kind job).
func txRate(res loadgen.Result) rate { return rate{res.Committed, res.Seconds} }

func jobRate(res loadgen.Result) rate {
	if res.Jobs == nil {
		return rate{}
	}
	return rate{res.Jobs.Settled, res.Jobs.Seconds}
}

// sum is the rate over all rounds: their counts over their windows.
func sum(rounds []loadgen.Result, of func(loadgen.Result) rate) rate {
	var t rate
	for _, res := range rounds {
		r := of(res)
		t.count += r.count
		t.seconds += r.seconds
	}
	return t
}

// printComparison prints, beside MsgSend's tx/s over all its rounds, MsgSubmitJob's tx/s
// and the jobs settled per second of kind job when they ran, each with its ratio to
// MsgSend (DESIGN.md's throughput targets) overall and per round (the i-th run of the
// kind beside the i-th send, which ran just before it when the kinds are interleaved).
func printComparison(w io.Writer, rounds map[loadgen.Kind][]loadgen.Result) {
	sends := rounds[loadgen.KindSend]
	send := sum(sends, txRate)
	if send.perSecond() == 0 {
		return
	}
	perRound := func(of []loadgen.Result, f func(loadgen.Result) rate) string {
		var parts []string
		for i := 0; i < len(of) && i < len(sends); i++ {
			if s := txRate(sends[i]).perSecond(); s > 0 {
				parts = append(parts, fmt.Sprintf("%.2f", f(of[i]).perSecond()/s))
			}
		}
		return strings.Join(parts, ", ")
	}
	if jobs := rounds[loadgen.KindSubmitJob]; len(jobs) > 0 {
		job := sum(jobs, txRate)
		fmt.Fprintf(w, "MsgSend: %.0f tx/s, MsgSubmitJob: %.0f tx/s, ratio MsgSubmitJob/MsgSend = %.2f (target >= 0.8); rounds: %s\n",
			send.perSecond(), job.perSecond(), job.perSecond()/send.perSecond(), perRound(jobs, txRate))
	}
	if jobs := rounds[loadgen.KindJob]; len(jobs) > 0 {
		settled := sum(jobs, jobRate)
		audited, latency := 0, []string{}
		for _, res := range jobs {
			if res.Jobs != nil {
				audited += res.Jobs.Audited
				latency = append(latency, fmt.Sprint(res.Jobs.LatencyBlocksP50))
			}
		}
		fmt.Fprintf(w, "MsgSend: %.0f tx/s, jobs settled: %.0f/s, ratio jobs settled/MsgSend = %.2f (target >= 0.7); rounds: %s; %d audited (not settled in the run); submission to settlement p50: %s blocks\n",
			send.perSecond(), settled.perSecond(), settled.perSecond()/send.perSecond(), perRound(jobs, jobRate), audited, strings.Join(latency, ", "))
	}
}
