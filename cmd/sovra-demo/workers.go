package main

// The worker processes: one home per worker under <net>/workers/workerN with the
// worker's key, a worker.toml on its own API ports, a log and a pid file (which
// `scripts/localnet.sh stop` uses to stop it). They outlive this command.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/internal/proc"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
)

// WorkersDir is the folder of the worker homes inside the network's home.
const WorkersDir = "workers"

// readyTimeout bounds a worker's start: the sha256 of its model file and the model load.
const readyTimeout = 3 * time.Minute

// workerProc is one provider and its worker.
type workerProc struct {
	name, provider     string // key names: worker1, provider1
	addr, providerAddr string
	price              string // per token
	node               int    // the validator it talks to
	home               string
	grpcAddr, httpAddr string        // its own API
	streamAddr         string        // its public token stream, the provider's endpoint; "" for none
	proc               *proc.Process // once started
}

// threads shares the CPUs between the workers.
func (d *demo) threads() int { return max(1, runtime.NumCPU()/d.o.providers) }

func (w *workerProc) logPath() string { return filepath.Join(w.home, "worker.log") }

// endpoint is the provider's endpoint on chain: its worker's token stream ("" for none).
func (w *workerProc) endpoint() string {
	if w.streamAddr == "" {
		return ""
	}
	return "http://" + w.streamAddr
}

// statusURL and metricsURL are served by the worker's HTTP API.
func (w *workerProc) statusURL() string  { return "http://" + w.httpAddr + "/v1/status" }
func (w *workerProc) metricsURL() string { return "http://" + w.httpAddr + "/metrics" }

// setupWorkers writes every worker's home: key, config, free API ports. Workers are
// spread over the validators.
func (d *demo) setupWorkers() error {
	ports, err := localnet.FreePorts(3 * d.o.providers)
	if err != nil {
		return err
	}
	src, err := chain.OpenKeyring("test", d.net.ClientHome())
	if err != nil {
		return err
	}
	model, err := filepath.Abs(d.o.model)
	if err != nil {
		return err
	}
	libDir, err := filepath.Abs(d.o.libDir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(d.net.Home(), WorkersDir)); err != nil {
		return err
	}
	for i := 0; i < d.o.providers; i++ {
		n := strconv.Itoa(i + 1)
		w := &workerProc{
			name: "worker" + n, provider: "provider" + n,
			price: strconv.Itoa(prices[i]) + d.net.BondDenom(), node: i % d.net.NumValidators(),
			home:     filepath.Join(d.net.Home(), WorkersDir, "worker"+n),
			grpcAddr: "127.0.0.1:" + strconv.Itoa(ports[3*i]), httpAddr: "127.0.0.1:" + strconv.Itoa(ports[3*i+1]),
		}
		if d.o.streams < 0 || i < d.o.streams {
			w.streamAddr = "127.0.0.1:" + strconv.Itoa(ports[3*i+2])
		}
		w.addr, w.providerAddr = d.net.AccountAddress(w.name), d.net.AccountAddress(w.provider)
		if w.addr == "" || w.providerAddr == "" {
			return fmt.Errorf("the network has no key %s or %s (config.yml accounts)", w.name, w.provider)
		}
		armor, err := src.ExportPrivKeyArmor(w.name, "sovra-demo")
		if err != nil {
			return err
		}
		dst, err := chain.OpenKeyring("test", filepath.Join(w.home, "keyring"))
		if err != nil {
			return err
		}
		if err := dst.ImportPrivKey(w.name, armor, "sovra-demo"); err != nil {
			return err
		}
		iv := config.InitValues{
			ChainID: d.net.ChainID(), GRPC: d.net.GRPC(w.node), RPC: d.net.RPC(w.node),
			Provider: w.providerAddr, KeyName: w.name, Models: map[string]string{d.o.modelID: model},
			LibDir: libDir, Threads: d.threads(), APIGRPC: w.grpcAddr, APIHTTP: w.httpAddr, StreamListen: w.streamAddr,
		}
		if _, err := iv.WriteFile(w.home); err != nil {
			return err
		}
		d.workers = append(d.workers, w)
	}
	return nil
}

// startWorkers starts every worker and waits until each has verified its model
// against the chain and loaded it.
func (d *demo) startWorkers() error {
	d.out.section(fmt.Sprintf("%d sovra-workers start: llama.cpp in process on %s, %d inference thread(s) each",
		len(d.workers), filepath.Base(d.o.model), d.threads()))
	for _, w := range d.workers {
		if err := w.start(d.o.workerBin); err != nil {
			return err
		}
	}
	start := time.Now()
	for _, w := range d.workers {
		if err := w.proc.WaitReady(w.ready, start.Add(readyTimeout), 200*time.Millisecond); err != nil {
			return err
		}
		d.out.printf("  %s  pid %-7d serves %s on validator %d, ready after %s; log %s\n",
			w.name, w.proc.Pid(), w.provider, w.node, seconds(time.Since(start)), rel(w.logPath()))
	}
	return nil
}

// start starts `sovra-worker start` in its own process group: Ctrl-C on the demo does
// not reach it, and localnet.sh stop signals the group (found by the pid file).
func (w *workerProc) start(bin string) (err error) {
	w.proc, err = proc.Start(bin, []string{"start", "--home", w.home}, proc.Options{
		Log:     rel(w.logPath()), // relative, as the demo prints paths (WaitReady's errors quote it)
		Group:   true,
		PIDFile: filepath.Join(w.home, "worker.pid"),
		Name:    w.name,
	})
	if err != nil {
		return fmt.Errorf("start %s: %w", w.name, err)
	}
	return nil
}

// readyLines are what sovra-worker start logs once its models are verified and loaded.
var readyLines = [][]byte{[]byte("started;"), []byte("serving provider")}

// ready reports whether the worker's log has a ready line.
func (w *workerProc) ready() bool {
	raw, _ := os.ReadFile(w.logPath())
	for _, l := range readyLines {
		if bytes.Contains(raw, l) {
			return true
		}
	}
	return false
}
