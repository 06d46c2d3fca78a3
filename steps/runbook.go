package steps

import (
	"os"
	"strings"
)

// saveRunbook writes the plan as a markdown runbook beside the journal, so
// the summary can say where the change ticket's text is. It is rewritten
// whenever the plan changes (regime fallback, resume) and at the finish.
// A failure to write it is not a reason to stop a run: it returns "".
func (r *run) saveRunbook() string {
	if r.journal == nil || len(r.plan.Steps) == 0 {
		return ""
	}
	path := strings.TrimSuffix(r.journal.Path(), ".journal.jsonl") + ".runbook.md"
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(RenderMarkdown(r.plan)), 0o600); err != nil {
		return ""
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return ""
	}
	return path
}
