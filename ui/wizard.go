package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// backend is the engine surface the wizard calls, always from tea.Cmds
// (never from Update). engineBackend wires it to the steps package; tests
// use the same wiring against the simulator, or feed messages directly.
type backend struct {
	listSources    func(ctx context.Context) ([]preflight.SourceSummary, error)
	describe       func(ctx context.Context, source string) (preflight.SourceSummary, error)
	upgradeTargets func(ctx context.Context, engine, version string) ([]contract.UpgradeTarget, error)
	// parameterGroups lists the parameter groups by family (options.go's
	// picker); nil: the form takes typed names.
	parameterGroups func(ctx context.Context, engine string, cluster bool) (preflight.ParameterGroupCatalog, error)
	// unfinished returns the journal of an unfinished run for source, or "".
	unfinished func(ctx context.Context, source string) (string, error)
	// status is `rdsbg status` as text.
	status func(ctx context.Context, source string) (string, error)
	// run executes the engine in mode (run, resume, abort) and returns its
	// summary.
	run func(ctx context.Context, mode string, opts contract.Options, approver contract.Approver, sink contract.Sink) (contract.Finished, error)
}

// Messages of the root model.
type (
	sourceDescribedMsg struct {
		source preflight.SourceSummary
		err    error
	}
	runDoneMsg struct {
		finished contract.Finished
		err      error
	}
	tickMsg struct{ now time.Time }
)

type phase int

const (
	phaseSource phase = iota
	phaseOptions
	phaseJournal
	phaseRun
)

// runScreen names which run screen is in front.
type runScreen int

const (
	screenPreflight runScreen = iota
	screenPlan
	screenStep
	screenCritical
	screenError
	screenSummary
)

// screen is what every screen model offers the root.
type screen interface {
	help.KeyMap
	view() string
}

// wizard is the root model: it owns the shared state, routes keys to the
// screen in front, and turns engine events and approvals into screens.
type wizard struct {
	ctx     context.Context
	cfg     Config
	be      backend
	common  *Common
	help    help.Model
	bridge  *bridge
	run     *runState
	clock   contract.Clock
	ticking bool // false in tests: time moves only by tickMsg
	// spawn turns the engine's blocking run into a command. In a program
	// Bubble Tea runs every command in its own goroutine; the test harness
	// substitutes its own goroutine and pumps the bridge itself.
	spawn func(run func() tea.Msg) tea.Cmd
	// pumped is true when something other than the program reads the
	// bridge (the test harness): Update then does not re-arm the wait.
	pumped bool

	phase     phase
	front     runScreen
	source    *sourceModel
	options   *optionsModel
	journal   *journalModel
	preflight *preflightModel
	plan      *planModel
	step      *stepModel
	critical  *criticalModel
	errScreen *errorModel
	summary   *summaryModel

	showAPI bool
	// header is the one line under the title bar (the proxy traffic line,
	// ui/traffic.go); nil draws an empty line during a run.
	header    func() string
	body      viewport.Model // the screen in front, scrolled with pgup/pgdn
	lastBody  runScreen      // the screen the scroll offset belongs to
	frame     frame          // the pieces View joins, drawn by layout
	blank     blankLines     // the viewport's stand-in lines (layout)
	quitAsk   bool
	goingBack bool // esc on the plan: the declined run ends on the options form
	stopping  bool
	quitting  bool

	stops         stopRestoring // the operator's "stop restoring the proxy" (stop_restoring.go)
	engineRunning bool
	engineDone    chan struct{}
	cancelRun     context.CancelFunc
	exitCode      int
}

func newWizard(ctx context.Context, cfg Config, be backend) *wizard {
	c := newCommon(cfg.NoColor)
	run := newRunState()
	clk := cfg.Clock
	if clk == nil {
		clk = contract.WallClock()
	}
	w := &wizard{
		ctx: ctx, cfg: cfg, be: be, common: c, help: help.New(), bridge: newBridge(), run: run, clock: clk,
		source:     newSourceModel(c),
		preflight:  &preflightModel{Common: c, run: run},
		plan:       &planModel{Common: c, run: run},
		step:       &stepModel{Common: c, run: run},
		critical:   &criticalModel{Common: c, run: run},
		errScreen:  &errorModel{Common: c, run: run},
		summary:    &summaryModel{Common: c, run: run, demo: cfg.DemoRerun != "", flags: cfg.NextFlags, source: cfg.Options.Source},
		engineDone: make(chan struct{}),
		spawn:      func(run func() tea.Msg) tea.Cmd { return run },
		body:       viewport.New(),
	}
	run.now = clk.Now()
	w.source.highlight = cfg.Highlight
	if cfg.NoColor {
		w.help.Styles = help.Styles{}
	}
	w.header = w.trafficLine // ui/traffic.go
	return w
}

func (w *wizard) Init() tea.Cmd {
	var cmds []tea.Cmd
	if w.ticking {
		cmds = append(cmds, w.tick())
	}
	switch {
	case w.cfg.Mode == "resume" || w.cfg.Mode == "abort":
		cmds = append(cmds, w.startRun(w.cfg.Mode, w.cfg.Options))
	case w.cfg.Options.Source != "":
		w.phase = phaseOptions
		w.options = newOptionsModel(w.common, preflight.SourceSummary{ID: w.cfg.Options.Source}, w.cfg.Options.WithDefaultsAt(w.run.now))
		describe, src := w.be.describe, w.cfg.Options.Source
		ctx := w.ctx
		cmds = append(cmds, func() tea.Msg {
			s, err := describe(ctx, src)
			return sourceDescribedMsg{source: s, err: err}
		})
	default:
		list, ctx := w.be.listSources, w.ctx
		cmds = append(cmds, func() tea.Msg {
			s, err := list(ctx)
			return sourcesLoadedMsg{sources: s, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// tick reads the configured clock once a second of wall time (a scaled
// clock moves faster): the timers on screen follow the engine's clock.
func (w *wizard) tick() tea.Cmd {
	clk := w.clock
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{now: clk.Now()} })
}

func (w *wizard) loadTargets(src preflight.SourceSummary) tea.Cmd {
	targets, groups, ctx := w.be.upgradeTargets, w.be.parameterGroups, w.ctx
	return func() tea.Msg {
		t, err := targets(ctx, src.Engine, src.EngineVersion)
		msg := targetsLoadedMsg{targets: t, err: err}
		if groups != nil {
			g, gerr := groups(ctx, src.Engine, src.Kind == contract.KindCluster)
			msg.groups, msg.groupsErr = &g, gerr
		}
		return msg
	}
}

// startRun launches the engine in its own goroutine (a tea.Cmd) and arms the
// bridge reader.
func (w *wizard) startRun(mode string, opts contract.Options) tea.Cmd {
	if w.run.started || w.run.plan != nil || w.run.finished != nil {
		w.resetRun() // back from a declined plan, or from esc on preflight (nav.go)
	}
	w.phase, w.front = phaseRun, screenPreflight
	w.preflight.back = w.options != nil // esc (nav.go)
	runCtx, cancel := context.WithCancel(w.ctx)
	w.cancelRun = cancel
	w.engineRunning = true
	br, run, done := w.bridge, w.be.run, w.engineDone
	return tea.Batch(w.waitBridge(), w.spawn(func() tea.Msg {
		defer close(done)
		f, err := run(runCtx, mode, opts, br, br.Sink)
		return runDoneMsg{finished: f, err: err}
	}))
}

// waitBridge re-arms the bridge reader.
func (w *wizard) waitBridge() tea.Cmd {
	if w.pumped {
		return nil
	}
	return w.bridge.wait()
}

// typing reports whether keystrokes are text for the screen in front.
func (w *wizard) typing() bool {
	switch w.phase {
	case phaseSource:
		return w.source.typing()
	case phaseOptions:
		return w.options != nil && w.options.typing()
	case phaseJournal:
		return false
	}
	switch w.front {
	case screenPlan:
		return w.plan.typing()
	case screenStep:
		return w.step.typing()
	case screenCritical:
		return w.critical.typing()
	case screenError:
		return w.errScreen.typing()
	}
	return false
}

func (w *wizard) active() screen {
	switch w.phase {
	case phaseSource:
		return w.source
	case phaseOptions:
		if w.options != nil {
			return w.options
		}
	case phaseJournal:
		return w.journal
	}
	switch w.front {
	case screenPlan:
		return w.plan
	case screenStep:
		return w.step
	case screenCritical:
		return w.critical
	case screenError:
		return w.errScreen
	case screenSummary:
		return w.summary
	}
	return w.preflight
}

func (w *wizard) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.common.Width, w.common.Height = msg.Width, msg.Height
		w.help.SetWidth(msg.Width)
		return w, nil
	case tickMsg:
		if msg.now.After(w.run.now) {
			w.run.now = msg.now
		}
		w.run.frame++
		if w.ticking && !w.quitting {
			return w, w.tick()
		}
		return w, nil
	case sourcesLoadedMsg:
		return w, w.source.update(msg)
	case sourceChosenMsg:
		return w, w.chooseSource(msg.source)
	case sourceDescribedMsg:
		if msg.err != nil {
			w.options.loading = false
			w.options.err = msg.err
			return w, nil
		}
		w.options.source = msg.source
		return w, w.checkJournal(msg.source)
	case journalCheckedMsg:
		if msg.path == "" || msg.err != nil {
			// No journal (or none readable): a fresh run; the engine's own
			// lock still refuses a second concurrent run.
			return w, w.loadTargets(msg.source)
		}
		w.phase = phaseJournal
		w.journal = &journalModel{Common: w.common, source: msg.source, path: msg.path}
		return w, nil
	case journalChoiceMsg:
		return w, w.onJournalChoice(msg.mode)
	case statusLoadedMsg:
		if w.journal != nil {
			w.journal.update(msg)
		}
		return w, nil
	case targetsLoadedMsg:
		if w.options != nil {
			w.options.update(msg)
		}
		return w, nil
	case optionsDoneMsg:
		return w, w.startRun(w.cfg.Mode, msg.options)
	case optionsBackMsg:
		return w, w.backToSources()
	case eventMsg:
		w.onEvent(msg.event)
		return w, w.waitBridge()
	case approvalMsg:
		w.onApproval(msg)
		return w, w.waitBridge()
	case bridgeClosedMsg:
		return w, nil
	case runDoneMsg:
		return w, w.onRunDone(msg)
	case tea.InterruptMsg:
		return w, w.requestQuit(true)
	case tea.KeyPressMsg:
		return w, w.onKey(msg)
	}
	if w.phase == phaseSource {
		// The list's own messages (its filter's matches).
		return w, w.source.update(msg)
	}
	return w, nil
}

func (w *wizard) chooseSource(src preflight.SourceSummary) tea.Cmd {
	w.phase = phaseOptions
	opts := w.cfg.Options
	opts.Source = src.ID
	w.options = newOptionsModel(w.common, src, opts.WithDefaultsAt(w.run.now))
	return w.checkJournal(src)
}

// checkJournal looks for an unfinished run of src before offering a new one.
func (w *wizard) checkJournal(src preflight.SourceSummary) tea.Cmd {
	if w.be.unfinished == nil {
		return w.loadTargets(src)
	}
	unfinished, ctx := w.be.unfinished, w.ctx
	return func() tea.Msg {
		path, err := unfinished(ctx, src.ID)
		return journalCheckedMsg{source: src, path: path, err: err}
	}
}

func (w *wizard) onJournalChoice(mode string) tea.Cmd {
	src := w.journal.source.ID
	if mode == "status" {
		status, ctx := w.be.status, w.ctx
		return func() tea.Msg {
			text, err := status(ctx, src)
			return statusLoadedMsg{text: text, err: err}
		}
	}
	return w.startRun(mode, contract.Options{Source: src}.WithDefaultsAt(w.run.now))
}

func (w *wizard) onEvent(e contract.Event) {
	w.run.apply(e)
	w.observeStop(e)
	switch e.Type {
	case contract.EventPreflight:
		if w.front < screenPlan {
			w.front = screenPreflight
		}
	case contract.EventPlanReady:
		w.front = screenPlan
	case contract.EventStepStarted:
		if w.run.planned(e.Step).Critical {
			w.front = screenCritical
		} else if e.Step != contract.StepPreflight {
			w.front = screenStep
		}
	case contract.EventStepFailed:
		if w.front != screenCritical {
			w.front = screenStep
		}
	case contract.EventRunFinished:
		w.front = screenSummary
	}
}

// onApproval puts the question on the screen that explains it.
func (w *wizard) onApproval(msg approvalMsg) {
	fallback := ""
	if w.run.plan != nil {
		fallback = w.run.plan.Source.ID
	} else {
		fallback = w.cfg.Options.Source
	}
	c := newConfirmation(msg.approval, msg.answer, fallback)
	switch {
	case msg.approval.Kind == "plan":
		w.plan.confirm, w.front = c, screenPlan
		w.declineWhenGoingBack(c) // esc on the preflight screen (nav.go)
	case msg.approval.Kind == "error" || msg.approval.Error != nil:
		w.errScreen.confirm, w.front = c, screenError
	case msg.approval.Kind == "critical-section" || w.run.planned(msg.approval.Step).Critical:
		w.critical.confirm, w.front = c, screenCritical
	default:
		w.step.confirm, w.front = c, screenStep
	}
}

func (w *wizard) onRunDone(msg runDoneMsg) tea.Cmd {
	if w.goingBack && !w.stopping {
		return w.backToOptions()
	}
	w.engineRunning = false
	if w.run.finished == nil && msg.finished.Outcome != "" {
		f := msg.finished
		w.run.finished = &f
	}
	if msg.err != nil && w.run.lastError == nil && !errors.Is(msg.err, context.Canceled) {
		w.run.lastError = &contract.ErrorInfo{Message: msg.err.Error()}
	}
	if w.run.finished == nil && msg.err != nil {
		code := contract.ExitStepFailed
		var input *contract.InputError
		switch {
		case errors.Is(msg.err, context.Canceled):
			code = contract.ExitInterrupted
		case errors.As(msg.err, &input) && input.ExitCode != 0:
			code = input.ExitCode
		}
		w.run.finished = &contract.Finished{Outcome: contract.OutcomeFailed, ExitCode: code}
		if code == contract.ExitInterrupted {
			w.run.finished.Outcome = contract.OutcomeInterrupted
		}
		if w.run.lastError == nil {
			w.run.lastError = &contract.ErrorInfo{Message: msg.err.Error()}
		}
	}
	if w.run.finished != nil {
		w.exitCode = w.run.finished.ExitCode
		w.front = screenSummary
		w.summary.back = w.options != nil && (w.exitCode == contract.ExitPreflight || w.exitCode == contract.ExitUsage) // esc (nav.go)
	}
	if w.stopping {
		w.quitting = true
		w.bridge.close()
		return tea.Quit
	}
	return nil
}

// requestQuit asks before leaving while the engine works: AWS keeps going
// without us, and inside the critical section the proxy has no target.
func (w *wizard) requestQuit(force bool) tea.Cmd {
	if w.stopping && force {
		// Second ctrl+c while stopping: leave now; the journal has every
		// record written so far and resume re-observes AWS.
		w.quitting = true
		w.bridge.close()
		return tea.Quit
	}
	if !w.engineRunning {
		w.quitting = true
		switch {
		case w.run.finished != nil:
			w.exitCode = w.run.finished.ExitCode
		case w.phase != phaseRun:
			w.exitCode = contract.ExitCancelled
		}
		w.bridge.close()
		return tea.Quit
	}
	w.quitAsk = true
	return nil
}

func (w *wizard) onKey(msg tea.KeyPressMsg) tea.Cmd {
	keys := w.common.Keys
	if w.quitAsk {
		switch {
		case key.Matches(msg, keys.Yes):
			w.quitAsk, w.stopping = false, true
			w.exitCode = contract.ExitInterrupted
			if w.cancelRun != nil {
				w.cancelRun()
			}
		case key.Matches(msg, keys.No), msg.String() == "esc":
			w.quitAsk = false
		case msg.String() == "ctrl+c":
			return w.requestQuit(true)
		}
		return nil
	}
	if cmd, ok := w.onStopKey(msg); ok {
		return cmd
	}
	if cmd, ok := w.navigate(msg); ok {
		return cmd
	}
	switch msg.String() {
	case "ctrl+c":
		return w.requestQuit(true)
	case "pgdown":
		w.body.PageDown()
		return nil
	case "ctrl+d":
		w.body.HalfPageDown()
		return nil
	case "pgup":
		w.body.PageUp()
		return nil
	case "ctrl+u":
		if !w.typing() {
			w.body.HalfPageUp()
			return nil
		}
	}
	if !w.typing() {
		switch {
		case key.Matches(msg, keys.Quit):
			return w.requestQuit(false)
		case key.Matches(msg, keys.Help):
			w.help.ShowAll = !w.help.ShowAll
			return nil
		case key.Matches(msg, keys.API):
			w.showAPI = !w.showAPI
			return nil
		}
	}
	switch w.phase {
	case phaseSource:
		return w.source.update(msg)
	case phaseOptions:
		if w.options != nil {
			return w.options.update(msg)
		}
		return nil
	case phaseJournal:
		return w.journal.update(msg)
	}
	switch w.front {
	case screenPlan:
		return w.plan.update(msg)
	case screenStep:
		return w.step.update(msg)
	case screenCritical:
		return w.critical.update(msg)
	case screenError:
		return w.errScreen.update(msg)
	}
	return nil
}

// View draws the frame layout prepared (title bar, the screen in front, the
// pinned question, the API panel and the help bar), fitted to the terminal.
func (w *wizard) View() tea.View {
	v := tea.NewView(w.render())
	v.AltScreen = true
	return v
}

// frontKey identifies the screen in front, so scrolling restarts at the top
// when it changes.
func (w *wizard) frontKey() runScreen {
	if w.phase != phaseRun {
		return runScreen(-1 - int(w.phase))
	}
	return w.front
}

func (w *wizard) apiPanel() string {
	c := w.common
	calls := w.run.calls
	const rows = 6
	if len(calls) > rows {
		calls = calls[len(calls)-rows:]
	}
	return c.Styles.Heading.Render(fmt.Sprintf("AWS API calls (%d)", len(w.run.calls))) + "\n" + renderCalls(c.Styles, c.contentWidth(), calls)
}

func (w *wizard) quitDialog() string {
	c := w.common
	st := c.Styles
	text := w.quitAdvice()
	return st.DangerBox.Width(c.contentWidth()).Render(wrap(c.contentWidth()-4, text) + "\n\n" + st.Bold.Render("y quit · n stay"))
}

// helpKeys is the active screen's bindings, plus the quit dialog's; the
// full help (?) adds the keys that work everywhere.
func (w *wizard) helpKeys() help.KeyMap {
	if w.quitAsk {
		return staticKeys{w.common.Keys.Yes, w.common.Keys.No}
	}
	k := w.common.Keys
	g := withGlobal{KeyMap: w.active(), global: []key.Binding{
		key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn/ctrl+d", "scroll down")),
		key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup/ctrl+u", "scroll up")),
		k.API,
		key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit (asks first mid-run)")),
	}}
	if w.phase == phaseRun {
		g.legend = railLegend() // the step marks (layout.go)
	}
	return g
}

// withGlobal adds the global bindings to a screen's full help, each key
// once (a screen that lists one of them keeps its own), and during a run
// the legend of the step marks.
type withGlobal struct {
	help.KeyMap
	global []key.Binding
	legend []key.Binding
}

func (g withGlobal) FullHelp() [][]key.Binding {
	seen := map[string]bool{}
	var out [][]key.Binding
	for _, col := range append(g.KeyMap.FullHelp(), g.global) {
		var keep []key.Binding
		for _, b := range col {
			if k := b.Help().Key; !seen[k] {
				seen[k] = true
				keep = append(keep, b)
			}
		}
		if len(keep) > 0 {
			out = append(out, keep)
		}
	}
	if len(g.legend) > 0 {
		out = append(out, g.legend) // marks, not keys: "?" here is a mark
	}
	return out
}

// staticKeys is a fixed help.KeyMap.
type staticKeys []key.Binding

func (k staticKeys) ShortHelp() []key.Binding  { return k }
func (k staticKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k} }
