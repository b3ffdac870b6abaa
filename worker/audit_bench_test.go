package worker_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker"
)

// BenchmarkVerifierOverhead measures what verification costs in compute, end to end: the
// run of TestCheaterIsSlashed (a 1-validator localnet, four providers of equal bond with
// real in-process workers on demo-tiny, jobs from alice and bob at about one per block),
// all four honest, with 64 output tokens per job (so that the millisecond records of each
// run are not dominated by rounding), for SOVRA_BENCH_AUDIT_JOBS jobs (default 40); then
// the verifiers' re-scoring time (InferenceMs of every <data>/verifications record) over
// the providers' inference time (InferenceMs of every committed <data>/jobs record),
// summed over all workers. The target: verifier compute / provider compute ≤
// audit_rate × k × 0.10 (re-scoring at a tenth of a generation). Run with -benchtime 1x.
//
// Metrics: verifier/provider (the ratio), audit_rate×k (the target), audited/jobs (the
// fraction the beacon picked in this run: the ratio's expectation is this times k),
// provider-ms/job (mean inference per job), escalations.
func BenchmarkVerifierOverhead(b *testing.B) {
	if testing.Short() {
		b.Skip("starts sovrad processes and four workers")
	}
	jobs := 40
	if s := os.Getenv("SOVRA_BENCH_AUDIT_JOBS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, "SOVRA_BENCH_AUDIT_JOBS")
		require.Positive(b, n, "SOVRA_BENCH_AUDIT_JOBS")
		jobs = n
	}
	for range b.N {
		start := time.Now()
		r := startAuditRun(b, auditSetup{providers: 4, verify: cheaterRunParams(), maxTokens: 64})
		for i := range r.provs {
			r.startWorker(i, worker.Options{})
		}
		params := r.verifyParams()
		for round := 0; len(r.jobIDs) < jobs; round++ {
			r.submitRound(round, 1)
			r.waitBlocks(1)
		}
		ended := r.waitTerminal(r.jobIDs, 150*time.Second)
		ratio, verifierMs, providerMs := r.overhead()
		stats := r.stats()
		target := params.AuditRate.MulInt64(int64(params.VerifiersPerAudit)).MustFloat64()
		b.ReportMetric(ratio, "verifier/provider")
		b.ReportMetric(target, "audit_rate×k")
		b.ReportMetric(target*0.10, "target")
		b.ReportMetric(float64(stats.Audits)/float64(stats.Decisions), "audited/jobs")
		b.ReportMetric(float64(providerMs)/float64(len(ended)), "provider-ms/job")
		b.ReportMetric(float64(stats.Escalations), "escalations")
		b.Logf("%d jobs, %d audited, %d escalations: verifiers %d ms / providers %d ms = %.3f (audit_rate × k = %.2f), run %s",
			len(ended), stats.Audits, stats.Escalations, verifierMs, providerMs, ratio, target, time.Since(start).Round(time.Second))
	}
}
