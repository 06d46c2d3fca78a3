package contract

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The words of events, written once. Every text output reads them here:
// --output text (NewTextSink), plain mode (ui/plain.go), the wizard's
// panels (a call's outcome, a duration) and `rdsbg plan` (the preflight
// rows). The outputs lay the same facts out differently (a log line a
// script can grep, lines for a person at a terminal, a plan, a markdown
// runbook), so each fact is worded by one function that knows the layouts.

// Layout is how a text output lays events out.
type Layout int

// The layouts.
const (
	// LayoutLog is --output text: one timestamped line an event.
	LayoutLog Layout = iota
	// LayoutPlain is plain mode: lines for the operator at a terminal.
	LayoutPlain
	// LayoutPlan is `rdsbg plan`'s text output.
	LayoutPlan
	// LayoutMarkdown is `rdsbg plan --output markdown`, a runbook.
	LayoutMarkdown
)

// EventLine is one event for --output text, without its timestamp; "" for
// an event not worth a line. Progress is not deduplicated here: the writer
// keeps that memory (NewTextSink).
func EventLine(ev Event) string {
	switch ev.Type {
	case EventRunStarted:
		return "run started: " + ev.Message
	case EventPreflight:
		return "preflight:" + CheckLines(ev.Checks, LayoutLog)
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
		return fmt.Sprintf("%s: %s (%s)", ev.Step, skippedWord(ev), ev.Message)
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
		if ev.Progress == nil {
			return ""
		}
		return fmt.Sprintf("%s: waiting for %s: %s", ev.Step, ev.Progress.Waiting, ProgressLine(*ev.Progress, LayoutLog))
	case EventAPICall:
		if ev.Call == nil || !CallWorthALine(*ev.Call) {
			return ""
		}
		return CallLine(*ev.Call, LayoutLog)
	case EventNotice:
		return "note: " + ev.Message
	case EventCompensation:
		return "compensation: " + ev.Message
	case EventProxyTraffic:
		return ev.Message
	case EventDBSchemaChanged:
		return "DATABASE: " + ev.Message
	case EventRunFinished:
		if ev.Finished == nil {
			return "finished"
		}
		return finishedLog(*ev.Finished, ev.Message)
	}
	return ev.Message
}

// PlainText is one event for plain mode: whole lines, each timestamped
// where plain mode stamps them, "" for an event it does not show. The
// writer keeps the memory: it drops a progress line that repeats the last
// (ProgressLine), and heads the summary of a run whose input ended
// (PlainSummary).
func PlainText(ev Event) string {
	ts := ev.Time.UTC().Format("15:04:05")
	switch ev.Type {
	case EventRunStarted:
		return fmt.Sprintf("%s run started %s\n", ts, ev.Message)
	case EventPreflight:
		var b strings.Builder
		for _, c := range ev.Checks {
			b.WriteString(ts + " " + CheckLine(c, LayoutPlain))
		}
		return b.String()
	case EventPlanReady:
		if ev.Plan != nil {
			return fmt.Sprintf("%s plan ready\n%s\n", ts, strings.TrimRight(RenderText(*ev.Plan), "\n"))
		}
	case EventStepStarted:
		return fmt.Sprintf("%s step %s started %s\n", ts, ev.Step, ev.Message)
	case EventStepSkipped:
		return fmt.Sprintf("%s step %s %s %s\n", ts, ev.Step, skippedWord(ev), ev.Message)
	case EventStepDone:
		return fmt.Sprintf("%s step %s done %s\n", ts, ev.Step, ev.Message)
	case EventStepFailed:
		s := fmt.Sprintf("%s step %s FAILED %s\n", ts, ev.Step, ev.Message)
		if ev.Error != nil {
			s += ErrorLines(*ev.Error)
		}
		return s
	case EventProgress:
		if ev.Progress != nil {
			return fmt.Sprintf("%s   %s\n", ts, ProgressLine(*ev.Progress, LayoutPlain))
		}
	case EventAPICall:
		// Reads are polled every second or so; only changes and failures
		// are worth a line.
		if c := ev.Call; c != nil && CallWorthALine(*c) {
			return fmt.Sprintf("%s   %s\n", ts, CallLine(*c, LayoutPlain))
		}
	case EventNotice, EventCompensation:
		return fmt.Sprintf("%s %s: %s\n", ts, ev.Type, ev.Message)
	case EventProxyTraffic:
		return fmt.Sprintf("%s %s\n", ts, ev.Message) // one line at each change of what a proxy serves
	case EventDBSchemaChanged:
		return fmt.Sprintf("%s DATABASE: %s\n", ts, ev.Message)
	case EventRunFinished:
		if ev.Finished != nil {
			return PlainSummary(*ev.Finished, false)
		}
	}
	return ""
}

// skippedWord says why a step had nothing to do: its effect is there
// already, or it does not apply.
func skippedWord(ev Event) string {
	if ev.StepOutcome == SkippedAlreadyDone {
		return "already done"
	}
	return "skipped"
}

// CheckLines are preflight rows in layout: LayoutLog and LayoutPlain are
// the rows alone (plain mode stamps each row, PlainText), LayoutPlan is
// `rdsbg plan`'s block, LayoutMarkdown its table.
func CheckLines(checks []CheckResult, layout Layout) string {
	var b strings.Builder
	switch layout {
	case LayoutMarkdown:
		b.WriteString("\n## Preflight\n\n| status | check | explanation | remediation |\n|---|---|---|---|\n")
	case LayoutPlan:
		b.WriteString("Preflight\n")
	}
	for _, c := range checks {
		b.WriteString(CheckLine(c, layout))
	}
	if layout == LayoutPlan {
		b.WriteString("\n")
	}
	return b.String()
}

// CheckLine is one preflight row: its status, title and explanation, and
// the fix where it fails or warns.
func CheckLine(c CheckResult, layout Layout) string {
	var b strings.Builder
	switch layout {
	case LayoutLog:
		fmt.Fprintf(&b, "\n  [%s] %s — %s", c.Status, c.Title, c.Explanation)
		if c.Remediation != "" && c.Status != CheckPass {
			fmt.Fprintf(&b, " (fix: %s)", c.Remediation)
		}
		if c.SQL != "" && c.Status != CheckPass {
			fmt.Fprintf(&b, " (sql: %s)", strings.Join(strings.Fields(c.SQL), " "))
		}
	case LayoutPlain:
		fmt.Fprintf(&b, "preflight %-4s %s\n", c.Status, c.Title)
		if c.Status != CheckPass {
			if c.Explanation != "" {
				fmt.Fprintf(&b, "         %s\n", c.Explanation)
			}
			if c.Remediation != "" {
				fmt.Fprintf(&b, "         fix: %s\n", c.Remediation)
			}
			if c.SQL != "" {
				fmt.Fprintf(&b, "         sql: %s\n", strings.Join(strings.Fields(c.SQL), " "))
			}
		}
	case LayoutMarkdown:
		remedy := c.Remediation
		if c.SQL != "" {
			// The database checks: the SQL, so a DBA can run it by hand.
			remedy += fmt.Sprintf("<br>SQL: `%s`<br>Source: %s", strings.Join(strings.Fields(c.SQL), " "), c.Source)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Status, c.Title, c.Explanation, remedy)
	default: // LayoutPlan
		fmt.Fprintf(&b, "  [%-4s] %s: %s\n", c.Status, c.Title, c.Explanation)
		if c.Status != CheckPass && c.Remediation != "" {
			fmt.Fprintf(&b, "         fix: %s\n", c.Remediation)
		}
		if c.Status != CheckPass && c.SQL != "" {
			fmt.Fprintf(&b, "         sql: %s\n         source: %s\n", strings.Join(strings.Fields(c.SQL), " "), c.Source)
		}
	}
	return b.String()
}

// CheckTally counts preflight rows by status; a check that did not run
// counts as a warning, never as passed.
func CheckTally(checks []CheckResult) (pass, warn, fail int) {
	for _, c := range checks {
		switch c.Status {
		case CheckPass:
			pass++
		case CheckWarn, CheckNotRun:
			warn++
		default:
			fail++
		}
	}
	return pass, warn, fail
}

// ProgressLine condenses a progress snapshot: deployment status, tasks,
// members, proxy health, instances, the proxy-less timer (and, in the
// log, a retry under way).
func ProgressLine(p Progress, layout Layout) string {
	var parts []string
	if p.DeploymentStatus != "" {
		parts = append(parts, "deployment "+p.DeploymentStatus)
	}
	if layout == LayoutLog {
		for _, t := range p.Tasks {
			parts = append(parts, fmt.Sprintf("%s %s", t.Name, t.Status))
		}
		for _, m := range p.Members {
			parts = append(parts, fmt.Sprintf("%s %s", ARNName(m.Source), m.Status))
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
		return strings.Join(parts, ", ")
	}
	for _, t := range p.Tasks {
		parts = append(parts, t.Name+"="+t.Status)
	}
	for _, m := range p.Members {
		parts = append(parts, ShortARN(m.Source)+"→"+OrDash(ShortARN(m.Target))+"="+OrDash(m.Status))
	}
	for _, t := range p.ProxyTargets {
		parts = append(parts, "proxy "+t.ProxyName+":"+t.RdsResourceID+"="+t.Health.State)
	}
	for _, i := range p.Instances {
		parts = append(parts, i.ID+"="+i.Status)
	}
	if p.ProxylessSince != nil {
		parts = append(parts, "PROXY HAS NO TARGET")
	}
	if len(parts) == 0 && p.Waiting != "" {
		parts = append(parts, "waiting for "+p.Waiting)
	}
	return strings.Join(parts, " · ")
}

// CallWorthALine: the text outputs show changes and failures; reads are
// many.
func CallWorthALine(c Call) bool { return c.Mutating || !c.OK() }

// CallLine is one AWS call.
func CallLine(c Call, layout Layout) string {
	if layout == LayoutLog {
		status := "ok"
		if !c.OK() {
			status = CallOutcome(c)
		}
		return fmt.Sprintf("  api %s %s (%s, request %s)", c.Operation, status, c.Duration.Round(time.Millisecond), c.RequestID)
	}
	return fmt.Sprintf("AWS %s %s request %s: %s", c.Operation, FormatMillis(c.Duration), OrDash(c.RequestID), CallOutcome(c))
}

// CallOutcome is a call's result in a word: ok, the error code, or the
// HTTP status.
func CallOutcome(c Call) string {
	switch {
	case c.Expected != "":
		// A permission probe's deliberate call: its refusal is the answer
		// it asked for, and must not read as an error (steps/permprobe.go).
		return "expected " + c.ErrorCode + " (" + c.Expected + ")"
	case c.ErrorCode != "":
		return c.ErrorCode
	case !c.OK():
		return fmt.Sprintf("HTTP %d", c.HTTPStatus)
	}
	return "ok"
}

// ErrorLines are an error in the operator's words, for plain mode (a
// failed step, an approval after a failure).
func ErrorLines(e ErrorInfo) string {
	var b strings.Builder
	if e.Operation != "" || e.Code != "" {
		fmt.Fprintf(&b, "  AWS error: %s %s (request %s)\n", e.Operation, e.Code, OrDash(e.RequestID))
	}
	fmt.Fprintf(&b, "  %s\n", e.Message)
	if e.Meaning != "" {
		fmt.Fprintf(&b, "  What it means: %s\n", e.Meaning)
	}
	return b.String()
}

// ProxyStateWords says where the proxy ended up.
func ProxyStateWords(s string) string {
	switch s {
	case ProxyOnBlue:
		return "proxy points at blue (the original database)"
	case ProxyOnNewPrimary:
		return "proxy points at the new primary"
	case ProxyEmpty:
		return "PROXY HAS NO TARGET"
	case ProxyNotUsed:
		return "no proxy involved"
	}
	return "proxy state " + s
}

// PlainSummary is the run's summary for plain mode. noAnswer: the run
// stopped because the input ended before a question was answered (the
// process exits 2, so the engine's exit code would only contradict it).
func PlainSummary(f Finished, noAnswer bool) string {
	var b strings.Builder
	if noAnswer {
		fmt.Fprintf(&b, "Run stopped: no answer; %s\n", ProxyStateWords(f.ProxyState))
	} else {
		fmt.Fprintf(&b, "Run finished: %s (exit %d); %s\n", f.Outcome, f.ExitCode, ProxyStateWords(f.ProxyState))
	}
	if h := f.OutageHeadline(); h != "" {
		fmt.Fprintf(&b, "%s\n", upperFirst(h))
	}
	for _, w := range f.ProxyOutages {
		fmt.Fprintf(&b, "  %s\n", OutageLine(w))
	}
	if f.SwitchoverMS > 0 {
		fmt.Fprintf(&b, "Switchover: %s\n", FormatDuration(time.Duration(f.SwitchoverMS)*time.Millisecond))
	}
	for _, t := range f.Timeline {
		if t.ApprovalWait >= time.Second {
			fmt.Fprintf(&b, "  %-22s %-9s %s (answered after %s)\n", t.Step, FormatDuration(t.Duration), t.Outcome, FormatDuration(t.ApprovalWait))
			continue
		}
		fmt.Fprintf(&b, "  %-22s %-9s %s\n", t.Step, FormatDuration(t.Duration), t.Outcome)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Renames)) {
		fmt.Fprintf(&b, "  renamed %s → %s\n", k, f.Renames[k])
	}
	if f.OldBlue != nil {
		fmt.Fprintf(&b, "%s\n", f.OldBlue.Note)
	}
	for _, l := range f.LeftoverLines() {
		fmt.Fprintf(&b, "Left in AWS: %s\n", l)
	}
	for _, l := range f.DBFollowUpLines() { // dbchecks.go
		fmt.Fprintf(&b, "Database follow-up: %s\n", l)
	}
	if f.JournalPath != "" {
		fmt.Fprintf(&b, "Journal: %s\n", f.JournalPath)
	}
	if f.RunbookPath != "" {
		fmt.Fprintf(&b, "Runbook: %s\n", f.RunbookPath)
	}
	return b.String()
}

// finishedLog is the summary for --output text: one line, then its
// details indented below it.
func finishedLog(f Finished, message string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "finished: %s (exit %d), proxy %s", f.Outcome, f.ExitCode, f.ProxyState)
	if h := f.OutageHeadline(); h != "" {
		b.WriteString(", " + h)
	}
	if f.SwitchoverMS > 0 {
		fmt.Fprintf(&b, ", switchover %s", (time.Duration(f.SwitchoverMS) * time.Millisecond).String())
	}
	for _, w := range f.ProxyOutages {
		b.WriteString("\n  " + OutageLine(w))
	}
	for _, k := range slices.Sorted(maps.Keys(f.Renames)) {
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
			fmt.Fprintf(&b, "\n  CloudWatch: a minute that overlaps %s had no client connections", sm.Step)
		}
	}
	if message != "" {
		b.WriteString("\n  " + message)
	}
	for _, l := range f.LeftoverLines() {
		b.WriteString("\n  left in AWS: " + l)
	}
	for _, l := range f.DBFollowUpLines() { // dbchecks.go
		b.WriteString("\n  database follow-up: " + l)
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

// OutageHeadline is the run's one outage figure (outage.go), "" when no
// proxy is involved.
func (f Finished) OutageHeadline() string {
	if f.ProxyState == ProxyNotUsed && len(f.ProxyOutages) == 0 {
		return ""
	}
	return OutageHeadline(f.ProxyOutages)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// FormatDuration prints 4s, 2m05s, 1h02m03s: compact and fixed-format so
// timers do not jitter in width.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// FormatMillis prints a call's duration: 12ms.
func FormatMillis(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// ShortARN is the resource name of an ARN (anything else as it is).
func ShortARN(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return arn
	}
	parts := strings.Split(arn, ":")
	return parts[len(parts)-1]
}

// OrNoDetails is s, or "no details given" for AWS's empty status details.
func OrNoDetails(s string) string {
	if s == "" {
		return "no details given"
	}
	return s
}

// OrDash is s, or "—" for nothing.
func OrDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// ARNName is the resource name of an ARN (or the string itself).
func ARNName(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
