package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rdsbg/rdsbg/fleet"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// The fleet screen (issue 25): one row per database of a fleet run, with
// the fleet's totals on top; Enter opens a database's own run screen (the
// rail, the traffic line and the live progress of its ordinary run), Esc
// comes back. The runs send their events through a feed the screen drains
// once per batch, so two hundred runs' polls cost one redraw, not two
// hundred; rendering does no I/O and draws only the rows in view.

// FleetConfig is what `rdsbg fleet run` gives the screen.
type FleetConfig struct {
	Plan *fleet.Plan
	// Run is the fleet's configuration; the screen sets its Sink (and
	// Confirm with ConfirmWaves).
	Run          fleet.RunConfig
	Clock        contract.Clock
	ConfirmWaves bool
	NoColor      bool
}

// WaveToken is what the operator types to start wave w.
func WaveToken(w fleet.Wave) string { return fmt.Sprintf("wave-%d", w.Number) }

// WaveQuestion says what starting wave w does, in the phase given
// ("prepare" or "switchover").
func WaveQuestion(p *fleet.Plan, w fleet.Wave, phase string) string {
	what := "prepare green for"
	if phase == "switchover" {
		what = "switch over"
	}
	detach := 0
	for _, i := range w.Databases {
		if p.Databases[i].Regime == contract.RegimeDetach {
			detach++
		}
	}
	q := fmt.Sprintf("Wave %d (%s) of fleet %s: %s %d databases, at most %d at once per account-Region.", w.Number, w.Name, p.ID, what, len(w.Databases), p.Policy.MaxConcurrency)
	if detach > 0 {
		q += fmt.Sprintf(" %d of them use the detach procedure: their proxies are EMPTY while AWS registers a target (about 5–7 min each time).", detach)
	}
	return q
}

// RunFleet runs the fleet behind the full-screen fleet view and returns
// the fleet's exit code. Leaving the screen stops the fleet: the runs are
// interrupted as `rdsbg run` is on Ctrl+C (a proxy rdsbg emptied gets its
// target back first), and the screen waits for them.
func RunFleet(ctx context.Context, cfg FleetConfig, in io.Reader, out io.Writer) (int, error) {
	if os.Getenv("NO_COLOR") != "" {
		cfg.NoColor = true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed := newFleetFeed()
	cfg.Run.Sink = feed.push
	var prog *tea.Program
	if cfg.ConfirmWaves {
		cfg.Run.Confirm = func(ctx context.Context, w fleet.Wave, phase string) (bool, error) {
			reply := make(chan bool, 1)
			prog.Send(waveAskMsg{wave: w, phase: phase, reply: reply})
			select {
			case ok := <-reply:
				return ok, nil
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
	}
	runner, err := fleet.NewRunner(cfg.Plan, cfg.Run)
	if err != nil {
		return contract.ExitUsage, err
	}
	m := newFleetModel(cfg, runner, feed)
	opts := []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(out), tea.WithContext(ctx)}
	if cfg.NoColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	prog = tea.NewProgram(m, opts...)
	done := make(chan fleet.Result, 1)
	go func() {
		res := runner.Run(ctx)
		done <- res
		prog.Send(fleetDoneMsg{res: res})
	}()
	_, perr := prog.Run()
	cancel()
	select {
	case res := <-done:
		fmt.Fprintln(out, "rdsbg fleet "+cfg.Plan.ID+": "+res.Line())
		return res.ExitCode(), nil
	case <-time.After(time.Second):
	}
	fmt.Fprintln(out, "rdsbg: stopping the fleet; every run stops safely (a proxy rdsbg emptied gets its target back first)")
	res := <-done
	fmt.Fprintln(out, "rdsbg fleet "+cfg.Plan.ID+": "+res.Line())
	if perr != nil && res.ExitCode() == 0 {
		return contract.ExitInterrupted, perr
	}
	return res.ExitCode(), nil
}

// fleetFeed collects the runs' updates between two frames.
type fleetFeed struct {
	mu      sync.Mutex
	pending []fleet.Update
	notify  chan struct{}
}

func newFleetFeed() *fleetFeed { return &fleetFeed{notify: make(chan struct{}, 1)} }

func (f *fleetFeed) push(u fleet.Update) {
	if u.Event.Type == contract.EventAPICall {
		return // the budget's counters say it; the rows need none
	}
	f.mu.Lock()
	f.pending = append(f.pending, u)
	f.mu.Unlock()
	select {
	case f.notify <- struct{}{}:
	default:
	}
}

func (f *fleetFeed) wait() tea.Cmd {
	return func() tea.Msg {
		<-f.notify
		f.mu.Lock()
		batch := f.pending
		f.pending = nil
		f.mu.Unlock()
		return fleetUpdatesMsg(batch)
	}
}

type (
	fleetUpdatesMsg []fleet.Update
	fleetDoneMsg    struct{ res fleet.Result }
	fleetTickMsg    struct{ now time.Time }
	waveAskMsg      struct {
		wave  fleet.Wave
		phase string
		reply chan bool
	}
)

// fleetRow is one database.
type fleetRow struct {
	index   int
	db      fleet.Database
	state   string
	run     *runState
	started time.Time
	// outage so far: closed windows, plus the open one while empty
	closedMS   int64
	emptySince *time.Time
	finishedMS int64
	finished   bool
}

func (r *fleetRow) apply(ev contract.Event) {
	switch ev.Type {
	case fleet.EventDatabase:
		r.state, _, _ = strings.Cut(ev.Message, ":")
		if r.state == fleet.StateRunning && r.started.IsZero() {
			r.started = ev.Time
		}
		return
	case contract.EventProxyTraffic:
		if ev.Traffic != nil {
			empty := ev.Traffic.Empty()
			switch {
			case empty && r.emptySince == nil:
				t := ev.Time
				r.emptySince = &t
			case !empty && r.emptySince != nil:
				r.closedMS += ev.Time.Sub(*r.emptySince).Milliseconds()
				r.emptySince = nil
			}
		}
	case contract.EventRunFinished:
		if ev.Finished != nil {
			r.finished, r.finishedMS, r.emptySince = true, ev.Finished.ProxyOutageTotalMS, nil
		}
	}
	r.run.apply(ev)
}

func (r *fleetRow) outage(now time.Time) time.Duration {
	if r.finished {
		return time.Duration(r.finishedMS) * time.Millisecond
	}
	ms := r.closedMS
	if r.emptySince != nil {
		ms += now.Sub(*r.emptySince).Milliseconds()
	}
	return time.Duration(ms) * time.Millisecond
}

// proxyWords is the row's proxy in the traffic line's words.
func (r *fleetRow) proxyWords(now time.Time) string {
	t := trafficOf(r.run)
	if t == nil || len(t.Proxies) == 0 {
		if len(r.db.Proxies) == 0 {
			return "no proxy"
		}
		return ""
	}
	for _, p := range t.Proxies {
		if p.EmptySince != nil {
			return "EMPTY " + formatClock(now.Sub(*p.EmptySince))
		}
	}
	p := t.Proxies[0]
	return servesWord(p.Serves) + " " + healthOr(p.Health)
}

func (r *fleetRow) lag() string {
	m := r.run.metrics
	if m == nil {
		return ""
	}
	for _, l := range m.Lines {
		if len(l.Points) == 0 {
			continue
		}
		switch l.Metric {
		case contract.MetricReplicaLag:
			return fmt.Sprintf("%.1f s", l.Last)
		case contract.MetricOldestReplicationSlotLag:
			return fmt.Sprintf("%.0f MiB", l.Last/(1<<20))
		}
	}
	return ""
}

func (r *fleetRow) eta(now time.Time) string {
	if r.state != fleet.StateRunning || r.started.IsZero() {
		return ""
	}
	left := r.db.Expected - now.Sub(r.started)
	if left < 0 {
		return fmt.Sprintf("+%dm late", int(-left.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("~%dm", int(left.Round(time.Minute)/time.Minute))
}

// outageWords is the row's outage so far, blank for a run not started.
func (r *fleetRow) outageWords(now time.Time) string {
	d := r.outage(now)
	if d == 0 && r.started.IsZero() {
		return ""
	}
	return formatClock(d)
}

func (r *fleetRow) step() string {
	if r.state != fleet.StateRunning {
		return ""
	}
	return string(r.run.current)
}

// Sort orders of the list.
var fleetSorts = []string{"wave", "name", "state", "outage", "eta"}

// fleetModel is the screen.
type fleetModel struct {
	cfg    FleetConfig
	runner *fleet.Runner
	feed   *fleetFeed
	common *Common

	rows     []*fleetRow
	order    []int // rows in view order (filtered, sorted)
	dirty    bool  // order needs recomputing
	cursor   int   // position in order
	sortBy   int
	filter   string
	typing   bool // the filter has the keys
	detail   int  // row index open, -1 for the list
	now      time.Time
	wave     string
	halted   string
	done     *fleet.Result
	stopping bool

	// budgets: the previous read, for calls per second
	lastRead  time.Time
	lastCount map[string]int64
	rates     map[string]float64

	ask      *waveAskMsg
	askInput string
}

func newFleetModel(cfg FleetConfig, runner *fleet.Runner, feed *fleetFeed) *fleetModel {
	m := &fleetModel{cfg: cfg, runner: runner, feed: feed, common: newCommon(cfg.NoColor), detail: -1, dirty: true,
		lastCount: map[string]int64{}, rates: map[string]float64{}}
	if cfg.Clock != nil {
		m.now = cfg.Clock.Now()
	}
	for i, d := range cfg.Plan.Databases {
		r := &fleetRow{index: i, db: d, state: fleet.StatePending, run: newRunState()}
		if len(d.Blocked) > 0 {
			r.state = fleet.StateBlocked
		}
		r.run.plan = d.Plan
		m.rows = append(m.rows, r)
	}
	return m
}

func (m *fleetModel) Init() tea.Cmd { return tea.Batch(m.feed.wait(), m.tick()) }

func (m *fleetModel) tick() tea.Cmd {
	clk := m.cfg.Clock
	return tea.Tick(500*time.Millisecond, func(time.Time) tea.Msg {
		if clk == nil {
			return fleetTickMsg{now: time.Now()}
		}
		return fleetTickMsg{now: clk.Now()}
	})
}

func (m *fleetModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.common.Width, m.common.Height = msg.Width, msg.Height
	case fleetUpdatesMsg:
		m.applyUpdates(msg)
		return m, m.feed.wait()
	case fleetTickMsg:
		m.now = msg.now
		m.readBudgets(msg.now)
		m.dirty = true
		return m, m.tick()
	case waveAskMsg:
		m.ask, m.askInput = &msg, ""
	case fleetDoneMsg:
		res := msg.res
		m.done = &res
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	}
	return m, nil
}

// applyUpdates folds a batch of the runs' events into the rows.
func (m *fleetModel) applyUpdates(batch []fleet.Update) {
	for _, u := range batch {
		ev := u.Event
		if ev.Time.After(m.now) {
			m.now = ev.Time
		}
		switch ev.Type {
		case fleet.EventWaveStarted:
			m.wave = ev.Message
		case fleet.EventHalted:
			m.halted = ev.Message
		}
		if u.Index >= 0 && u.Index < len(m.rows) {
			m.rows[u.Index].apply(ev)
		}
	}
	m.dirty = true
}

// readBudgets turns the pacers' counters into calls per second.
func (m *fleetModel) readBudgets(now time.Time) {
	if m.runner == nil {
		return
	}
	_, budgets := m.runner.Snapshot()
	el := now.Sub(m.lastRead).Seconds()
	for _, b := range budgets {
		if !m.lastRead.IsZero() && el > 0 {
			m.rates[b.Key] = float64(b.Admitted-m.lastCount[b.Key]) / el
		}
		m.lastCount[b.Key] = b.Admitted
	}
	m.lastRead = now
}

func (m *fleetModel) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()
	if m.ask != nil {
		switch k {
		case "enter":
			ok := strings.TrimSpace(m.askInput) == WaveToken(m.ask.wave)
			if !ok && m.askInput == "" {
				return nil
			}
			m.ask.reply <- ok
			m.ask = nil
		case "esc":
			m.ask.reply <- false
			m.ask = nil
		case "backspace":
			if m.askInput != "" {
				m.askInput = m.askInput[:len(m.askInput)-1]
			}
		case "ctrl+c":
			m.ask.reply <- false
			m.ask = nil
			return tea.Quit
		default:
			if t := msg.Text; t != "" {
				m.askInput += t
			}
		}
		return nil
	}
	if m.typing {
		switch k {
		case "enter", "esc":
			m.typing = false
		case "backspace":
			if m.filter != "" {
				m.filter = m.filter[:len(m.filter)-1]
			}
		default:
			if t := msg.Text; t != "" {
				m.filter += t
			}
		}
		m.dirty, m.cursor = true, 0
		return nil
	}
	switch k {
	case "ctrl+c", "q":
		if m.detail >= 0 && k == "q" {
			m.detail = -1
			return nil
		}
		m.stopping = true
		return tea.Quit
	case "esc":
		if m.detail >= 0 {
			m.detail = -1
		} else if m.filter != "" {
			m.filter, m.dirty = "", true
		}
	case "enter":
		if m.detail < 0 {
			m.refreshOrder()
			if m.cursor < len(m.order) {
				m.detail = m.order[m.cursor]
			}
		}
	case "/":
		if m.detail < 0 {
			m.typing = true
		}
	case "s":
		m.sortBy = (m.sortBy + 1) % len(fleetSorts)
		m.dirty = true
	case "up", "k":
		if m.cursor > 0 {
			m.cursor--
		}
	case "down", "j":
		m.refreshOrder()
		if m.cursor < len(m.order)-1 {
			m.cursor++
		}
	case "pgdown":
		m.refreshOrder()
		m.cursor = min(len(m.order)-1, m.cursor+m.listHeight())
	case "pgup":
		m.cursor = max(0, m.cursor-m.listHeight())
	}
	return nil
}

// refreshOrder filters and sorts the rows when something changed.
func (m *fleetModel) refreshOrder() {
	if !m.dirty {
		return
	}
	m.dirty = false
	m.order = m.order[:0]
	f := strings.ToLower(m.filter)
	for i, r := range m.rows {
		if f == "" || strings.Contains(strings.ToLower(r.db.Name()+" "+r.state+" "+r.step()+" "+r.db.Engine), f) {
			m.order = append(m.order, i)
		}
	}
	now := m.now
	by := fleetSorts[m.sortBy]
	sort.SliceStable(m.order, func(a, b int) bool {
		ra, rb := m.rows[m.order[a]], m.rows[m.order[b]]
		switch by {
		case "name":
			return ra.db.Source < rb.db.Source
		case "state":
			return stateRank(ra.state) < stateRank(rb.state)
		case "outage":
			return ra.outage(now) > rb.outage(now)
		case "eta":
			return ra.db.Expected-now.Sub(ra.started) > rb.db.Expected-now.Sub(rb.started)
		}
		if ra.db.Wave != rb.db.Wave {
			return ra.db.Wave < rb.db.Wave
		}
		return ra.db.Name() < rb.db.Name()
	})
	if m.cursor >= len(m.order) {
		m.cursor = max(0, len(m.order)-1)
	}
}

// stateRank puts what needs eyes first.
func stateRank(s string) int {
	switch s {
	case fleet.StateFailed:
		return 0
	case fleet.StateRunning:
		return 1
	case fleet.StateHeld:
		return 2
	case fleet.StateReady:
		return 3
	case fleet.StatePending:
		return 4
	case fleet.StateDone:
		return 5
	}
	return 6
}

func (m *fleetModel) listHeight() int { return max(3, m.common.Height-7) }

func (m *fleetModel) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}

func (m *fleetModel) render() string {
	if m.detail >= 0 {
		return m.renderDetail(m.rows[m.detail])
	}
	return m.renderList()
}

// header is the fleet's totals.
func (m *fleetModel) header() string {
	st := m.common.Styles
	counts := map[string]int{}
	var outage time.Duration
	for _, r := range m.rows {
		counts[r.state]++
		outage += r.outage(m.now)
	}
	title := st.Title.Render("rdsbg fleet " + m.cfg.Plan.ID)
	if m.wave != "" {
		title += " " + st.Muted.Render(m.wave)
	}
	worst, worstKey := 0.0, ""
	for k, v := range m.rates {
		if v > worst || worstKey == "" {
			worst, worstKey = v, k
		}
	}
	budget := m.cfg.Plan.Policy.Budget
	totals := fmt.Sprintf("%d done · %d ready · %d running · %s · %d blocked · %d held · %d pending",
		counts[fleet.StateDone], counts[fleet.StateReady], counts[fleet.StateRunning],
		fmt.Sprintf("%d failed", counts[fleet.StateFailed]), counts[fleet.StateBlocked], counts[fleet.StateHeld], counts[fleet.StatePending])
	out := "outage " + formatClock(outage)
	api := fmt.Sprintf("API %.1f/s of %d/s per account-Region", worst, budget)
	if worstKey != "" && worst > 0 {
		api += " (busiest " + worstKey + ")"
	}
	// Two lines that each fit 80 columns: the runs, then what they cost.
	costs := truncate(out+" · "+api, m.common.Width)
	if outage > 0 {
		costs = st.Bad.Render(costs)
	}
	totals = truncate(totals, m.common.Width)
	if counts[fleet.StateFailed] > 0 {
		totals = st.Bad.Render(totals)
	}
	return title + "\n" + totals + "\n" + costs
}

// fleetColumns: what changes comes first, so that a narrow terminal cuts
// the account and Region (the same for many rows), not the state.
const fleetColumns = "%-14s %4s %-7s %-18s %-18s %6s %7s %8s %-12s %s"

func (m *fleetModel) renderList() string {
	st := m.common.Styles
	w := m.common.Width
	m.refreshOrder()
	var b strings.Builder
	b.WriteString(m.header() + "\n")
	b.WriteString(st.TableHead.Render(truncate(fmt.Sprintf(fleetColumns, "DATABASE", "WAVE", "STATE", "STEP", "PROXY", "OUTAGE", "LAG", "ETA", "ACCOUNT", "REGION"), w)) + "\n")
	h := m.listHeight()
	first := 0
	if m.cursor >= h {
		first = m.cursor - h + 1
	}
	for pos := first; pos < len(m.order) && pos < first+h; pos++ {
		r := m.rows[m.order[pos]]
		line := truncate(fmt.Sprintf(fleetColumns, truncate(r.db.Source, 14), waveWord(r.db.Wave), r.state,
			truncate(r.step(), 18), truncate(r.proxyWords(m.now), 18), r.outageWords(m.now), r.lag(), r.eta(m.now), r.db.Account, r.db.Region), w)
		switch {
		case pos == m.cursor:
			line = st.Selected.Render(line)
		case r.state == fleet.StateFailed || r.emptySince != nil:
			line = st.Bad.Render(line)
		}
		b.WriteString(line + "\n")
	}
	for pos := len(m.order); pos < first+h; pos++ {
		b.WriteString("\n")
	}
	b.WriteString(m.footer())
	return b.String()
}

func waveWord(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func (m *fleetModel) footer() string {
	st := m.common.Styles
	switch {
	case m.ask != nil:
		return st.Bold.Render(truncate(WaveQuestion(m.cfg.Plan, m.ask.wave, m.ask.phase), m.common.Width)) + "\n" +
			fmt.Sprintf("Type %s and Enter to start it; Esc stops the fleet: %s", WaveToken(m.ask.wave), m.askInput)
	case m.typing:
		return "filter: " + m.filter + "▏"
	case m.done != nil:
		return st.Bold.Render("fleet finished: "+m.done.Line()) + st.Muted.Render("  q quits")
	}
	hint := fmt.Sprintf("↑/↓ move · Enter open · / filter%s · s sort (%s) · q stop the fleet", filterNote(m.filter), fleetSorts[m.sortBy])
	if m.halted != "" {
		return st.Warn.Render(truncate(m.halted, m.common.Width)) + "\n" + st.Muted.Render(hint)
	}
	return "\n" + st.Muted.Render(hint)
}

func filterNote(f string) string {
	if f == "" {
		return ""
	}
	return " (" + f + ", Esc clears)"
}

// renderDetail is one database's own run screen: its rail, traffic line
// and live progress, as `rdsbg run` shows them.
func (m *fleetModel) renderDetail(r *fleetRow) string {
	c := m.common
	st := c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render(r.db.Name()) + " " + st.Muted.Render(fmt.Sprintf("wave %s · %s · %s %s → %s · %s regime",
		waveWord(r.db.Wave), r.state, r.db.Engine, r.db.Version, r.db.TargetVersion, r.db.Regime)) + "\n")
	if t := renderTraffic(st, c.Width, trafficOf(r.run), r.run.metrics, m.now); t != "" {
		b.WriteString(t + "\n")
	}
	if len(r.db.Blocked) > 0 {
		b.WriteString(st.Bad.Render("Blocked: ") + wrap(c.Width-2, strings.Join(r.db.Blocked, "; ")) + "\n")
	}
	body := ""
	if r.run.started || r.run.current != "" {
		body = progressView(c, r.run)
	} else {
		body = st.Muted.Render("Not started.")
	}
	if r.run.plan != nil && c.Width >= 80 {
		h := max(5, c.Height-5)
		c.BodyWidth = c.Width - railWidth
		body = progressView(c, r.run)
		c.BodyWidth = 0
		if !r.run.started && r.run.current == "" {
			body = st.Muted.Render("Not started.")
		}
		b.WriteString(lipgloss.JoinHorizontal(lipgloss.Top, renderRail(c, r.run, h), body) + "\n")
	} else {
		b.WriteString(body + "\n")
	}
	if n := len(r.run.notices); n > 0 {
		b.WriteString(st.Muted.Render(truncate(r.run.notices[n-1], c.Width)) + "\n")
	}
	b.WriteString(st.Muted.Render(fmt.Sprintf("Esc back to the fleet · an ordinary run: rdsbg status --source %s --region %s", r.db.Source, r.db.Region)))
	return b.String()
}
