package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps"
)

// confirmation is one pending approval and the operator's partial answer.
// The rules (k9s's type-the-name dialog):
//   - severe: the source identifier must be typed; Enter alone never
//     confirms; a wrong identifier is refused with a message and nothing is
//     sent to the engine;
//   - reversible: y approves, n declines; Enter does nothing, so a stray
//     Enter cannot approve a change either.
//
// Other choices the engine offers (retry, roll back, wait) have their own keys.
type confirmation struct {
	approval steps.Approval
	answer   chan<- steps.Decision
	typed    string
	refusal  string
	decided  bool
	decision steps.Decision
}

func newConfirmation(a steps.Approval, answer chan<- steps.Decision, fallbackID string) *confirmation {
	if a.Severity == steps.SeveritySevere && a.Confirm == "" {
		// The engine should always name it; if not, the source id is the
		// only sensible thing to demand.
		a.Confirm = fallbackID
	}
	return &confirmation{approval: a, answer: answer}
}

// typing is true when keystrokes belong to the identifier field, so letters
// such as q, a or c must not trigger their global bindings.
func (c *confirmation) typing() bool {
	return !c.decided && c.approval.Severity == steps.SeveritySevere && c.offers(steps.DecisionApprove)
}

func (c *confirmation) offers(d steps.Decision) bool {
	if len(c.approval.Choices) == 0 {
		return d == steps.DecisionApprove || d == steps.DecisionDecline
	}
	for _, ch := range c.approval.Choices {
		if ch == d {
			return true
		}
	}
	return false
}

// handleKey applies one key press; it returns true when the key was consumed.
// A decision is sent on the answer channel (buffered: never blocks) exactly
// once.
func (c *confirmation) handleKey(msg tea.KeyPressMsg, keys KeyMap) bool {
	if c.decided {
		return false
	}
	if c.typing() {
		switch msg.String() {
		case "enter":
			switch {
			case c.typed == "":
				c.refusal = fmt.Sprintf("Type %s and press Enter. Enter alone never confirms this step.", c.approval.Confirm)
			case c.typed != c.approval.Confirm:
				c.refusal = fmt.Sprintf("%q is not %s: nothing was confirmed. Type the identifier exactly.", c.typed, c.approval.Confirm)
				c.typed = ""
			default:
				c.decide(steps.DecisionApprove)
			}
			return true
		case "esc":
			if c.offers(steps.DecisionDecline) {
				c.decide(steps.DecisionDecline)
			}
			return true
		case "backspace":
			if c.typed != "" {
				_, size := utf8.DecodeLastRuneInString(c.typed)
				c.typed = c.typed[:len(c.typed)-size]
			}
			return true
		case "ctrl+u":
			c.typed = ""
			return true
		}
		// Letters belong to the identifier, so the other answers a severe
		// question offers use control keys.
		for _, alt := range typingAlternatives {
			if msg.String() == alt.key && c.offers(alt.decision) {
				c.decide(alt.decision)
				return true
			}
		}
		if t := msg.Key().Text; t != "" && msg.Key().Mod&^tea.ModShift == 0 {
			c.typed += t
			c.refusal = ""
			return true
		}
		return false
	}
	switch {
	case key.Matches(msg, keys.Yes) && c.offers(steps.DecisionApprove):
		c.decide(steps.DecisionApprove)
	case key.Matches(msg, keys.No) && c.offers(steps.DecisionDecline):
		c.decide(steps.DecisionDecline)
	case key.Matches(msg, keys.Retry) && c.offers(steps.DecisionRetry):
		c.decide(steps.DecisionRetry)
	case key.Matches(msg, keys.Rollback) && c.offers(steps.DecisionRollback):
		c.decide(steps.DecisionRollback)
	case key.Matches(msg, keys.Wait) && c.offers(steps.DecisionWait):
		c.decide(steps.DecisionWait)
	case msg.String() == "enter":
		c.refusal = "Enter does not answer: press " + c.keyList(keys) + "."
	default:
		return false
	}
	return true
}

// typingAlternatives are the keys for a severe question's other answers.
var typingAlternatives = [...]struct {
	key      string
	decision steps.Decision
}{
	{"ctrl+r", steps.DecisionRetry},
	{"ctrl+b", steps.DecisionRollback},
	{"ctrl+w", steps.DecisionWait},
}

// typingBindings are the help bar's keys while the identifier is typed.
func (c *confirmation) typingBindings() []key.Binding {
	b := []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm typed id"))}
	if c.offers(steps.DecisionDecline) {
		b = append(b, key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", c.declineWords())))
	}
	for _, alt := range typingAlternatives {
		if c.offers(alt.decision) {
			b = append(b, key.NewBinding(key.WithKeys(alt.key), key.WithHelp(alt.key, decisionWord(alt.decision))))
		}
	}
	return b
}

// typingHint lists the keys that answer a severe question.
func (c *confirmation) typingHint() string {
	parts := []string{"enter confirm"}
	if c.offers(steps.DecisionDecline) {
		parts = append(parts, "esc "+c.declineWords())
	}
	for _, alt := range typingAlternatives {
		if c.offers(alt.decision) {
			parts = append(parts, alt.key+" "+decisionWord(alt.decision))
		}
	}
	return strings.Join(parts, " · ")
}

func (c *confirmation) decide(d steps.Decision) {
	c.decided, c.decision, c.refusal = true, d, ""
	select {
	case c.answer <- d:
	default:
		// Already answered: the channel holds one decision and the engine
		// reads only one.
	}
}

// keyList names the keys that answer this approval.
func (c *confirmation) keyList(keys KeyMap) string {
	var parts []string
	add := func(d steps.Decision, b key.Binding) {
		if c.offers(d) {
			parts = append(parts, b.Help().Key+" "+decisionWord(d))
		}
	}
	add(steps.DecisionApprove, keys.Yes)
	add(steps.DecisionDecline, keys.No)
	add(steps.DecisionRetry, keys.Retry)
	add(steps.DecisionRollback, keys.Rollback)
	add(steps.DecisionWait, keys.Wait)
	return strings.Join(parts, " · ")
}

func decisionWord(d steps.Decision) string {
	switch d {
	case steps.DecisionApprove:
		return "approve"
	case steps.DecisionDecline:
		return "stop here"
	case steps.DecisionRetry:
		return "retry"
	case steps.DecisionRollback:
		return "roll back"
	case steps.DecisionWait:
		return "wait"
	}
	return string(d)
}

// view draws the question: exactly the approval's Title, Text and CLI (the
// text the operator approves is the text under test), then the prompt.
func (c *confirmation) view(cm *Common, showCLI bool) string {
	st := cm.Styles
	w := cm.contentWidth() - 4
	var b strings.Builder
	b.WriteString(st.Bold.Render(c.approval.Title) + "\n")
	if c.approval.Text != "" {
		b.WriteString(wrap(w, c.approval.Text) + "\n")
	}
	if showCLI && len(c.approval.CLI) > 0 {
		b.WriteString("\n" + renderCLI(st, w, c.approval.CLI) + "\n")
	}
	b.WriteString("\n")
	switch {
	case c.decided:
		b.WriteString(st.Muted.Render("Answered: " + decisionWord(c.decision)))
	case c.typing():
		b.WriteString(fmt.Sprintf("Type %s to confirm: %s█\n", st.Bold.Render(c.approval.Confirm), c.typed))
		b.WriteString(st.Muted.Render(c.typingHint()))
	default:
		b.WriteString(c.keyList(cm.Keys))
	}
	if c.refusal != "" {
		b.WriteString("\n" + st.Bad.Render(wrap(w, c.refusal)))
	}
	box := st.Box
	if c.approval.Severity == steps.SeveritySevere {
		box = st.DangerBox
	}
	return box.Width(cm.contentWidth()).Render(strings.TrimRight(b.String(), "\n"))
}
