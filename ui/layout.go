package ui

import (
	"charm.land/bubbles/v2/key"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// The screen, top to bottom (k9s / lazygit style):
//
//	title bar                          source · account · region · profile
//	header line (w.header: the proxy traffic line, ui/traffic.go)
//	step rail │ body (a viewport)       or, narrower than railMinWidth:
//	                                    progress strip, then the body
//	pinned question (a pending confirmation's prompt: never below the fold)
//	footer (API panel, quit dialog)
//	help bar
//
// layout runs at the end of every Update and leaves the drawn pieces in
// w.frame; View only joins them, so View has no side effect.

// railMinWidth is the narrowest terminal that gets the step rail as a
// column; narrower terminals get the one-line progress strip.
const railMinWidth = 100

// railWidth is the rail column's width, its separator included.
const railWidth = 26

// frame is the last layout: every piece View joins.
type frame struct {
	title, header, strip, rail, pinned, footer, help string
	lines                                            []string // the body, split
}

// blankLines is reused across frames: see layout.
type blankLines = []string

// Update is the root's Update followed by the layout of the next frame.
func (w *wizard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := w.update(msg)
	w.layout()
	return m, cmd
}

// showsRail is true on the screens that run steps.
func (w *wizard) showsRail() bool {
	if w.phase != phaseRun || w.run.plan == nil {
		return false
	}
	switch w.front {
	case screenStep, screenCritical, screenError, screenSummary:
		return true
	}
	return false
}

// layout draws the frame for the current state and size.
func (w *wizard) layout() {
	c := w.common
	st := c.Styles
	w.plan.back = w.options != nil && w.cfg.Mode != "resume" && w.cfg.Mode != "abort"
	f := frame{title: w.titleBar()}
	if w.header != nil {
		f.header = truncate(w.header(), c.Width)
	}
	rail := w.showsRail() && c.Width >= railMinWidth
	if w.showsRail() && !rail && w.front != screenSummary {
		f.strip = renderStrip(c, w.run, w.askedStep())
	}
	c.BodyWidth = 0
	if rail {
		c.BodyWidth = c.Width - railWidth + 2 // no margin beside the rail
	}
	body := w.active().view()
	// The pending question is pinned above the help bar at full width;
	// when the whole box would crowd out the body, its text joins the
	// scrolling body and only the prompt is pinned.
	var pinned string
	if a, ok := w.active().(asker); ok {
		if q, showCLI := a.asking(); q != nil && !q.decided {
			c.BodyWidth = 0
			pinned = q.view(c, showCLI)
			promptOnly := false
			if p, ok := a.(interface{ promptOnly() bool }); ok {
				promptOnly = p.promptOnly()
			}
			if promptOnly || lipgloss.Height(pinned) > max(c.Height/2, 8) {
				if rail {
					c.BodyWidth = c.Width - railWidth + 2
				}
				body = strings.TrimRight(body, "\n") + "\n\n" + q.textView(c, showCLI)
				c.BodyWidth = 0
				pinned = q.promptView(c)
			}
		}
	}
	c.BodyWidth = 0
	var footer []string
	if w.showAPI {
		footer = append(footer, w.apiPanel())
	}
	if s := w.stopRestoringView(c); s != "" {
		footer = append(footer, s)
	}
	if w.quitAsk {
		footer = append(footer, w.quitDialog())
	} else if w.stopping {
		footer = append(footer, st.Warn.Render("Stopping: waiting for the engine to record where it is… (ctrl+c again to leave at once)"))
	}
	f.footer = strings.Join(footer, "\n")
	f.pinned = pinned
	f.help = w.help.View(w.helpKeys())

	used := 1 + lipgloss.Height(f.help)
	if w.reservesHeader() {
		used++
	}
	if f.strip != "" {
		used++
	}
	if f.pinned != "" {
		used += lipgloss.Height(f.pinned)
	}
	if f.footer != "" {
		used += lipgloss.Height(f.footer) + 1
	}
	height := max(c.Height-used, 3)

	bodyWidth := c.contentWidth()
	if rail {
		bodyWidth = c.Width - railWidth
	}
	if front := w.frontKey(); front != w.lastBody {
		w.lastBody = front
		w.body.SetYOffset(0)
	}
	w.body.SetWidth(bodyWidth)
	f.lines = strings.Split(strings.TrimRight(body, "\n"), "\n")
	// The viewport keeps the scroll state (offset, pages, clamping); it is
	// given blank lines of the same count because measuring every line's
	// width, for horizontal scrolling we do not use, costs more than the
	// rest of a frame. render cuts the real lines at its offset.
	if len(w.blank) < len(f.lines) {
		w.blank = make([]string, len(f.lines)*2)
	}
	w.body.SetContentLines(w.blank[:len(f.lines)])
	// The last line is the scroll hint when the body does not fit.
	w.body.SetHeight(height)
	if w.body.TotalLineCount() > height {
		w.body.SetHeight(height - 1)
	}
	w.body.SetYOffset(w.body.YOffset()) // clamp after a resize or a shorter body
	if rail {
		f.rail = renderRail(c, w.run, height)
	}
	w.frame = f
}

// askedStep is the step a pending question is about (it has not started
// yet), else the running step: the one the strip names.
func (w *wizard) askedStep() contract.StepID {
	if a, ok := w.active().(asker); ok {
		if q, _ := a.asking(); q != nil && !q.decided && q.approval.Step != "" {
			return q.approval.Step
		}
	}
	return w.run.current
}

// reservesHeader: the header line is kept during a run even when empty, so
// the screen does not jump when the traffic line appears.
func (w *wizard) reservesHeader() bool {
	return w.frame.header != "" || w.phase == phaseRun
}

// scrollHint says what is above and below the visible body, updated on
// every scroll.
func scrollHint(st Styles, vp viewport.Model) string {
	total, top, shown := vp.TotalLineCount(), vp.YOffset(), vp.VisibleLineCount()
	if total <= shown {
		return ""
	}
	below := max(total-top-shown, 0)
	var parts []string
	if top > 0 {
		parts = append(parts, fmt.Sprintf("↑ %d above", top))
	}
	if below > 0 {
		parts = append(parts, fmt.Sprintf("↓ %d below", below))
	}
	return st.Warn.Render(strings.Join(parts, " · ") + " · pgup/pgdn to scroll")
}

// render joins the frame's pieces; it changes nothing.
func (w *wizard) render() string {
	c := w.common
	f := w.frame
	var top []string
	top = append(top, f.title)
	if w.reservesHeader() {
		top = append(top, f.header)
	}
	if f.strip != "" {
		top = append(top, f.strip)
	}
	// The viewport keeps the scroll state; its visible lines are cut here
	// from the lines layout split (the viewport's own View pads every
	// line through lipgloss, several milliseconds at 160x50).
	off, h := w.body.YOffset(), w.body.Height()
	lines := w.frame.lines[min(off, len(w.frame.lines)):min(off+h, len(w.frame.lines))]
	if hint := scrollHint(c.Styles, w.body); hint != "" {
		lines = append(lines[:len(lines):len(lines)], hint)
	}
	if f.rail != "" {
		rail := strings.Split(f.rail, "\n")
		joined := make([]string, max(len(rail), len(lines)))
		for i := range joined {
			r := strings.Repeat(" ", railWidth)
			if i < len(rail) {
				r = rail[i]
			}
			if i < len(lines) {
				r += lines[i]
			}
			joined[i] = r
		}
		lines = joined
	}
	out := strings.Join(top, "\n") + "\n" + strings.Join(lines, "\n")
	if f.pinned != "" {
		out += "\n" + f.pinned
	}
	if f.footer != "" {
		out += "\n\n" + f.footer
	}
	pad := c.Height - lipgloss.Height(out) - lipgloss.Height(f.help)
	if pad > 0 {
		out += strings.Repeat("\n", pad)
	} else {
		out += "\n"
	}
	return out + f.help
}

// titleBar: the product, and on the right what the run acts on: the source,
// then the AWS account, region and profile, so a window in the wrong account
// shows it at a glance.
func (w *wizard) titleBar() string {
	c := w.common
	st := c.Styles
	title := w.cfg.Title
	if title == "" {
		title = "rdsbg · RDS blue/green with RDS Proxy"
	}
	var right []string
	switch {
	case w.run.plan != nil:
		right = append(right, w.run.plan.Source.ID)
	case w.options != nil:
		right = append(right, w.options.source.ID)
	}
	account, region := "", w.cfg.Region
	if w.run.plan != nil {
		if a := arnField(w.run.plan.Source.ARN, 4); a != "" {
			account = a
		}
		if w.run.plan.Source.Region != "" {
			region = w.run.plan.Source.Region
		}
	}
	if account != "" {
		right = append(right, account)
	}
	if region != "" {
		right = append(right, region)
	}
	if w.cfg.Profile != "" {
		right = append(right, "profile "+w.cfg.Profile)
	}
	r := strings.Join(right, " · ")
	// The title gives way first, then the right side.
	r = truncate(r, max(c.Width-20, 10))
	bar := st.Title.Render(truncate(title, max(c.Width-lipgloss.Width(r)-4, 8)))
	if gap := c.Width - lipgloss.Width(bar) - lipgloss.Width(r) - 1; gap > 0 && r != "" {
		bar += strings.Repeat(" ", gap) + st.Bold.Render(r)
	}
	return bar
}

// arnField is the n-th colon-separated field of an ARN (4 = account).
func arnField(arn string, n int) string {
	parts := strings.Split(arn, ":")
	if len(parts) <= n || parts[0] != "arn" {
		return ""
	}
	return parts[n]
}

// stepMark is a step's state as one symbol; the spinner for a running one.
func stepMark(st Styles, r *runState, id contract.StepID) string {
	switch r.statusOf(id) {
	case statusDone:
		return st.OK.Render("✓")
	case statusSkipped:
		return st.Muted.Render("–")
	case statusRunning:
		return st.Warn.Render(spinnerFrame(r.frame))
	case statusAwaiting:
		return st.Warn.Render("»")
	case statusFailed:
		return st.Bad.Render("✗")
	case statusInterrupted:
		return st.Warn.Render("■")
	}
	return st.Muted.Render("·")
}

// railLegend explains the rail's marks in the full help (?).
func railLegend() []key.Binding {
	mark := func(glyph, words string) key.Binding {
		return key.NewBinding(key.WithKeys(glyph), key.WithHelp(glyph, words))
	}
	return []key.Binding{mark("·", "step pending"), mark("»", "awaiting your answer"), mark("⠋", "running"), mark("✓", "done"),
		mark("–", "skipped (why: on its screen)"), mark("✗", "failed"), mark("■", "interrupted (resume re-reads it)")}
}

// stepDuration is how long id ran (or has been running); "" before it
// starts.
func stepDuration(r *runState, id contract.StepID) string {
	s := r.steps[id]
	if s == nil || s.started.IsZero() {
		return ""
	}
	end := r.now
	if !s.finished.IsZero() {
		end = s.finished
	}
	return formatDuration(end.Sub(s.started))
}

// renderRail draws the step rail: one block per planned step with its
// state, its actual duration and its expected range on AWS; the current
// step stands out. It is exactly height lines (or fewer when the plan is
// short), railWidth columns wide including the separator.
func renderRail(c *Common, r *runState, height int) string {
	st := c.Styles
	inner := railWidth - 3
	var lines []string
	lines = append(lines, st.Muted.Render(padRight("STEPS", inner)))
	var blocks [][]string // one block per step, so the rail scrolls by whole steps
	current := 0
	for _, ps := range r.plan.Steps {
		if ps.ID == r.current {
			current = len(blocks)
		}
		name := stepMark(st, r, ps.ID) + " " + truncate(string(ps.ID), inner-2)
		dur := stepDuration(r, ps.ID)
		e, hasRange := expectedFor(r.plan, ps.ID)
		// The duration shares the name's line when it fits; the range on
		// AWS has a line of its own.
		var block []string
		var facts []string
		if dur != "" && lipgloss.Width(name)+1+len(dur) <= inner {
			name = name + strings.Repeat(" ", inner-lipgloss.Width(name)-len(dur)) + dur
		} else if dur != "" {
			facts = append(facts, dur)
		}
		if ps.ID == r.current {
			name = st.Selected.Render(ansi.Strip(name))
		}
		block = append(block, name)
		// "6m30s of 12–35+ min": the time here against the range on AWS.
		if hasRange && len(facts) > 0 {
			facts[0] += " of " + e.short
		} else if hasRange {
			facts = append(facts, "AWS "+e.short)
		}
		if len(facts) > 0 {
			block = append(block, st.Muted.Render(truncate("  "+facts[0], inner)))
		}
		blocks = append(blocks, block)
	}
	// Keep the current step in view: drop whole steps from the top, then
	// from the bottom.
	count := func(bs [][]string) int {
		n := 0
		for _, b := range bs {
			n += len(b)
		}
		return n
	}
	first := 0
	for count(blocks[first:])+1 > height && first < current {
		first++
	}
	if first > 0 {
		lines = []string{st.Muted.Render(padRight(fmt.Sprintf("STEPS (%d above)", first), inner))}
	}
	for _, b := range blocks[first:] {
		if len(lines)+len(b) > height {
			break
		}
		lines = append(lines, b...)
	}
	sep := st.Border.Render("│")
	for i, l := range lines {
		lines[i] = padRight(l, inner) + " " + sep + " "
	}
	for len(lines) < height {
		lines = append(lines, strings.Repeat(" ", inner)+" "+sep+" ")
	}
	return strings.Join(lines, "\n")
}

// renderStrip is the rail in one line, for narrow terminals: a symbol per
// step, then the current step with its duration and range on AWS.
func renderStrip(c *Common, r *runState, id contract.StepID) string {
	st := c.Styles
	var marks strings.Builder
	for _, ps := range r.plan.Steps {
		marks.WriteString(stepMark(st, r, ps.ID))
	}
	if id == "" {
		return marks.String()
	}
	n, total := r.stepNumber(id)
	text := fmt.Sprintf(" %d/%d %s", n, total, id)
	if d := stepDuration(r, id); d != "" {
		text += " " + d
	}
	if e, ok := expectedFor(r.plan, id); ok {
		text += " · AWS " + e.short
	}
	return truncate(marks.String()+st.Bold.Render(text), c.Width)
}

// expectedLine is the current step's range on AWS with its source, for the
// step screen.
func expectedLine(c *Common, r *runState, id contract.StepID) string {
	e, ok := expectedFor(r.plan, id)
	if !ok {
		return ""
	}
	return c.Styles.Muted.Render(wrap(c.contentWidth(), "Expected on AWS: "+e.source))
}

func padRight(s string, w int) string {
	if d := w - lipgloss.Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// backToSources leaves the options form for the source list (esc): no AWS
// call was made for this source yet, so there is nothing to undo.
func (w *wizard) backToSources() tea.Cmd {
	w.phase, w.options = phaseSource, nil
	if len(w.source.sources) > 0 || w.source.loading && w.source.err == nil && w.source.requested {
		return nil
	}
	w.source.loading, w.source.requested = true, true
	list, ctx := w.be.listSources, w.ctx
	if list == nil {
		return nil
	}
	return func() tea.Msg {
		s, err := list(ctx)
		return sourcesLoadedMsg{sources: s, err: err}
	}
}
