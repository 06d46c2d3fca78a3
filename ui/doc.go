// Package ui is rdsbg's operator interface: the full-screen Bubble Tea
// wizard (RunWizard) and plain line mode (RunPlain).
//
// Layers, k9s-style: the engine (package steps) does every AWS call in its
// own goroutine; bridge.go turns its events and approvals into Bubble Tea
// messages; runstate.go folds events into one state; each screen (source,
// options, journal, preflight, plan, step, critical, error, summary) is a
// model in its own file that renders that state through the pure renderers
// in render.go. Update never does I/O: AWS work runs in tea.Cmds that call
// engine functions.
//
// Confirmation rules (confirm.go), shared by the wizard and plain mode:
// a severe approval needs the source identifier typed exactly and Enter
// alone never confirms; a wrong identifier is refused and nothing is sent;
// a reversible approval needs y or n (Enter does not answer).
package ui
