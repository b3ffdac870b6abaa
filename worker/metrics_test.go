package worker_test

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// metricValue returns a counter or gauge of the gathered families; outcome selects the
// series of a labelled family ("" for an unlabelled one).
func metricValue(t *testing.T, families []*dto.MetricFamily, name, outcome string) float64 {
	t.Helper()
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if outcome != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != outcome) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s{%s} not found", name, outcome)
	return 0
}
