package worker

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// Job outcomes counted by sovra_worker_jobs_total.
const (
	OutcomeCommitted = "committed" // result included on chain
	OutcomeRejected  = "rejected"  // not servable: bad prompt, unknown model, deadline passed
	OutcomeGivenUp   = "given_up"  // inference failed max_inference_attempts times
	OutcomeLost      = "lost"      // expired or cancelled on chain before the commit landed
)

// Metrics are the worker's Prometheus series, on a registry of its own so that several
// workers can live in one process (tests).
type Metrics struct {
	Registry          *prometheus.Registry
	Jobs              *prometheus.CounterVec
	InferenceFailures prometheus.Counter
	InferenceSeconds  prometheus.Histogram
	TokensGenerated   prometheus.Counter
	TokensPerSecond   prometheus.Gauge
	TxFailures        prometheus.Counter
	ChainHeight       prometheus.Gauge
	ChainReachable    prometheus.Gauge
	Following         *prometheus.GaugeVec
	Audits            *prometheus.CounterVec
}

func newMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sovra_worker", Name: "jobs_total",
			Help: "Jobs finished by this worker, by outcome (committed, rejected, given_up, lost).",
		}, []string{"outcome"}),
		InferenceFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_worker", Name: "inference_failures_total",
			Help: "Inference attempts that failed in the backend (down, garbage answer); each is retried up to max_inference_attempts.",
		}),
		InferenceSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "sovra_worker", Name: "inference_seconds",
			Help: "Wall time of one job's inference.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
		TokensGenerated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_worker", Name: "tokens_generated_total",
			Help: "Output tokens generated.",
		}),
		TokensPerSecond: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sovra_worker", Name: "tokens_per_second",
			Help: "Prompt plus output tokens per second of the last job's inference.",
		}),
		TxFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_worker", Name: "tx_failures_total",
			Help: "Commit transactions that failed to broadcast or were included with an error.",
		}),
		ChainHeight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sovra_worker", Name: "chain_height",
			Help: "Latest block height the worker has seen.",
		}),
		ChainReachable: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sovra_worker", Name: "chain_reachable",
			Help: "1 when the node answered the worker's last request.",
		}),
		Audits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sovra_worker", Name: "audit_messages_total",
			Help: "Audit messages included: open (as audited provider), commit (as verifier) and reveal (as verifier or audited provider).",
		}, []string{"kind"}),
		Following: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "sovra_worker", Name: "following",
			Help: "1 for the way the worker currently learns of new blocks (websocket or polling).",
		}, []string{"mode"}),
	}
	// Every series present at zero, so rates work from the start.
	for _, o := range []string{OutcomeCommitted, OutcomeRejected, OutcomeGivenUp, OutcomeLost} {
		m.Jobs.WithLabelValues(o)
	}
	for _, k := range []string{"open", "commit", "reveal"} {
		m.Audits.WithLabelValues(k)
	}
	m.Registry.MustRegister(m.Jobs, m.InferenceFailures, m.InferenceSeconds, m.TokensGenerated, m.TokensPerSecond,
		m.TxFailures, m.ChainHeight, m.ChainReachable, m.Following, m.Audits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
