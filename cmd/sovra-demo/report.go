package main

// The summary printed once every job is done: each job's decrypted output, provider and
// settlement; every account's pending rewards; the workers' stats and API URLs; how to
// go on and how to stop.

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/worker/store"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

func (d *demo) report() error {
	sort.Slice(d.jobs, func(a, b int) bool { return d.jobs[a].id < d.jobs[b].id })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, step := range []func(context.Context) error{d.results, d.verification, d.pendingRewards, d.workerStats} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	d.footer()
	return nil
}

// results prints every job with its output, decrypted by `sovrad q task output` with
// the submitter's key (the output is sealed to it; nobody else can read it).
func (d *demo) results(context.Context) error {
	d.out.section("Results: each output decrypted with its submitter's key (sovrad q task output ID --from KEY)")
	if d.o.modelID == "demo-tiny" {
		d.out.printf("  (demo-tiny has random weights from a fixed seed: its text is noise, but exactly reproducible)\n")
	}
	outputs := make([]string, len(d.jobs))
	errs := make([]error, len(d.jobs))
	var wg sync.WaitGroup
	for i, j := range d.jobs {
		if len(j.job.SealedOutput) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outputs[i], errs[i] = d.cli.Run("q", "task", "output", strconv.FormatUint(j.id, 10),
				"--from", j.from, "--keyring-backend", "test")
		}()
	}
	wg.Wait()
	for i, j := range d.jobs {
		job := j.job
		d.out.printf("\n  job %d  %s -> %s, %s: %s\n", j.id, j.from, d.name(job.Provider), statusWord(job.Status), d.settlement(j))
		d.out.printf("    prompt  %s\n", printable(j.prompt))
		switch {
		case errs[i] != nil:
			return fmt.Errorf("decrypt job %d: %w", j.id, errs[i])
		case len(job.SealedOutput) == 0:
			d.out.printf("    output  (none)\n")
		default:
			d.out.printf("    output  %s\n", printable(strings.TrimSuffix(outputs[i], "\n")))
		}
	}
	return nil
}

// printable makes model output safe for a terminal or a file: invalid UTF-8 and control
// characters are escaped, and further lines are indented under the first.
func printable(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case r == '\n':
			b.WriteString("\n            ")
		case r == '\t':
			b.WriteString("    ")
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pendingRewards prints every key's pending rewards (x/rewards accruals, claimable with
// `sovrad tx rewards claim`) and the verification pool.
func (d *demo) pendingRewards(ctx context.Context) error {
	d.out.section("Pending rewards (sovrad q rewards pending ADDR; sovrad tx rewards claim pays them)")
	tw := tabwriter.NewWriter(d.out.w, 0, 4, 2, ' ', 0)
	for _, name := range d.net.KeyNames() {
		addr := d.net.AccountAddress(name)
		res, err := d.rewards.Pending(ctx, &rewardstypes.QueryPendingRequest{Address: addr})
		if err != nil {
			return fmt.Errorf("pending rewards of %s: %w", name, err)
		}
		total := coinsOrZero(res.Total, d.net.BondDenom())
		var sources []string
		for _, a := range res.BySource {
			sources = append(sources, a.Source)
		}
		if len(sources) > 0 {
			total += "\tfrom " + strings.Join(sources, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, addr, total)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	params, err := d.rewards.Params(ctx, &rewardstypes.QueryParamsRequest{})
	if err != nil {
		return err
	}
	pool, err := d.rewards.VerificationPool(ctx, &rewardstypes.QueryVerificationPoolRequest{})
	if err != nil {
		return err
	}
	p := params.Params
	d.out.printf("  Each fee is split: %s to the provider (above), %s to the verification pool (now %s),\n",
		percent(p.ProviderShare), percent(p.VerificationShare), coinsOrZero(pool.Balance, d.net.BondDenom()))
	d.out.printf("  %s to validators and delegators (x/distribution), %s to the community pool, %s burned.\n",
		percent(p.ValidatorShare), percent(p.CommunityShare), percent(p.BurnShare))
	return nil
}

func percent(share math.LegacyDec) string {
	return share.MulInt64(100).TruncateInt().String() + "%"
}

func coinsOrZero(c sdk.Coins, denom string) string {
	if c.IsZero() {
		return "0" + denom
	}
	return c.String()
}

// workerStats prints each worker's jobs (the chain's count and its own store) and API.
func (d *demo) workerStats(ctx context.Context) error {
	d.out.section("Workers (each one's API, /v1/status and Prometheus /metrics)")
	tw := tabwriter.NewWriter(d.out.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  WORKER\tPROVIDER\tPRICE\tJOBS DONE\tMISSED\tTOKENS OUT\tINFERENCE\tSTATUS\tMETRICS")
	for _, w := range d.workers {
		res, err := d.prov.Provider(ctx, &providertypes.QueryProviderRequest{Address: w.providerAddr})
		if err != nil {
			return fmt.Errorf("provider %s: %w", w.provider, err)
		}
		tokens, ms, n := w.storeStats()
		avg := "-"
		if n > 0 {
			avg = strconv.FormatInt(ms/int64(n), 10) + " ms/job"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", w.name, w.provider, w.price,
			res.Provider.JobsDone, res.Provider.JobsMissed, tokens, avg, w.statusURL(), w.metricsURL())
	}
	return tw.Flush()
}

// storeStats sums the worker's committed records: output tokens, inference
// milliseconds and how many.
func (w *workerProc) storeStats() (tokens int, ms int64, n int) {
	st, err := store.Open(filepath.Join(w.home, "data"))
	if err != nil {
		return 0, 0, 0
	}
	recs, err := st.List()
	if err != nil {
		return 0, 0, 0
	}
	for _, r := range recs {
		if r.Status == store.StatusCommitted {
			tokens += len(r.OutputTokens)
			ms += r.InferenceMs
			n++
		}
	}
	return tokens, ms, n
}

func (d *demo) footer() {
	bin, client := rel(d.net.Binary()), rel(d.net.ClientHome())
	d.out.printf("\nThe network (%s, %d validator(s)) and its %d workers keep running in %s. Try:\n",
		d.net.ChainID(), d.net.NumValidators(), len(d.workers), rel(d.net.Home()))
	d.out.printf("  %s --home %s q task jobs\n", bin, client)
	d.out.printf("  %s --home %s tx task submit %s \"Hello\" --max-tokens %d --max-fee %s --from alice --yes\n",
		bin, client, d.o.modelID, d.o.maxTokens, maxFee)
	d.out.printf("  %s status --home %s\n", rel(d.o.workerBin), rel(d.workers[0].home))
	d.out.printf("Stop it all (validators, workers and the gateway): bash scripts/localnet.sh stop --home %s\n", rel(d.net.Home()))
}

// verification prints how the audits of the run went and the chain's audit counters.
func (d *demo) verification(ctx context.Context) error {
	params, err := d.verify.Params(ctx, &verifytypes.QueryParamsRequest{})
	if err != nil {
		return err
	}
	stats, err := d.verify.Stats(ctx, &verifytypes.QueryStatsRequest{})
	if err != nil {
		return err
	}
	d.out.section(fmt.Sprintf("Verification (sovrad q verify audit ID | audits | stats): audit_rate %s, %d verifier(s) per audit",
		strings.TrimRight(strings.TrimRight(params.Params.AuditRate.String(), "0"), "."), params.Params.VerifiersPerAudit))
	audited := 0
	for _, j := range d.jobs {
		if j.audit == nil {
			continue
		}
		audited++
		a := j.audit
		d.out.printf("  job %d  provider %s, verifier(s) %s: %s at height %d; each honest verifier earns %s from the pool\n",
			j.id, d.name(a.Provider), d.verifierNames(*a), auditWord(a.Status), a.VerdictHeight, a.Pay)
	}
	s := stats.Stats
	d.out.printf("  %d of %d results audited in this run. Chain totals: %d decisions, %d audits, %d passed, %d failed, %d escalations, %d provider and %d verifier slashes\n",
		audited, len(d.jobs), s.Decisions, s.Audits, s.Passes, s.Failures, s.Escalations, s.ProviderSlashes, s.VerifierSlashes)
	return nil
}
