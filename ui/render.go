package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// Pure renderers (k9s's render layer): data in, string out, no model state,
// so each is testable on its own and every screen draws tables the same way.

// renderTable draws a compact table: a header rule, no outer frame, cells
// never wrapped (a wrapped cell at 80 columns is unreadable), shrunk to width
// only when it does not fit.
//
// A table that fits is drawn directly, producing the same bytes as
// lipgloss's table (TestFastTableMatchesLipgloss): the progress screen
// redraws its tables on every poll and lipgloss's general layout costs
// several milliseconds for a large Aurora cluster (docs/performance.md).
// Tables that must shrink, or with multi-line cells, go through lipgloss.
func renderTable(st Styles, width int, headers []string, rows [][]string, cell func(row, col int) cellStyle) string {
	return renderTableOr(st, width, headers, rows, cell, nil)
}

// renderTableOr is renderTable with a narrow layout: when the table's
// natural width exceeds width, narrow (when set) draws it instead of
// lipgloss's shrinking, which cuts cells (table_fit.go).
func renderTableOr(st Styles, width int, headers []string, rows [][]string, cell func(row, col int) cellStyle, narrow func() string) string {
	cw := cellWidths{}
	widths, ok := naturalWidths(headers, rows, cw)
	if ok && tableWidth(widths) <= width {
		if out, ok := drawTable(st, widths, cw, headers, rows, cell); ok {
			return out
		}
	} else if ok && narrow != nil {
		return narrow()
	}
	return lipglossTable(st, width, headers, rows, cell)
}

// lipglossTable is renderTable through lipgloss's table, which also knows
// how to shrink columns.
func lipglossTable(st Styles, width int, headers []string, rows [][]string, cell func(row, col int) cellStyle) string {
	t := table.New().
		Border(lipgloss.NormalBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderColumn(false).BorderHeader(true).
		BorderStyle(st.Border).
		Wrap(false).
		Headers(headers...).
		Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			base := lipgloss.NewStyle()
			if row == table.HeaderRow {
				base = st.TableHead
			} else if cell != nil {
				base = cell(row, col).style
			}
			if col < len(headers)-1 {
				base = base.PaddingRight(2)
			}
			return base
		})
	out := t.String()
	if lipgloss.Width(out) > width {
		out = t.Width(width).String()
	}
	return out
}

// naturalWidths is each column's widest cell; false when a row does not
// match the headers or a cell spans several lines.
func naturalWidths(headers []string, rows [][]string, cw cellWidths) ([]int, bool) {
	widths := make([]int, len(headers))
	measure := func(cells []string) bool {
		if len(cells) != len(headers) {
			return false
		}
		for i, c := range cells {
			if strings.ContainsAny(c, "\n\t\x1b") {
				return false
			}
			widths[i] = max(widths[i], cw.of(c))
		}
		return true
	}
	if !measure(headers) {
		return nil, false
	}
	for _, r := range rows {
		if !measure(r) {
			return nil, false
		}
	}
	return widths, true
}

// cellWidths measures the display width of plain cell text, remembering
// the non-ASCII cells ("—", "→", "•" repeat on every row): grapheme
// segmentation is the costly part of measuring.
type cellWidths map[string]int

func (m cellWidths) of(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			w, ok := m[s]
			if !ok {
				w = ansi.StringWidth(s)
				m[s] = w
			}
			return w
		}
	}
	return len(s)
}

// tableWidth is the drawn width: two spaces after every column but the last.
func tableWidth(widths []int) int {
	w := 2 * (len(widths) - 1)
	for _, c := range widths {
		w += c
	}
	return w
}

// drawTable lays out a table whose cells fit at their natural widths. It
// declines (false) a cell style that colours the whitespace around its
// text (reverse video, a background, padding or a width): lipgloss pads
// such cells with styled spaces, which only lipgloss reproduces.
func drawTable(st Styles, widths []int, cw cellWidths, headers []string, rows [][]string, cell func(row, col int) cellStyle) (string, bool) {
	var b strings.Builder
	b.Grow((len(rows) + 2) * (tableWidth(widths) + 16))
	rendered := map[string]string{} // by cellStyle.key and text
	line := func(cells []string, style func(col int) cellStyle) bool {
		for col, c := range cells {
			pad := widths[col] - cw.of(c)
			if col < len(cells)-1 {
				pad += 2
			}
			s := style(col)
			switch {
			case !s.set:
				// An unstyled cell renders as itself (naturalWidths
				// excluded tabs, the only thing Render would change); most
				// cells are unstyled and Render costs a microsecond each.
				b.WriteString(c)
			case s.key != "":
				k := s.key + "\x00" + c
				out, seen := rendered[k]
				if !seen {
					if !plainWhitespace(s.style) {
						return false
					}
					out = s.style.Render(c)
					rendered[k] = out
				}
				b.WriteString(out)
			case !plainWhitespace(s.style):
				return false
			default:
				b.WriteString(s.style.Render(c))
			}
			b.WriteString(strings.Repeat(" ", pad))
		}
		return true
	}
	if !line(headers, func(int) cellStyle { return styled(st.TableHead) }) {
		return "", false
	}
	b.WriteByte('\n')
	for col, w := range widths {
		if col < len(widths)-1 {
			w += 2
		}
		b.WriteString(st.Border.Render(strings.Repeat("─", w)))
	}
	for row, cells := range rows {
		b.WriteByte('\n')
		ok := line(cells, func(col int) cellStyle {
			if cell == nil {
				return cellStyle{}
			}
			return cell(row, col)
		})
		if !ok {
			return "", false
		}
	}
	return b.String(), true
}

// plainWhitespace: the style leaves the spaces around its text unstyled.
func plainWhitespace(s lipgloss.Style) bool {
	_, noBackground := s.GetBackground().(lipgloss.NoColor)
	top, right, bottom, left := s.GetPadding()
	mt, mr, mb, ml := s.GetMargin()
	return noBackground && !s.GetReverse() && s.GetWidth() == 0 && s.GetHeight() == 0 &&
		top+right+bottom+left+mt+mr+mb+ml == 0
}

// cellStyle is a table cell's style; the zero value is "unstyled": the
// text is drawn as is, without a call to Render (what reflect decided in
// the first version).
type cellStyle struct {
	style lipgloss.Style
	set   bool
	// key, when set, names the style exactly (two cells with the same key
	// have the same style), so drawTable renders each (key, text) once per
	// table: a poll's 51 proxy targets share a handful of states, and
	// Render is most of the frame's cost (docs/performance.md).
	key string
}

func styled(s lipgloss.Style) cellStyle { return cellStyle{style: s, set: true} }

// memberCell is a switchover member's cell: the status style in the status
// column, with the Changed style on top while the member has just changed.
func memberCell(st Styles, status string, statusCol, changed bool) cellStyle {
	var s cellStyle
	if statusCol {
		s = statusCell(st, status)
	}
	if changed {
		s = cellStyle{style: s.style.Inherit(st.Changed), set: true, key: "changed\x00" + s.key}
	}
	return s
}

// statusCell is a cell styled by an AWS status alone.
func statusCell(st Styles, status string) cellStyle {
	return cellStyle{style: statusStyle(st, status), set: true, key: "status\x00" + status}
}

// shortARN turns arn:aws:rds:region:acct:db:orders-db into orders-db; other
// strings pass through. Full ARNs do not fit at 80 columns and the operator
// knows resources by name.
func shortARN(arn string) string { return contract.ShortARN(arn) }

// formatDuration prints 4s, 2m05s, 1h02m03s: compact and fixed-format so
// timers do not jitter in width.
func formatDuration(d time.Duration) string { return contract.FormatDuration(d) }

// formatClock prints a timer as MM:SS (or H:MM:SS): the big critical-section
// display.
func formatClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", m, s)
}

// renderTasks draws the deployment's Tasks with the time in status.
func renderTasks(st Styles, width int, tasks []contract.TaskRow) string {
	rows := make([][]string, len(tasks))
	for i, t := range tasks {
		in := formatDuration(t.InStatus)
		if t.AtLeast {
			in = "≥" + in // first read already in this status (D18)
		}
		rows[i] = []string{t.Name, t.Status, in}
	}
	return renderTable(st, width, []string{"TASK", "STATUS", "IN STATUS"}, rows, func(row, col int) cellStyle {
		if col == 1 {
			return statusCell(st, tasks[row].Status)
		}
		return cellStyle{}
	})
}

// memberKey identifies a switchover member across polls.
func memberKey(m contract.SwitchoverMember) string { return m.Source }

// renderMembers draws SwitchoverDetails; rows whose status changed since the
// previous progress snapshot are marked, so the eye finds the movement.
func renderMembers(st Styles, width int, members []contract.SwitchoverMember, changed map[string]bool) string {
	rows := make([][]string, len(members))
	for i, m := range members {
		mark, target := memberCells(m, changed) // table_fit.go
		rows[i] = []string{mark, shortARN(m.Source), "→", target, orDash(m.Status)}
	}
	headers := []string{" ", "BLUE (SOURCE)", " ", "GREEN (TARGET)", "STATUS"}
	narrow := func() string { return stackedMembers(st, width, members, changed) } // table_fit.go
	return renderTableOr(st, width, headers, rows, func(row, col int) cellStyle {
		return memberCell(st, members[row].Status, col == 4, changed[memberKey(members[row])] && col != 2)
	}, narrow)
}

// renderProxyTargets draws the proxy targets with health.
func renderProxyTargets(st Styles, width int, targets []contract.ProxyTarget) string {
	if len(targets) == 0 {
		return st.Bad.Render("no proxy target registered")
	}
	rows := make([][]string, len(targets))
	for i, t := range targets {
		reason := t.Health.Reason
		if reason == "" {
			reason = t.Health.Description
		}
		rows[i] = []string{t.ProxyName, orDash(t.RdsResourceID), t.Type, orDash(t.Role), orDash(t.Health.State), orDash(reason)}
	}
	headers := []string{"PROXY", "TARGET", "TYPE", "ROLE", "HEALTH", "REASON"}
	narrow := func() string { return compactProxyTargets(st, width, targets) } // table_fit.go
	return renderTableOr(st, width, headers, rows, func(row, col int) cellStyle {
		if col == 4 {
			return statusCell(st, targets[row].Health.State)
		}
		return cellStyle{}
	}, narrow)
}

// renderInstances draws instance and cluster statuses.
func renderInstances(st Styles, width int, inst []contract.InstanceRow) string {
	rows := make([][]string, len(inst))
	for i, r := range inst {
		rows[i] = []string{r.ID, r.Status}
	}
	return renderTable(st, width, []string{"RESOURCE", "STATUS"}, rows, func(row, col int) cellStyle {
		if col == 1 {
			return statusCell(st, inst[row].Status)
		}
		return cellStyle{}
	})
}

// renderCalls draws the API-call panel, newest last.
func renderCalls(st Styles, width int, calls []contract.Call) string {
	if len(calls) == 0 {
		return st.Muted.Render("no AWS API call yet")
	}
	rows := make([][]string, len(calls))
	for i, c := range calls {
		rows[i] = []string{c.Operation, contract.FormatMillis(c.Duration), orDash(c.RequestID), contract.CallOutcome(c)}
	}
	return renderTable(st, width, []string{"OPERATION", "TIME", "REQUEST ID", "OUTCOME"}, rows, func(row, col int) cellStyle {
		if col == 3 {
			if calls[row].AsIntended() { // a probe's expected refusal is not red
				return styled(st.OK)
			}
			return styled(st.Bad)
		}
		return cellStyle{}
	})
}

// renderTimeline draws the summary's step timeline.
func renderTimeline(st Styles, width int, entries []contract.TimelineEntry) string {
	rows := make([][]string, len(entries))
	for i, e := range entries {
		started := "—"
		if !e.Started.IsZero() {
			started = e.Started.UTC().Format("15:04:05")
		}
		outcome := e.Outcome
		if e.ApprovalWait >= time.Second {
			// The operator's answer time, apart from the step's work.
			outcome += " (answered after " + formatDuration(e.ApprovalWait) + ")"
		}
		rows[i] = []string{string(e.Step), started, formatDuration(e.Duration), outcome}
	}
	return renderTable(st, width, []string{"STEP", "STARTED", "DURATION", "OUTCOME"}, rows, func(row, col int) cellStyle {
		if col == 3 {
			return statusCell(st, entries[row].Outcome)
		}
		return cellStyle{}
	})
}

// renderRenames draws the before → after name map, sorted for a stable view.
func renderRenames(st Styles, width int, renames map[string]string) string {
	keys := make([]string, 0, len(renames))
	for k := range renames {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][]string, len(keys))
	for i, k := range keys {
		rows[i] = []string{k, "→", renames[k]}
	}
	return renderTable(st, width, []string{"BEFORE", " ", "AFTER"}, rows, nil)
}

// renderChecks draws preflight rows; explanation and remediation go under
// each failing or warning row, where the operator needs them.
func renderChecks(st Styles, width int, checks []contract.CheckResult) string {
	var b strings.Builder
	for _, c := range checks {
		var mark string
		switch c.Status {
		case contract.CheckPass:
			mark = st.OK.Render("✓ pass")
		case contract.CheckWarn:
			mark = st.Warn.Render("! warn")
		case contract.CheckNotRun:
			mark = st.Warn.Render("– not run")
		default:
			mark = st.Bad.Render("✗ fail")
		}
		b.WriteString(mark + "  " + st.Bold.Render(c.Title) + "\n")
		indent := lipgloss.NewStyle().PaddingLeft(8).Width(width)
		if c.Explanation != "" && c.Status != contract.CheckPass {
			b.WriteString(indent.Render(c.Explanation) + "\n")
		}
		if c.Remediation != "" && c.Status != contract.CheckPass {
			b.WriteString(indent.Render("→ "+c.Remediation) + "\n")
		}
		if c.SQL != "" && c.Status != contract.CheckPass {
			// The database checks: the SQL, so the DBA can run it by hand.
			b.WriteString(indent.Render(st.Muted.Render("SQL: "+strings.Join(strings.Fields(c.SQL), " "))) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func statusStyle(st Styles, status string) lipgloss.Style {
	switch classifyStatus(status) {
	case statusGood:
		return st.OK
	case statusBusy:
		return st.Warn
	case statusBadClass:
		return st.Bad
	}
	return lipgloss.NewStyle()
}

func orDash(s string) string { return contract.OrDash(s) }

// wrap fits prose to width, breaking only at spaces (a flag such as
// --switchover-timeout must never be split at its hyphens); a word longer
// than the width is cut hard.
func wrap(width int, s string) string {
	if width < 1 {
		width = 1
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		// Keep a paragraph's indentation (numbered lists in approval text).
		lead := para[:len(para)-len(strings.TrimLeft(para, " "))]
		if len(lead) >= width {
			lead = ""
		}
		line, lineW := lead, len(lead)
		for _, word := range strings.Fields(para) {
			ww := ansi.StringWidth(word)
			if lineW > len(lead) && lineW+1+ww > width {
				out = append(out, line)
				line, lineW = "", 0
			}
			if lineW > len(lead) {
				line += " "
				lineW++
			}
			line += word
			lineW += ww
		}
		out = append(out, ansi.Hardwrap(line, width, true))
	}
	return strings.Join(out, "\n")
}

// renderCLI draws AWS CLI commands, one per block, wrapped to width.
func renderCLI(st Styles, width int, cli []string) string {
	if len(cli) == 0 {
		return st.Muted.Render("(no AWS call: this step only reads or checks)")
	}
	// Laid out to still run when pasted: breaks between words only, with
	// a backslash at each line's end (steps.ShellLines).
	var lines []string
	for _, c := range cli {
		for i, l := range contract.ShellLines(c, width-2) {
			prefix := "  "
			if i == 0 {
				prefix = "$ "
			}
			lines = append(lines, st.CLI.Render(prefix+l))
		}
	}
	return strings.Join(lines, "\n")
}

// wrapIndented wraps s after a label, continuation lines indented under the
// text rather than the label (wrapped lines kept their indent nowhere).
func wrapIndented(width int, label, s string) string {
	pad := ansi.StringWidth(label)
	if width-pad < 20 {
		return wrap(width, label+s)
	}
	lines := strings.Split(wrap(width-pad, s), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = label + lines[i]
		} else {
			lines[i] = strings.Repeat(" ", pad) + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}
