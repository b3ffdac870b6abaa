// Command sovra-demo drives a running localnet through a job's whole life, the way the
// README's first command shows it: a provider bonds, a job is bought by transaction,
// its result is committed with the provider's worker key, the job settles and pays,
// the submitter decrypts the output, and every account's pending rewards are printed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sovra-network/sovra/testutil/localnet"
)

func main() {
	home := flag.String("home", "build/demo", "home of a running localnet (scripts/localnet.sh start --home DIR)")
	flag.Parse()
	if err := run(*home); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	cli *localnet.CLI
	net *localnet.Network
}

func run(home string) error {
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

	step("the provider's worker commits the sealed result")
	file := filepath.Join(home, "demo-result.json")
	result := `{"prompt_tokens":[1,9038,2501,263,931],"output_tokens":[727,471,263,21577,1904,29889],"text":" there was a tiny model."}`
	if err := os.WriteFile(file, []byte(result), 0o600); err != nil {
		return err
	}
	out, err := d.cli.Run("tx", "task", "commit-result", id, "--output-file", file, "--from", "worker1", "--yes", "--gas", "400000")
	if err != nil {
		return err
	}
	fmt.Print(out)
	if j, err = d.waitStatus(id, "JOB_STATUS_SETTLED"); err != nil {
		return err
	}
	fmt.Printf("audit decision at height %s: not audited, settled: fee %s%s paid, %s%s refunded to alice\n",
		j.DecisionHeight, j.FeePaid.Amount, j.FeePaid.Denom, j.Refunded.Amount, j.Refunded.Denom)

	step("alice decrypts the output (sealed to her key; nobody else can read it)")
	if out, err = d.cli.Run("q", "task", "output", id, "--from", "alice", "--keyring-backend", "test"); err != nil {
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
	fmt.Printf("Stop it with: bash scripts/localnet.sh stop --home %s\n", home)
	return nil
}

type job struct {
	Status         string                         `json:"status"`
	Provider       string                         `json:"provider"`
	AssignHeight   string                         `json:"assign_height"`
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

func step(s string) { fmt.Printf("\n\033[1m== %s\033[0m\n", s) }
