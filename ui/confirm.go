package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
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
	approval contract.Approval
	answer   chan<- contract.Decision
	input    textinput.Model // the typed identifier (severe questions)
	refusal  string
	decided  bool
	decision contract.Decision
}

func newConfirmation(a contract.Approval, answer chan<- contract.Decision, fallbackID string) *confirmation {
	if a.Severity == contract.SeveritySevere && a.Confirm == "" {
		// The engine should always name it; if not, the source id is the
		// only sensible thing to demand.
		a.Confirm = fallbackID
	}
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 256
	steadyCursor(&in)
	in.Focus()
	return &confirmation{approval: a, answer: answer, input: in}
}

// typed is the identifier typed so far.
func (c *confirmation) typed() string { return c.input.Value() }

// typing is true when keystrokes belong to the identifier field, so letters
// such as q, a or c must not trigger their global bindings.
func (c *confirmation) typing() bool {
	return !c.decided && c.approval.Severity == contract.SeveritySevere && c.offers(contract.DecisionApprove)
}

func (c *confirmation) offers(d contract.Decision) bool {
	if len(c.approval.Choices) == 0 {
		return d == contract.DecisionApprove || d == contract.DecisionDecline
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
			switch typed := c.typed(); {
			case typed == "":
				c.refusal = fmt.Sprintf("Type %s and press Enter. Enter alone never confirms this step.", c.approval.Confirm)
			case typed != c.approval.Confirm:
				c.refusal = fmt.Sprintf("%q is not %s: nothing was confirmed. Type the identifier exactly.", typed, c.approval.Confirm)
				c.input.Reset()
			default:
				c.decide(contract.DecisionApprove)
			}
			return true
		case "esc":
			if c.offers(contract.DecisionDecline) {
				c.decide(contract.DecisionDecline)
			}
			return true
		case "ctrl+u":
			c.input.Reset()
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
		// Everything else edits the identifier (textinput: runes,
		// backspace, cursor keys, ctrl+w).
		before := c.typed()
		c.input, _ = c.input.Update(msg)
		if c.typed() != before {
			c.refusal = ""
		}
		return true
	}
	switch {
	case key.Matches(msg, keys.Yes) && c.offers(contract.DecisionApprove):
		c.decide(contract.DecisionApprove)
	case key.Matches(msg, keys.No) && c.offers(contract.DecisionDecline):
		c.decide(contract.DecisionDecline)
	case key.Matches(msg, keys.Retry) && c.offers(contract.DecisionRetry):
		c.decide(contract.DecisionRetry)
	case key.Matches(msg, keys.Rollback) && c.offers(contract.DecisionRollback):
		c.decide(contract.DecisionRollback)
	case key.Matches(msg, keys.Wait) && c.offers(contract.DecisionWait):
		c.decide(contract.DecisionWait)
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
	decision contract.Decision
}{
	{"ctrl+r", contract.DecisionRetry},
	{"ctrl+b", contract.DecisionRollback},
	{"ctrl+w", contract.DecisionWait},
}

// typingBindings are the help bar's keys while the identifier is typed.
func (c *confirmation) typingBindings() []key.Binding {
	b := []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm typed id"))}
	if c.offers(contract.DecisionDecline) {
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
	if c.offers(contract.DecisionDecline) {
		parts = append(parts, "esc "+c.declineWords())
	}
	for _, alt := range typingAlternatives {
		if c.offers(alt.decision) {
			parts = append(parts, alt.key+" "+decisionWord(alt.decision))
		}
	}
	return strings.Join(parts, " · ")
}

func (c *confirmation) decide(d contract.Decision) {
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
	add := func(d contract.Decision, b key.Binding) {
		if c.offers(d) {
			parts = append(parts, b.Help().Key+" "+decisionWord(d))
		}
	}
	add(contract.DecisionApprove, keys.Yes)
	add(contract.DecisionDecline, keys.No)
	add(contract.DecisionRetry, keys.Retry)
	add(contract.DecisionRollback, keys.Rollback)
	add(contract.DecisionWait, keys.Wait)
	return strings.Join(parts, " · ")
}

func decisionWord(d contract.Decision) string {
	switch d {
	case contract.DecisionApprove:
		return "approve"
	case contract.DecisionDecline:
		return "stop here"
	case contract.DecisionRetry:
		return "retry"
	case contract.DecisionRollback:
		return "roll back"
	case contract.DecisionWait:
		return "wait"
	}
	return string(d)
}

// view draws the question: exactly the approval's Title, Text and CLI (the
// text the operator approves is the text under test), then the prompt, in
// one box.
func (c *confirmation) view(cm *Common, showCLI bool) string {
	return c.box(cm, c.text(cm, cm.contentWidth()-4, showCLI)+"\n"+c.prompt(cm))
}

// textView is the question without its box, for the scrolling body when the
// box would not fit above the help bar.
func (c *confirmation) textView(cm *Common, showCLI bool) string {
	return strings.TrimRight(c.text(cm, cm.contentWidth(), showCLI), "\n")
}

// promptView is the boxed prompt alone (title, input, keys): what stays
// pinned at the bottom when the text scrolls.
func (c *confirmation) promptView(cm *Common) string {
	return c.box(cm, cm.Styles.Bold.Render(wrap(cm.contentWidth()-4, c.approval.Title+" (text above)"))+"\n"+c.prompt(cm))
}

func (c *confirmation) text(cm *Common, w int, showCLI bool) string {
	st := cm.Styles
	var b strings.Builder
	b.WriteString(st.Bold.Render(wrap(w, c.approval.Title)) + "\n")
	if c.approval.Text != "" {
		b.WriteString(wrap(w, c.approval.Text) + "\n")
	}
	if showCLI && len(c.approval.CLI) > 0 {
		b.WriteString("\n" + renderCLI(st, w, c.approval.CLI) + "\n")
	}
	return b.String()
}

func (c *confirmation) prompt(cm *Common) string {
	st := cm.Styles
	w := cm.contentWidth() - 4
	var b strings.Builder
	switch {
	case c.decided:
		b.WriteString(st.Muted.Render("Answered: " + decisionWord(c.decision)))
	case c.typing():
		c.input.SetWidth(max(w-lipgloss.Width(c.approval.Confirm)-20, 10))
		b.WriteString(fmt.Sprintf("Type %s to confirm: %s\n", st.Bold.Render(c.approval.Confirm), c.input.View()))
		b.WriteString(st.Muted.Render(c.typingHint()))
	default:
		b.WriteString(c.keyList(cm.Keys))
	}
	if c.refusal != "" {
		b.WriteString("\n" + st.Bad.Render(wrap(w, c.refusal)))
	}
	return b.String()
}

func (c *confirmation) box(cm *Common, s string) string {
	st := cm.Styles
	box := st.Box
	if c.approval.Severity == contract.SeveritySevere {
		box = st.DangerBox
	}
	return box.Width(cm.contentWidth()).Render(strings.TrimRight(s, "\n"))
}

// asker is a screen that can have a pending question; the root pins it to
// the bottom of the screen.
type asker interface {
	// asking is the screen's confirmation (nil if none) and whether the
	// CLI commands are shown with it.
	asking() (*confirmation, bool)
}
