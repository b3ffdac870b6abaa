// Command sovra-demo is the engine of `make demo` (scripts/demo.sh). It has two steps,
// and a load test for the running demo network:
//
//	sovra-demo model --model PATH [--config config.yml] --out FILE
//	    checks that PATH is a GGUF model, and writes FILE: config.yml with that model
//	    added to the genesis (its sha256, a context size from its metadata). Prints the
//	    model id the network will know it by.
//
//	sovra-demo run --home DIR --worker BIN --model PATH --model-id ID --lib-dir DIR
//	    drives a running localnet: three providers bond and register with their own
//	    worker keys and the URL of their worker's token stream as endpoint (a loopback
//	    port; --stream-providers N keeps it to the first N), three sovra-worker
//	    processes start (llama.cpp in process), alice and
//	    bob buy a few jobs, every state change is printed as it happens, and each job's
//	    decrypted output, provider and settlement, every account's pending rewards and
//	    the workers' stats are reported. The workers keep running.
//
//	sovra-demo burst --home DIR [--jobs 300] [--within 30s]
//	    a busy user's load on that network (burst.go): the jobs sent within the window,
//	    followed until final; fails unless every one settled.
//
// The files: model.go (the GGUF check and the demo config), network.go (the chain
// connection and the providers), workers.go (the worker processes), jobs.go (the jobs
// and the progress lines), report.go (the summary).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

const usage = `usage:
  sovra-demo model --model PATH [--config config.yml] --out FILE
  sovra-demo run   --home DIR --worker BIN --model PATH --model-id ID --lib-dir DIR [--jobs N] [--deadline BLOCKS] [--stream-providers N]
  sovra-demo burst --home DIR [--jobs 300] [--within 30s] [--per-tx 10] [--max-tokens 16] [--timeout 3m]
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// runOptions locate what `run` needs.
type runOptions struct {
	home      string // the localnet's home
	workerBin string
	// gatewayBin is sovra-gateway, started for alice at the end; "" starts none.
	gatewayBin string
	model      string // GGUF file every worker serves
	modelID    string // its id on chain
	libDir     string // llama.cpp libraries
	providers  int
	// streams is how many of the providers (the first ones) have their workers stream
	// tokens on a loopback port registered as the provider's endpoint; the others have
	// no endpoint. -1 means all.
	streams   int
	jobs      int
	maxTokens int
	deadline  int           // blocks a provider has to commit; 0 is the chain's default
	timeout   time.Duration // for all jobs to reach a final state
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	verb := args[0]
	fs := flag.NewFlagSet("sovra-demo "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch verb {
	case "model":
		model := fs.String("model", "", "GGUF file (required)")
		config := fs.String("config", "config.yml", "the network definition to add the model to")
		out := fs.String("out", "", "where to write the demo network's config (required)")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if *model == "" || *out == "" {
			return fmt.Errorf("model: --model and --out are required")
		}
		return modelStep(*model, *config, *out, stdout, stderr)
	case "run":
		var o runOptions
		fs.StringVar(&o.home, "home", "build/demo", "home of a running localnet (scripts/localnet.sh start --home DIR)")
		fs.StringVar(&o.workerBin, "worker", "build/sovra-worker", "sovra-worker binary")
		fs.StringVar(&o.gatewayBin, "gateway", "build/sovra-gateway", "sovra-gateway binary, started for alice at the end (\"\": none)")
		fs.StringVar(&o.model, "model", "build/models/demo-tiny.gguf", "GGUF file the workers serve")
		fs.StringVar(&o.modelID, "model-id", "demo-tiny", "the model's id on chain")
		fs.StringVar(&o.libDir, "lib-dir", ".llama/lib/x64", "llama.cpp libraries (make llama-libs)")
		fs.IntVar(&o.providers, "providers", 3, "providers and workers (config.yml has provider1..3, worker1..3)")
		fs.IntVar(&o.streams, "stream-providers", -1, "how many providers (the first ones) stream tokens at an endpoint; the others register none (-1: all)")
		fs.IntVar(&o.jobs, "jobs", 6, "jobs to submit, alternately from alice and bob")
		fs.IntVar(&o.maxTokens, "max-tokens", 16, "output tokens per job")
		fs.IntVar(&o.deadline, "deadline", 0, "blocks a provider has to commit a job (0: the chain's default, 20 in config.yml)")
		fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long to wait for every job to settle")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if err := o.validate(); err != nil {
			return err
		}
		return runDemo(o, stdout)
	case "burst":
		var o burstOptions
		fs.StringVar(&o.home, "home", "build/demo", "home of the running demo network (make demo)")
		fs.StringVar(&o.modelID, "model-id", "demo-tiny", "the model's id on chain")
		fs.IntVar(&o.jobs, "jobs", 300, "jobs to submit")
		fs.IntVar(&o.perTx, "per-tx", 10, "jobs per transaction")
		fs.IntVar(&o.maxTokens, "max-tokens", 16, "output tokens per job")
		fs.DurationVar(&o.within, "within", 30*time.Second, "window the submissions are spread over")
		fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long to wait for every job to be final after the last submission")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if err := o.validate(); err != nil {
			return err
		}
		return runBurst(o, stdout)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", verb)
	}
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	return nil
}

func (o runOptions) validate() error {
	switch {
	case o.providers < 1 || o.providers > 3:
		return fmt.Errorf("--providers %d: config.yml has accounts for 1 to 3", o.providers)
	case o.streams < -1 || o.streams > o.providers:
		return fmt.Errorf("--stream-providers %d: between 0 and --providers (%d), or -1 for all", o.streams, o.providers)
	case o.jobs < 1 || o.jobs > len(prompts):
		return fmt.Errorf("--jobs %d: between 1 and %d", o.jobs, len(prompts))
	case o.deadline < 0:
		return fmt.Errorf("--deadline %d must not be negative", o.deadline)
	case o.maxTokens < 1:
		return fmt.Errorf("--max-tokens %d must be positive", o.maxTokens)
	case o.modelID == "":
		return fmt.Errorf("--model-id is required")
	}
	return nil
}
