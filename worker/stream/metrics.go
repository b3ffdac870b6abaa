package stream

import "github.com/prometheus/client_golang/prometheus"

// Reasons a subscriber is refused, in sovra_worker_stream_refused_total.
const (
	RefusedBadRequest = "bad_request" // 400, 404 (path) or 405
	RefusedJobBusy    = "job_busy"    // 429: the job has MaxPerJob subscribers
	RefusedBusy       = "busy"        // 503: the worker has MaxSubscribers, or is closing
	RefusedNotFound   = "not_found"   // 404: the job was not streamed within WaitForStart
)

// Metrics are the stream server's Prometheus series (sovra_worker_stream_*).
type Metrics struct {
	// Streams counts the jobs whose tokens were streamed (Hub.Begin).
	Streams prometheus.Counter
	// Served counts the subscriptions answered with a stream (200).
	Served prometheus.Counter
	// Subscribers is the number of open subscriptions, waiting ones included.
	Subscribers prometheus.Gauge
	// Chunks counts the chunk events sent.
	Chunks prometheus.Counter
	// Refused counts the subscriptions refused, by reason.
	Refused *prometheus.CounterVec
}

// NewMetrics registers the series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Streams: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_worker", Subsystem: "stream", Name: "jobs_total",
			Help: "Jobs whose tokens the worker streamed.",
		}),
		Served: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_worker", Subsystem: "stream", Name: "served_total",
			Help: "Subscriptions answered with a job's stream.",
		}),
		Subscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sovra_worker", Subsystem: "stream", Name: "subscribers",
			Help: "Open subscriptions, those waiting for their job to start included.",
		}),
		Chunks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sovra_worker", Subsystem: "stream", Name: "chunks_sent_total",
			Help: "Sealed chunks of tokens sent to subscribers.",
		}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sovra_worker", Subsystem: "stream", Name: "refused_total",
			Help: "Subscriptions refused: bad_request (400/404/405), job_busy (429), busy (503), not_found (404 after the wait).",
		}, []string{"reason"}),
	}
	for _, r := range []string{RefusedBadRequest, RefusedJobBusy, RefusedBusy, RefusedNotFound} {
		m.Refused.WithLabelValues(r)
	}
	reg.MustRegister(m.Streams, m.Served, m.Subscribers, m.Chunks, m.Refused)
	return m
}

func (m *Metrics) refused(reason string) {
	if m != nil {
		m.Refused.WithLabelValues(reason).Inc()
	}
}
