// Command sovra-demo drives a running localnet through a job's whole life, the way the
// README's first command shows it: a provider bonds and starts its worker (real
// llama.cpp inference on the demo model), a job is bought by transaction, the worker
// commits the sealed result, the job settles and pays, the submitter decrypts the
// output, and every account's pending rewards are printed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/sovra-network/sovra/testutil/localnet"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/config"
)

// options locate what the worker needs.
type options struct {
	home, workerBin, model, libDir string
}

func main() {
	var o options
	flag.StringVar(&o.home, "home", "build/demo", "home of a running localnet (scripts/localnet.sh start --home DIR)")
	flag.StringVar(&o.workerBin, "worker", "build/sovra-worker", "sovra-worker binary")
	flag.StringVar(&o.model, "model", "build/models/demo-tiny.gguf", "GGUF file of model demo-tiny")
	flag.StringVar(&o.libDir, "lib-dir", ".llama/lib/x64", "llama.cpp libraries (make llama-libs)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	cli *localnet.CLI
	net *localnet.Network
}

func run(o options) error {
	home := o.home
	net, err := localnet.Attach(home)
	if err != nil {
		return fmt.Errorf("no localnet at %s (start one with scripts/localnet.sh start --home %s): %w", home, home, err)
	}
	d := demo{cli: net.Client(), net: net}
	provider, worker := net.AccountAddress("provider1"), net.AccountAddress("worker1")

	step("provider1 bonds 10 SOVRA and offers demo-tiny at 10usovra per token; its worker key is worker1")
	if _, err := d.cli.Tx("provider", "register", "--models", "demo-tiny", "--bond", "10000000usovra",
		"--price-per-token", "10usovra", "--worker", worker, "--profile", "cpu-x64-f32-greedy-v1",
		"--max-jobs", "4", "--from", "provider1"); err != nil {
		return err
	}
	fmt.Println("provider", provider, "is active")

	step("provider1 starts its worker: llama.cpp in process on demo-tiny, signing with worker1")
	pid, err := startWorker(net, o)
	if err != nil {
		return err
	}
	fmt.Printf("sovra-worker running (pid %d, log %s)\n", pid, filepath.Join(home, "worker1", "worker.log"))

	step(`alice buys a job: "Once upon a time", at most 16 tokens, max fee 100000usovra (escrowed)`)
	res, err := d.cli.Tx("task", "submit", "demo-tiny", "Once upon a time", "--max-tokens", "16",
		"--max-fee", "100000usovra", "--from", "alice", "--gas", "400000")
	if err != nil {
		return err
	}
	id, _ := res.Attr("job_submitted", "job_id")
	fmt.Printf("job %s submitted at height %d\n", id, res.Height)
	j, err := d.waitStatus(id, "JOB_STATUS_ASSIGNED")
	if err != nil {
		return err
	}
	fmt.Printf("assigned at height %s to %s (drawn with the beacon of that block)\n", j.AssignHeight, j.Provider)

	step("the worker runs the job and commits the sealed result")
	if j, err = d.waitStatus(id, "JOB_STATUS_SETTLED"); err != nil {
		return err
	}
	fmt.Printf("committed at height %s by the worker key: %s prompt + %s output tokens\n", j.CommitHeight, j.PromptTokens, j.OutputTokens)
	fmt.Printf("audit decision at height %s: not audited, settled: fee %s%s paid, %s%s refunded to alice\n",
		j.DecisionHeight, j.FeePaid.Amount, j.FeePaid.Denom, j.Refunded.Amount, j.Refunded.Denom)

	step("alice decrypts the output (sealed to her key; nobody else can read it)")
	fmt.Println("(demo-tiny has random weights from a fixed seed, so its text is noise; the token ids are exact)")
	out, err := d.cli.Run("q", "task", "output", id, "--from", "alice", "--keyring-backend", "test")
	if err != nil {
		return err
	}
	fmt.Print(out)

	step("pending rewards (sovrad q rewards pending ADDR)")
	for _, name := range []string{"provider1", "worker1", "alice"} {
		var p struct {
			Total []struct{ Amount, Denom string } `json:"total"`
		}
		if err := d.cli.QueryJSON(&p, "rewards", "pending", d.net.AccountAddress(name)); err != nil {
			return err
		}
		total := "0usovra"
		if len(p.Total) > 0 {
			total = p.Total[0].Amount + p.Total[0].Denom
		}
		fmt.Printf("  %-10s %s\n", name, total)
	}
	fmt.Printf("\nThe network keeps running. Try: %s --home %s q task jobs\n", net.Binary(), net.ClientHome())
	fmt.Printf("Stop it with: kill %d; bash scripts/localnet.sh stop --home %s\n", pid, home)
	return nil
}

type job struct {
	Status         string                         `json:"status"`
	Provider       string                         `json:"provider"`
	AssignHeight   string                         `json:"assign_height"`
	CommitHeight   string                         `json:"commit_height"`
	PromptTokens   string                         `json:"prompt_tokens"`
	OutputTokens   string                         `json:"output_tokens"`
	DecisionHeight string                         `json:"decision_height"`
	FeePaid        struct{ Amount, Denom string } `json:"fee_paid"`
	Refunded       struct{ Amount, Denom string } `json:"refunded"`
}

func (d demo) waitStatus(id, status string) (job, error) {
	var last job
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		var r struct {
			Job json.RawMessage `json:"job"`
		}
		if err := d.cli.QueryJSON(&r, "task", "job", id); err != nil {
			return last, err
		}
		if err := json.Unmarshal(r.Job, &last); err != nil {
			return last, err
		}
		if last.Status == status {
			return last, nil
		}
	}
	return last, fmt.Errorf("job %s is %s after 60s, expected %s", id, last.Status, status)
}

// startWorker gives the worker its own home with worker1's key and a config pointing at
// validator 0, then starts it in the background (it outlives this command).
func startWorker(net *localnet.Network, o options) (int, error) {
	wh := filepath.Join(o.home, "worker1")
	if err := os.RemoveAll(wh); err != nil {
		return 0, err
	}
	src, err := chain.OpenKeyring("test", net.ClientHome())
	if err != nil {
		return 0, err
	}
	armor, err := src.ExportPrivKeyArmor("worker1", "sovra-demo")
	if err != nil {
		return 0, err
	}
	dst, err := chain.OpenKeyring("test", filepath.Join(wh, "keyring"))
	if err != nil {
		return 0, err
	}
	if err := dst.ImportPrivKey("worker1", armor, "sovra-demo"); err != nil {
		return 0, err
	}
	model, err := filepath.Abs(o.model)
	if err != nil {
		return 0, err
	}
	libDir, err := filepath.Abs(o.libDir)
	if err != nil {
		return 0, err
	}
	iv := config.InitValues{ChainID: net.ChainID(), GRPC: net.GRPC(0), RPC: net.RPC(0),
		Provider: net.AccountAddress("provider1"), KeyName: "worker1", Models: map[string]string{"demo-tiny": model},
		LibDir: libDir, Threads: 1}
	if _, err := iv.WriteFile(wh); err != nil {
		return 0, err
	}
	logFile, err := os.Create(filepath.Join(wh, "worker.log"))
	if err != nil {
		return 0, err
	}
	defer logFile.Close()
	cmd := exec.Command(o.workerBin, "start", "--home", wh)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(filepath.Join(wh, "worker.pid"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return pid, err
	}
	return pid, cmd.Process.Release()
}

func step(s string) { fmt.Printf("\n\033[1m== %s\033[0m\n", s) }
