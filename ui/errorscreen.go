package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// errorModel is the error screen: the AWS error (code, message, request id),
// what it means in plain words, and the engine's choices: retry, roll back,
// or stop (an approval of Kind "error").
type errorModel struct {
	*Common
	run     *runState
	confirm *confirmation
}

func (m *errorModel) typing() bool { return m.confirm != nil && m.confirm.typing() }

func (m *errorModel) update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && m.confirm != nil {
		m.confirm.handleKey(k, m.Keys)
	}
	return nil
}

// awsMessage is AWS's own words from an SDK error string ("operation error
// RDS: Op, https response error StatusCode: 400, RequestID: …, Code: words"):
// the operation, status and request id have their own lines.
func awsMessage(e *contract.ErrorInfo) string {
	if e.Code != "" {
		if i := strings.LastIndex(e.Message, e.Code+": "); i >= 0 {
			return e.Message[i+len(e.Code)+2:]
		}
	}
	return e.Message
}

// errorDetails renders one ErrorInfo.
func errorDetails(c *Common, e *contract.ErrorInfo) string {
	return errorDetailsSaying(c, e, true)
}

// errorDetailsSaying renders e, with AWS's message only when withMessage
// (the question below may already quote it).
func errorDetailsSaying(c *Common, e *contract.ErrorInfo, withMessage bool) string {
	st := c.Styles
	w := c.contentWidth()
	var b strings.Builder
	if e.Operation != "" {
		b.WriteString("Operation   " + st.Bold.Render(e.Operation) + "\n")
	}
	if e.Code != "" {
		b.WriteString("Error code  " + st.Bad.Render(e.Code) + "\n")
	}
	if e.RequestID != "" {
		b.WriteString("Request id  " + e.RequestID + "\n")
	}
	if withMessage {
		b.WriteString(wrapIndented(w, "Message     ", awsMessage(e)) + "\n")
	}
	if e.Meaning != "" {
		b.WriteString("\n" + st.Bold.Render("What it means") + "\n" + wrap(w, e.Meaning) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m *errorModel) view() string {
	st := m.Styles
	var b strings.Builder
	title := "The run stopped on an error"
	if m.confirm != nil && m.confirm.approval.Kind != "error" {
		title = "AWS refused a call: a decision is needed"
	}
	if m.confirm != nil && m.confirm.approval.Step != "" {
		title += " in " + string(m.confirm.approval.Step)
	}
	b.WriteString(st.Bad.Render(title) + "\n\n")
	e := m.run.lastError
	if m.confirm != nil && m.confirm.approval.Error != nil {
		e = m.confirm.approval.Error
	}
	if e != nil {
		// When the question quotes AWS's message, say it once.
		quoted := m.confirm != nil && strings.Contains(m.confirm.approval.Text, awsMessage(e))
		b.WriteString(errorDetailsSaying(m.Common, e, !quoted) + "\n\n")
	}
	if m.confirm != nil && m.confirm.decided {
		b.WriteString(m.confirm.view(m.Common, true))
	}
	return b.String()
}

func (m *errorModel) asking() (*confirmation, bool) { return m.confirm, true }

func (m *errorModel) ShortHelp() []key.Binding {
	if m.confirm == nil || m.confirm.decided {
		return []key.Binding{m.Keys.API, m.Keys.Quit, m.Keys.Help}
	}
	if m.confirm.typing() {
		return m.confirm.typingBindings()
	}
	var b []key.Binding
	for _, d := range []struct {
		d contract.Decision
		k key.Binding
	}{{contract.DecisionRetry, m.Keys.Retry}, {contract.DecisionRollback, m.Keys.Rollback}, {contract.DecisionWait, m.Keys.Wait}, {contract.DecisionApprove, m.Keys.Yes}, {contract.DecisionDecline, m.Keys.No}} {
		if m.confirm.offers(d.d) {
			k := d.k
			k.SetHelp(k.Help().Key, decisionWord(d.d))
			b = append(b, k)
		}
	}
	return append(b, m.Keys.API, m.Keys.Help)
}

func (m *errorModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
