package steps

import (
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// The lowest client count of a step is the lowest of everything read for
// it: the value at its start and at its end as well as the complete
// periods in between (issue 14: a step showed "before 0, lowest 46").

// lowerClients lowers st's MinClientConnections with the ClientConnections
// values among values (keys "Metric(subject)", MetricLine.Key).
func lowerClients(st *StepMetrics, values map[string]float64) {
	for k, v := range values {
		if !strings.HasPrefix(k, awsclient.MetricClientConnections+"(") {
			continue
		}
		v := v
		if st.MinClientConnections == nil || v < *st.MinClientConnections {
			st.MinClientConnections = &v
		}
	}
}
