package ui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// eventMsg carries one engine event into the program.
type eventMsg struct{ event contract.Event }

// approvalMsg carries one approval; the engine's goroutine is blocked until
// exactly one decision is sent on answer.
type approvalMsg struct {
	approval contract.Approval
	answer   chan<- contract.Decision
}

// bridgeClosedMsg says the bridge will deliver nothing more.
type bridgeClosedMsg struct{}

// errProgramGone is returned to the engine when the wizard has ended and can
// no longer answer: the engine treats it like a cancelled context.
var errProgramGone = errors.New("the wizard has exited; nobody can answer this approval")

// bridge joins the engine's goroutine to the Bubble Tea program: Sink and
// Approve push into one channel, the program reads it with a re-arming wait
// command (bubbletea's "realtime" example). One channel keeps events and
// approvals in the engine's order.
type bridge struct {
	msgs chan tea.Msg
	// done is closed when the program ends so a blocked Sink or Approve
	// returns instead of hanging the engine forever.
	done chan struct{}
	// stop is the operator's "stop restoring the proxy" (stop_restoring.go).
	stop *operatorStop
}

// bridgeBuffer is deep enough that a burst of api-call events never makes
// the engine wait on the renderer.
const bridgeBuffer = 1024

func newBridge() *bridge {
	return &bridge{msgs: make(chan tea.Msg, bridgeBuffer), done: make(chan struct{}), stop: &operatorStop{ch: make(chan struct{})}}
}

// Sink forwards one event; it blocks only when the buffer is full, and never
// after the program has ended.
func (b *bridge) Sink(e contract.Event) {
	select {
	case <-b.done:
		return
	default:
	}
	select {
	case b.msgs <- eventMsg{event: e}:
	case <-b.done:
	}
}

// Approve implements steps.Approver: it hands the approval to the program and
// blocks until the operator answers, the run's context ends or the program
// exits.
func (b *bridge) Approve(ctx context.Context, a contract.Approval) (contract.Decision, error) {
	answer := make(chan contract.Decision, 1)
	select {
	case b.msgs <- approvalMsg{approval: a, answer: answer}:
	case <-ctx.Done():
		return contract.DecisionDecline, ctx.Err()
	case <-b.done:
		return lostTerminalAnswer(ctx, a) // lost_terminal.go
	}
	select {
	case d := <-answer:
		return d, nil
	case <-ctx.Done():
		return contract.DecisionDecline, ctx.Err()
	case <-b.done:
		return lostTerminalAnswer(ctx, a)
	}
}

// wait returns the command that delivers the next message; Update re-arms it
// after every delivery.
func (b *bridge) wait() tea.Cmd {
	msgs, done := b.msgs, b.done
	return func() tea.Msg {
		select {
		case m := <-msgs:
			return m
		case <-done:
			return bridgeClosedMsg{}
		}
	}
}

// close releases the engine side once the program has ended.
func (b *bridge) close() {
	select {
	case <-b.done:
	default:
		close(b.done)
	}
}
