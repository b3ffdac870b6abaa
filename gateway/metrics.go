package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Request outcomes counted by sovra_gateway_requests_total.
const (
	outcomeOK          = "ok"
	outcomeBadRequest  = "bad_request"  // 400, 404
	outcomeNoFunds     = "insufficient" // 402
	outcomeUnavailable = "unavailable"  // 503
	outcomeExpired     = "expired"      // 504
	outcomeFailed      = "failed"       // anything else
	outcomeMismatch    = "mismatch"     // the stream differed from the committed output
)

// metrics are the gateway's Prometheus series, on a registry of its own.
type metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	firstToken      *prometheus.HistogramVec
	latency         *prometheus.HistogramVec
	tokensPerSecond prometheus.Histogram
	feesPaid        *prometheus.CounterVec
	mismatches      prometheus.Counter
	fallbacks       prometheus.Counter
	openJobs        prometheus.Gauge
}

func newMetrics() *metrics {
	buckets := prometheus.ExponentialBuckets(0.05, 1.6, 16) // 50 ms to about 57 s
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sovra_gateway", Name: "requests_total",
			Help: "Inference requests by endpoint and outcome (ok, bad_request, insufficient, unavailable, expired, mismatch, failed).",
		}, []string{"endpoint", "outcome"}),
		firstToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "sovra_gateway", Name: "time_to_first_token_seconds",
			Help: "From the request to its first output text sent, by source (stream: the provider's endpoint; chain: the committed result).", Buckets: buckets,
		}, []string{"source"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "sovra_gateway", Name: "request_seconds",
			Help: "From the request to its complete answer, by streaming or not.", Buckets: buckets,
		}, []string{"stream"}),
		tokensPerSecond: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "sovra_gateway", Name: "output_tokens_per_second",
			Help: "Output tokens over the whole request time, per request.", Buckets: prometheus.ExponentialBuckets(0.5, 2, 14),
		}),
		feesPaid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sovra_gateway", Name: "fees_paid_total",
			Help: "Fees charged by settled jobs, by denom (refunds excluded).",
		}, []string{"denom"}),
		mismatches: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_gateway", Name: "stream_mismatches_total",
			Help: "Streams whose tokens differed from the result the provider committed.",
		}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_gateway", Name: "stream_fallbacks_total",
			Help: "Streaming requests answered from the committed result: the provider has no endpoint or it could not be read.",
		}),
		openJobs: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sovra_gateway", Name: "open_jobs",
			Help: "Jobs submitted by this gateway and not ended yet.",
		}),
	}
	m.registry.MustRegister(m.requests, m.firstToken, m.latency, m.tokensPerSecond, m.feesPaid, m.mismatches,
		m.fallbacks, m.openJobs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, e := range []string{kindChat, kindCompletion} {
		for _, o := range []string{outcomeOK, outcomeBadRequest, outcomeNoFunds, outcomeUnavailable, outcomeExpired, outcomeFailed, outcomeMismatch} {
			m.requests.WithLabelValues(e, o)
		}
	}
	return m
}

func outcomeOf(e *apiError) string {
	if e == nil {
		return outcomeOK
	}
	switch {
	case e.Code != nil && *e.Code == codeStreamMismatch:
		return outcomeMismatch
	case e.Status == 400 || e.Status == 404:
		return outcomeBadRequest
	case e.Status == 402:
		return outcomeNoFunds
	case e.Status == 503:
		return outcomeUnavailable
	case e.Status == 504:
		return outcomeExpired
	}
	return outcomeFailed
}
