package ui

import (
	"fmt"
	"sync"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// Compensation never gives up on its own (steps/compensate.go): only the
// operator's explicit word leaves a proxy EMPTY. Headless that word is a
// second SIGINT/SIGTERM; in the wizard it is this severe confirmation,
// offered while compensation runs (x), which needs the source identifier
// typed like every other severe question. Confirmed, it closes the
// engine's GiveUp channel (merged with the signals' one): the run ends
// with the proxy named EMPTY, since when, and the command that restores it
// (exit 5).

// stopRestoring is the wizard's side of that question.
type stopRestoring struct {
	compensating bool // compensation announced itself and has not ended
	ask          *confirmation
	requested    bool // confirmed: the engine was told to stop trying
}

// operatorStop is the bridge's give-up channel, closed once by the
// operator's confirmation.
type operatorStop struct {
	once sync.Once
	ch   chan struct{}
}

func (s *operatorStop) close() { s.once.Do(func() { close(s.ch) }) }

// stopRestoringKey is the key that asks.
var stopRestoringKey = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop restoring the proxy (leaves it EMPTY)"))

// observeStop follows the events that open and close the offer.
func (w *wizard) observeStop(e contract.Event) {
	switch e.Type {
	case contract.EventCompensation:
		// Only compensation (steps/compensate.go) stops at GiveUp; it says
		// on each of its events whether the stop applies now.
		if e.Stoppable != nil {
			w.stops.compensating = *e.Stoppable
		}
	case contract.EventRunFinished:
		w.stops.compensating, w.stops.ask = false, nil
	}
}

// onStopKey handles a key for the question; ok is false when the key is
// not its business.
func (w *wizard) onStopKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	s := &w.stops
	if s.ask != nil {
		if msg.String() == "ctrl+c" {
			return nil, false // quitting stays possible
		}
		s.ask.handleKey(msg, w.common.Keys)
		if s.ask.decided {
			if s.ask.decision == contract.DecisionApprove {
				s.requested = true
				w.bridge.stop.close()
			}
			s.ask = nil
		}
		return nil, true
	}
	if !w.offersStop() || w.typing() || !key.Matches(msg, stopRestoringKey) {
		return nil, false
	}
	source := w.cfg.Options.Source
	if w.run.plan != nil {
		source = w.run.plan.Source.ID
	}
	proxies := "the proxy"
	if w.run.plan != nil && len(w.run.plan.Proxies) > 0 {
		proxies = ""
		for i, p := range w.run.plan.Proxies {
			if i > 0 {
				proxies += ", "
			}
			proxies += p.Proxy
		}
	}
	a := contract.Approval{Kind: "stop-restoring", Title: "Stop restoring " + proxies + " and leave it EMPTY?",
		Text:     fmt.Sprintf("rdsbg keeps trying to give %s its target back, for as long as it takes. Stopping leaves it EMPTY: applications that connect through it cannot reach %s until someone registers the target again. The run then ends (exit 5) and names the AWS CLI command that restores it. Esc keeps restoring.", proxies, source),
		Severity: contract.SeveritySevere, Confirm: source, Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}}
	s.ask = newConfirmation(a, make(chan contract.Decision, 1), source)
	return nil, true
}

// offersStop: compensation runs and a proxy of the run is EMPTY (a
// rollback's or an abort's messages alone do not offer it: GiveUp does not
// stop them).
func (w *wizard) offersStop() bool {
	s := &w.stops
	return s.compensating && !s.requested && w.engineRunning && trafficEmpty(w.run)
}

// stopRestoringView is the question, or the key that asks it, for the
// footer; "" when compensation is not running.
func (w *wizard) stopRestoringView(c *Common) string {
	s := &w.stops
	switch {
	case s.ask != nil:
		return s.ask.view(c, false)
	case s.requested && w.engineRunning:
		return c.Styles.Bad.Render("Stopping: rdsbg no longer restores the proxy; it stays EMPTY.")
	case w.offersStop():
		return c.Styles.Warn.Render(wrap(c.contentWidth(), "Restoring the proxy, for as long as it takes. x stops trying and leaves it EMPTY (typed confirmation)."))
	}
	return ""
}

// GiveUp makes the bridge a steps.GiveUpper: the wizard's confirmation
// gives up beside the signals' channel (a second SIGINT/SIGTERM), whichever
// comes first (steps.Backend.Run merges them).
func (b *bridge) GiveUp() <-chan struct{} {
	if b.stop == nil {
		return nil
	}
	return b.stop.ch
}
