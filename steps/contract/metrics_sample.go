package contract

import "time"

// The proxy's connections and green's replication lag from CloudWatch,
// as progress events and the summary carry them (steps/metrics.go reads
// them).

// Units of MetricLine.
const (
	UnitConnections = "connections"
	UnitSeconds     = "seconds"
	UnitBytes       = "bytes"
)

// MetricsSample is one CloudWatch read attached to a progress event.
type MetricsSample struct {
	Time   time.Time     `json:"time"`
	Period time.Duration `json:"period_ns"`
	Lines  []MetricLine  `json:"lines,omitempty"`
	// Error is the last read's failure (say, no cloudwatch:GetMetricData
	// permission); Lines then hold the previous read, if any.
	Error string `json:"error,omitempty"`
}

// MetricLine is one metric of one proxy or instance over the window.
type MetricLine struct {
	Metric  string        `json:"metric"`  // CloudWatch name, e.g. ClientConnections
	Subject string        `json:"subject"` // proxy name or DB instance identifier
	Stat    string        `json:"stat"`    // Minimum for connections, Maximum for lag
	Unit    string        `json:"unit"`
	Points  []MetricValue `json:"points,omitempty"` // one per period with data, oldest first
	// Last is the newest value; meaningful only when len(Points) > 0.
	Last float64 `json:"last"`
}

// MetricValue is the statistic over the period that starts at Time.
type MetricValue struct {
	Time  time.Time `json:"t"`
	Value float64   `json:"v"`
}

// Values are the points' values, oldest first: what a sparkline draws.
func (l MetricLine) Values() []float64 {
	out := make([]float64, len(l.Points))
	for i, p := range l.Points {
		out[i] = p.Value
	}
	return out
}

// StepMetrics is what the applications saw around one step, placed by
// the minute CloudWatch measured, not by when the value arrived (it lags a
// minute or more, so a value read at a step's start belongs to an earlier
// step: walkthrough D7): Before is the last whole minute that ended by
// the step's start, After the first that began at or after its end, and
// MinClientConnections the lowest of the minutes that overlap the step (a
// drop to 0 is an outage). A value CloudWatch had not published when the
// run ended is absent, never guessed.
type StepMetrics struct {
	Step   StepID             `json:"step"`
	Before map[string]float64 `json:"before,omitempty"` // "Metric(subject)" → value
	After  map[string]float64 `json:"after,omitempty"`
	// MinClientConnections is the lowest ClientConnections of any proxy
	// in a minute that overlaps the step; nil when none was published.
	MinClientConnections *float64 `json:"min_client_connections,omitempty"`
}

// Key is how a line is named in StepMetrics: "ClientConnections(orders-proxy)".
func (l MetricLine) Key() string { return l.Metric + "(" + l.Subject + ")" }
