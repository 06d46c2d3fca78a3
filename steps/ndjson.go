package steps

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// NewNDJSONSink writes one JSON event per line (--output json). Writes are
// serialised: api-call events arrive from the AWS client's goroutine.
func NewNDJSONSink(w io.Writer) Sink {
	w = newStickyWriter(w)
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(ev)
	}
}

// NewTextSink writes human-readable lines (--output text, plain mode).
// Progress is printed only when what it shows changes, so a four-hour wait
// does not flood the terminal.
func NewTextSink(w io.Writer) Sink {
	w = newStickyWriter(w)
	var mu sync.Mutex
	lastProgress := map[StepID]string{}
	return func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		line := formatText(ev)
		if ev.Type == EventProgress {
			if lastProgress[ev.Step] == line {
				return
			}
			lastProgress[ev.Step] = line
		}
		if line != "" {
			fmt.Fprintf(w, "%s %s\n", ev.Time.UTC().Format("15:04:05"), line)
		}
	}
}

// formatText is one event in words; "" for events not worth a line.
func formatText(ev Event) string {
	switch ev.Type {
	case EventRunStarted:
		return "run started: " + ev.Message
	case EventPreflight:
		var b strings.Builder
		b.WriteString("preflight:")
		for _, c := range ev.Checks {
			fmt.Fprintf(&b, "\n  [%s] %s — %s", c.Status, c.Title, c.Explanation)
			if c.Remediation != "" && c.Status != CheckPass {
				fmt.Fprintf(&b, " (fix: %s)", c.Remediation)
			}
		}
		return b.String()
	case EventPlanReady:
		if ev.Plan == nil {
			return "plan ready"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "plan for %s (regime %s: %s):", ev.Plan.Source.ID, ev.Plan.Regime, ev.Plan.RegimeReason)
		for i, s := range ev.Plan.Steps {
			fmt.Fprintf(&b, "\n  %d. %s [%s] %s", i+1, s.ID, s.Severity, s.Title)
		}
		return b.String()
	case EventApproval:
		if ev.Approval == nil {
			return "approval needed"
		}
		return fmt.Sprintf("approval needed (%s, %s): %s", ev.Approval.Kind, ev.Approval.Severity, ev.Approval.Title)
	case EventApproved:
		return fmt.Sprintf("answer: %s", ev.Decision)
	case EventStepStarted:
		return fmt.Sprintf("%s: started %s", ev.Step, ev.Message)
	case EventStepSkipped:
		return fmt.Sprintf("%s: skipped (%s)", ev.Step, ev.Message)
	case EventStepDone:
		return fmt.Sprintf("%s: done %s", ev.Step, ev.Message)
	case EventStepFailed:
		msg := ev.Message
		if ev.Error != nil {
			msg = ev.Error.Message
			if ev.Error.Meaning != "" {
				msg += " — " + ev.Error.Meaning
			}
		}
		return fmt.Sprintf("%s: FAILED: %s", ev.Step, msg)
	case EventProgress:
		return formatProgress(ev)
	case EventAPICall:
		if ev.Call == nil {
			return ""
		}
		c := ev.Call
		if !c.Mutating && c.OK() {
			return "" // reads are many; the text shows changes and failures
		}
		status := "ok"
		if !c.OK() {
			status = c.ErrorCode
		}
		return fmt.Sprintf("  api %s %s (%s, request %s)", c.Operation, status, c.Duration.Round(time.Millisecond), c.RequestID)
	case EventNotice:
		return "note: " + ev.Message
	case EventCompensation:
		return "compensation: " + ev.Message
	case EventProxyTraffic:
		return ev.Message
	case EventRunFinished:
		if ev.Finished == nil {
			return "finished"
		}
		f := ev.Finished
		var b strings.Builder
		fmt.Fprintf(&b, "finished: %s (exit %d), proxy %s", f.Outcome, f.ExitCode, f.ProxyState)
		if f.ProxylessWindowMS > 0 {
			fmt.Fprintf(&b, ", proxy-less window %s", (time.Duration(f.ProxylessWindowMS) * time.Millisecond).String())
		}
		if f.SwitchoverMS > 0 {
			fmt.Fprintf(&b, ", switchover %s", (time.Duration(f.SwitchoverMS) * time.Millisecond).String())
		}
		b.WriteString(OutageLines(f.ProxyOutages, f.ProxyOutageTotalMS, "\n  "))
		keys := make([]string, 0, len(f.Renames))
		for k := range f.Renames {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\n  renamed %s → %s", k, f.Renames[k])
		}
		if f.OldBlue != nil {
			b.WriteString("\n  " + f.OldBlue.Note)
		}
		if f.Probe != nil {
			b.WriteString("\n  " + f.Probe.String())
		}
		for _, sm := range f.Metrics {
			if sm.MinClientConnections != nil && *sm.MinClientConnections == 0 {
				fmt.Fprintf(&b, "\n  CloudWatch: a whole minute without client connections during %s", sm.Step)
			}
		}
		if ev.Message != "" {
			b.WriteString("\n  " + ev.Message)
		}
		for _, l := range f.LeftoverLines() {
			b.WriteString("\n  left in AWS: " + l)
		}
		if f.Green != nil && f.Green.Lag != "" {
			b.WriteString("\n  green's lag: " + f.Green.Lag)
		}
		if f.FinalSnapshot != "" {
			b.WriteString("\n  final snapshot: " + f.FinalSnapshot)
		}
		if f.JournalPath != "" {
			b.WriteString("\n  journal: " + f.JournalPath)
		}
		if f.RunbookPath != "" {
			b.WriteString("\n  runbook: " + f.RunbookPath)
		}
		return b.String()
	}
	return ev.Message
}

func formatProgress(ev Event) string {
	p := ev.Progress
	if p == nil {
		return ""
	}
	var parts []string
	if p.DeploymentStatus != "" {
		parts = append(parts, "deployment "+p.DeploymentStatus)
	}
	for _, t := range p.Tasks {
		parts = append(parts, fmt.Sprintf("%s %s", t.Name, t.Status))
	}
	for _, m := range p.Members {
		parts = append(parts, fmt.Sprintf("%s %s", lastField(m.Source), m.Status))
	}
	for _, t := range p.ProxyTargets {
		parts = append(parts, fmt.Sprintf("proxy %s→%s %s", t.ProxyName, t.RdsResourceID, t.Health.State))
	}
	for _, i := range p.Instances {
		parts = append(parts, fmt.Sprintf("%s %s", i.ID, i.Status))
	}
	if p.ProxylessSince != nil {
		parts = append(parts, "proxy empty since "+p.ProxylessSince.UTC().Format("15:04:05"))
	}
	if r := p.Retry; r != nil {
		parts = append(parts, fmt.Sprintf("failing for %s (%d attempts: %s); next try in %s", r.Failing.Round(time.Second), r.Attempts, r.Error, r.NextIn.Round(time.Second)))
	}
	return fmt.Sprintf("%s: waiting for %s: %s", ev.Step, p.Waiting, strings.Join(parts, ", "))
}

// lastField is the resource name of an ARN (or the string itself).
func lastField(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
