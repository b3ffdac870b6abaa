package main

// The chain side of the demo: the running localnet, a gRPC connection for the queries
// polled while jobs run, and the providers' registration.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/worker/chain"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Each provider bonds this much; each job escrows maxFee.
const (
	bond   = "10000000usovra"
	maxFee = "100000usovra"
	// demoMaxJobs is each demo provider's concurrency: its worker runs a job of the demo
	// model in about 20 ms and commits a block's results in one transaction, so 16 jobs a
	// block keep it busy well under a second while a burst lasts; the slot of a job frees
	// at its commit.
	demoMaxJobs = 16
)

// prices per token of provider1..3: different, so their fees differ.
var prices = []int{10, 12, 8}

// demo is one run of `sovra-demo run`.
type demo struct {
	o       runOptions
	net     *localnet.Network
	cli     *localnet.CLI
	conn    *grpc.ClientConn
	task    tasktypes.QueryClient
	prov    providertypes.QueryClient
	rewards rewardstypes.QueryClient
	verify  verifytypes.QueryClient
	out     *printer
	names   map[string]string // address -> key name
	workers []*workerProc
	jobs    []*jobView
}

func runDemo(o runOptions, stdout io.Writer) error {
	net, err := localnet.Attach(o.home)
	if err != nil {
		return fmt.Errorf("no localnet at %s (start one with scripts/localnet.sh start --home %s): %w", o.home, o.home, err)
	}
	conn, err := grpc.NewClient(net.GRPC(0),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(chain.Encoding().Codec.(codec.GRPCCodecProvider).GRPCCodec())))
	if err != nil {
		return err
	}
	defer conn.Close()
	d := &demo{
		o: o, net: net, cli: net.Client(), conn: conn, out: &printer{w: stdout},
		task: tasktypes.NewQueryClient(conn), prov: providertypes.NewQueryClient(conn),
		rewards: rewardstypes.NewQueryClient(conn), verify: verifytypes.NewQueryClient(conn), names: map[string]string{},
	}
	for _, name := range net.KeyNames() {
		d.names[net.AccountAddress(name)] = name
	}
	d.out.printf("Sovra localnet %s: %d validator(s), RPC %s, home %s\n", net.ChainID(), net.NumValidators(), net.RPC(0), rel(net.Home()))
	for _, step := range []func() error{d.setupWorkers, d.registerProviders, d.startWorkers, d.runJobs} {
		if err := step(); err != nil {
			return err
		}
	}
	if err := d.report(); err != nil {
		return err
	}
	if d.o.gatewayBin == "" {
		return nil
	}
	base, err := d.startGateway()
	if err != nil {
		return err
	}
	if err := d.tryGateway(base); err != nil {
		return err
	}
	d.gatewayLines(base)
	return nil
}

// registerProviders bonds provider1..N, each naming its own worker key, which signs the
// registration too (its consent to the binding; config.yml funds the worker accounts),
// in parallel (different signers).
func (d *demo) registerProviders() error {
	d.out.section(fmt.Sprintf("%d providers bond %s each and offer %s; each names its own worker key", len(d.workers), bond, d.o.modelID))
	errs := make([]error, len(d.workers))
	var wg sync.WaitGroup
	for i, w := range d.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{
				"provider", "register", "--models", d.o.modelID, "--bond", bond,
				"--price-per-token", w.price, "--worker", w.name, "--max-jobs", strconv.Itoa(demoMaxJobs),
				"--hardware", "cpu, 1 thread", "--from", w.provider,
			}
			if e := w.endpoint(); e != "" {
				args = append(args, "--endpoint", e)
			}
			_, errs[i] = d.cli.Tx(args...)
		}()
	}
	wg.Wait()
	for i, w := range d.workers {
		if errs[i] != nil {
			return fmt.Errorf("register %s: %w", w.provider, errs[i])
		}
		endpoint := "no endpoint (its jobs are read from the chain once committed)"
		if e := w.endpoint(); e != "" {
			endpoint = "endpoint " + e + " (its worker's token stream)"
		}
		d.out.printf("  %s  %s  %s/token  worker key %s (%s), %s\n", w.provider, w.providerAddr, w.price, w.name, w.addr, endpoint)
	}
	d.out.printf("  (sovrad tx provider register --models %s --bond %s --price-per-token %s --worker worker1 --from provider1:\n"+
		"   the operator and the worker key both sign)\n", d.o.modelID, bond, d.workers[0].price)
	return nil
}

// name is the key name of an address, or the address.
func (d *demo) name(addr string) string {
	if n, ok := d.names[addr]; ok {
		return n
	}
	return addr
}

// workerOf is the worker serving a provider address.
func (d *demo) workerOf(provider string) *workerProc {
	for _, w := range d.workers {
		if w.providerAddr == provider {
			return w
		}
	}
	return nil
}

// printer serialises output lines from the goroutines.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *printer) section(title string) { p.printf("\n== %s\n", title) }

// rel shortens a path under the working directory (the repository, for make demo).
func rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	r, err := filepath.Rel(wd, path)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return path
	}
	return r
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s" }
