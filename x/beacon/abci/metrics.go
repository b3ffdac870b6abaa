package abci

import (
	"github.com/hashicorp/go-metrics"

	"github.com/cosmos/cosmos-sdk/telemetry"

	"github.com/sovra-network/sovra/x/beacon/types"
)

// Metric names (Prometheus: the keys joined by "_", as served by the node's API server
// at /metrics?format=prometheus when app.toml enables [telemetry] with a positive
// prometheus-retention-time).
var (
	// MetricVRFReady is 1 when this node's proposals carry VRF proofs, else 0.
	MetricVRFReady = []string{"sovra", "beacon", "vrf_ready"}
	// MetricVRFState is 1 for the node's current readiness (label state), 0 for the others.
	MetricVRFState = []string{"sovra", "beacon", "vrf_state"}
	// MetricWeakProposals counts the proposals this node made without a VRF proof
	// (label reason: the readiness state at the time).
	MetricWeakProposals = []string{"sovra", "beacon", "weak_proposals"}
)

// Metrics receives the node's beacon metrics. They are node-local observations, never
// part of consensus.
type Metrics interface {
	// SetReadiness reports the node's readiness after each evaluation.
	SetReadiness(types.Readiness)
	// WeakProposal counts one proposal of this node without a proof.
	WeakProposal(reason types.Readiness)
}

// TelemetryMetrics sends the metrics through the SDK's telemetry (go-metrics, which the
// node configures from app.toml's [telemetry]); without telemetry they are dropped.
type TelemetryMetrics struct{}

// SetReadiness sets MetricVRFReady and one MetricVRFState series per state. The
// gauges are set at every evaluation (every proposal the node checks), so they stay
// within the Prometheus sink's retention.
func (TelemetryMetrics) SetReadiness(r types.Readiness) {
	ready := float32(0)
	if r == types.ReadinessReady {
		ready = 1
	}
	telemetry.SetGauge(ready, MetricVRFReady...) //nolint:staticcheck // SA1019: the SDK's go-metrics telemetry is what app.toml [telemetry] serves at /metrics
	for _, s := range types.AllReadiness {
		v := float32(0)
		if s == r {
			v = 1
		}
		telemetry.SetGaugeWithLabels(MetricVRFState, v, []metrics.Label{{Name: "state", Value: s.String()}}) //nolint:staticcheck // SA1019: as above
	}
}

// WeakProposal increments MetricWeakProposals.
func (TelemetryMetrics) WeakProposal(reason types.Readiness) {
	telemetry.IncrCounterWithLabels(MetricWeakProposals, 1, []metrics.Label{{Name: "reason", Value: reason.String()}}) //nolint:staticcheck // SA1019: as above
}
