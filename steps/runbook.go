package steps

import (
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
	if err := writeFileAtomic(path, []byte(RenderMarkdown(r.plan))); err != nil {
		return ""
	}
	return path
}
