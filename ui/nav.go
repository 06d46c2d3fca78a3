package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// Navigation that never surprises: esc goes back one screen wherever going
// back changes nothing in AWS. Before the first change that is the options
// form (back to the source list, see backToSources) and the plan (back to
// the options: the plan approval is declined, the engine stops having
// changed nothing, and the form keeps what was chosen).

// The journal screen (an unfinished run was found) goes back to the source
// list: nothing has run. The preflight screen goes back to the options:
// preflight only reads, so the run is let finish its reads and its plan
// is declined as esc on the plan does; a run that ended before any change
// (preflight blocked, exit 3, or options refused for this source, exit 2)
// goes back to the options at once, so the operator can fix them.

// navigateEarly is esc on the journal and preflight screens, and on a run
// that ended having changed nothing.
func (w *wizard) navigateEarly() (tea.Cmd, bool) {
	switch {
	case w.phase == phaseJournal:
		w.journal = nil
		return w.backToSources(), true
	case w.phase != phaseRun || w.options == nil || w.goingBack:
		return nil, false
	case w.run.finished != nil && !w.engineRunning && (w.run.finished.ExitCode == contract.ExitPreflight || w.run.finished.ExitCode == contract.ExitUsage):
		w.resetRun()
		w.summary.back, w.exitCode = false, 0
		return w.backToOptions(), true
	case w.front == screenPreflight && w.engineRunning && w.plan.confirm == nil:
		// The plan approval, when it comes, is declined (onApproval).
		w.goingBack = true
		return nil, true
	}
	return nil, false
}

// declineWhenGoingBack answers the plan approval that arrives after esc
// on the preflight screen.
func (w *wizard) declineWhenGoingBack(c *confirmation) bool {
	if !w.goingBack || c == nil || !c.offers(contract.DecisionDecline) {
		return false
	}
	c.decide(contract.DecisionDecline)
	return true
}

// navigate handles esc for the run screens; false when the key is not for it.
func (w *wizard) navigate(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if msg.String() != "esc" {
		return nil, false
	}
	if cmd, ok := w.navigateEarly(); ok {
		return cmd, true
	}
	if w.phase != phaseRun || w.front != screenPlan || w.options == nil {
		return nil, false
	}
	c := w.plan.confirm
	if c == nil || c.decided || c.typing() || !c.offers(contract.DecisionDecline) {
		return nil, false
	}
	w.goingBack = true
	c.decide(contract.DecisionDecline)
	return nil, true
}

// backToOptions ends the declined run's screens: the form is in front again
// with its values, and the next Continue starts a fresh run.
func (w *wizard) backToOptions() tea.Cmd {
	w.goingBack = false
	w.engineRunning = false
	w.phase = phaseOptions
	w.options.loading = false
	return nil
}

// resetRun clears what the previous (declined) run left on the run screens.
func (w *wizard) resetRun() {
	*w.run = *newRunState()
	w.run.now = w.clock.Now()
	w.plan.confirm, w.step.confirm, w.critical.confirm, w.errScreen.confirm = nil, nil, nil, nil
	w.plan.showCLI, w.step.showCLI, w.critical.showCLI = false, false, false
	w.engineDone = make(chan struct{})
}
