package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps"
)

// Navigation that never surprises: esc goes back one screen wherever going
// back changes nothing in AWS. Before the first change that is the options
// form (back to the source list, see backToSources) and the plan (back to
// the options: the plan approval is declined, the engine stops having
// changed nothing, and the form keeps what was chosen).

// navigate handles esc for the run screens; false when the key is not for it.
func (w *wizard) navigate(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if msg.String() != "esc" || w.phase != phaseRun || w.front != screenPlan || w.options == nil {
		return nil, false
	}
	c := w.plan.confirm
	if c == nil || c.decided || c.typing() || !c.offers(steps.DecisionDecline) {
		return nil, false
	}
	w.goingBack = true
	c.decide(steps.DecisionDecline)
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
