package ui

import (
	"fmt"
	"math"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// sparkBlocks are the eight levels of a sparkline. The lowest is kept for
// zero alone, so a proxy with no connections reads as a flat floor and
// never as "a few".
var sparkBlocks = [...]rune{'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// maxSparkWidth keeps a line short enough to sit beside other panels; the
// default window (30 one-minute points) fits.
const maxSparkWidth = 30

// sparkline draws the last width values as block characters scaled from 0
// to the largest value drawn. Negative values count as 0.
func sparkline(values []float64, width int) string {
	if width <= 0 || len(values) == 0 {
		return ""
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	top := 0.0
	for _, v := range values {
		top = math.Max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		if v <= 0 || top <= 0 {
			b.WriteRune(sparkBlocks[0])
			continue
		}
		level := 1 + int(math.Round(v/top*float64(len(sparkBlocks)-2)))
		b.WriteRune(sparkBlocks[level])
	}
	return b.String()
}

// metricLabel is the short name of a metric on screen.
func metricLabel(metric string) string {
	switch metric {
	case contract.MetricClientConnections:
		return "clients"
	case contract.MetricDatabaseConnections:
		return "db conns"
	case contract.MetricReplicaLag:
		return "lag"
	case contract.MetricOldestReplicationSlotLag:
		return "slot lag"
	}
	return metric
}

// formatMetric prints a value in its unit: whole connections, seconds
// with one decimal, bytes in binary units.
func formatMetric(v float64, unit string) string {
	switch unit {
	case contract.UnitSeconds:
		return fmt.Sprintf("%.1f s", v)
	case contract.UnitBytes:
		for _, u := range []struct {
			name string
			size float64
		}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
			if v >= u.size {
				return fmt.Sprintf("%.1f %s", v/u.size, u.name)
			}
		}
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// renderMetrics draws one line per metric: label, subject, sparkline and
// the current value. Zero client connections is drawn as bad: the
// applications are cut off.
func renderMetrics(st Styles, width int, m *contract.MetricsSample, name func(string) string) string {
	if m == nil {
		return ""
	}
	labelW, subjectW := 0, 0
	for _, l := range m.Lines {
		labelW = max(labelW, lipgloss.Width(metricLabel(l.Metric)))
		subjectW = max(subjectW, lipgloss.Width(name(l.Subject)))
	}
	var lines []string
	for _, l := range m.Lines {
		label := fmt.Sprintf("%-*s  %-*s  ", labelW, metricLabel(l.Metric), subjectW, name(l.Subject))
		if len(l.Points) == 0 {
			lines = append(lines, truncate(st.Muted.Render(label+"no data yet"), width))
			continue
		}
		value := formatMetric(l.Last, l.Unit)
		room := width - lipgloss.Width(label) - lipgloss.Width(value) - 1
		spark := sparkline(l.Values(), min(room, maxSparkWidth))
		valueStyle := st.Bold
		if l.Metric == contract.MetricClientConnections && l.Last == 0 {
			valueStyle = st.Bad
		}
		line := st.Muted.Render(label) + spark
		if spark != "" {
			line += " "
		}
		lines = append(lines, line+valueStyle.Render(value))
	}
	if m.Error != "" {
		lines = append(lines, st.Warn.Render(truncate("metrics: "+m.Error, width)))
	}
	return strings.Join(lines, "\n")
}

// renderStepMetrics is the summary's table: per step, client connections
// in the CloudWatch minute before it, the lowest minute that overlaps it
// and the minute after it — placed by when CloudWatch measured them
// (steps.StepMetrics), with a note that says so.
func renderStepMetrics(st Styles, width int, sm []contract.StepMetrics) string {
	var rows [][]string
	for _, s := range sm {
		if s.Before == nil && s.After == nil && s.MinClientConnections == nil {
			continue
		}
		lowText := "-"
		if s.MinClientConnections != nil {
			lowText = formatMetric(*s.MinClientConnections, contract.UnitConnections)
		}
		rows = append(rows, []string{string(s.Step), sumClients(s.Before), lowText, sumClients(s.After)})
	}
	if len(rows) == 0 {
		return ""
	}
	table := renderTable(st, width, []string{"STEP", "CLIENTS BEFORE", "LOWEST DURING", "CLIENTS AFTER"}, rows, func(row, col int) cellStyle {
		if col == 2 && rows[row][2] == "0" {
			return styled(st.Bad)
		}
		return cellStyle{}
	})
	return table + "\n" + st.Muted.Render(wrap(width, "CloudWatch minutes placed by when they were measured (the minute before the step, the minutes it overlaps, the minute after it); - where CloudWatch had not published one."))
}

// sumClients adds the client connections of every proxy in a step record.
func sumClients(values map[string]float64) string {
	total, seen := clientTotal(values)
	if !seen {
		return "-"
	}
	return formatMetric(total, contract.UnitConnections)
}

// clientTotal is the sum of every proxy's client connections in a record.
func clientTotal(values map[string]float64) (float64, bool) {
	total, seen := 0.0, false
	for k, v := range values {
		if strings.HasPrefix(k, contract.MetricClientConnections+"(") {
			total += v
			seen = true
		}
	}
	return total, seen
}
