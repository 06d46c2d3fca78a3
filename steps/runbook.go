package steps

import (
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
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
	if err := journal.WriteFileAtomic(path, []byte(RenderMarkdown(r.plan))); err != nil {
		return ""
	}
	return path
}

// rollbackNotes say how to undo each phase by hand: one note for each way
// the plan's changes are undone (the rows' undo trait): the deletion that
// undoes everything before the switchover, the registration that ends an
// outage, then what AWS does with the switchover.
func rollbackNotes(p contract.Plan) []string {
	c := cliBuilder{region: p.Source.Region}
	undone := map[undo]bool{}
	for _, def := range stepTable() {
		if ps, ok := p.Step(def.id); ok && !ps.CheckOnly {
			undone[def.undo] = true
		}
	}
	var notes []string
	for _, u := range []undo{undoneByDeleting, undoneByRegistering, undoneByAWS} {
		if !undone[u] {
			continue
		}
		switch u {
		case undoneByDeleting:
			notes = append(notes, "Before switchover blue is still the production database: delete the deployment and its green resources with `"+
				c.rds("delete-blue-green-deployment", "--blue-green-deployment-identifier \"$BGD\"", "--delete-target")+"` (or `rdsbg abort --source "+p.Source.ID+"`).")
		case undoneByRegistering:
			var regs []string
			for _, r := range p.Proxies {
				regs = append(regs, "`"+c.register(r.Proxy, p.Source)+"`")
			}
			notes = append(notes, "If the run stops while a proxy has no target, register the original target again: "+strings.Join(regs, "; ")+".")
		case undoneByAWS:
			notes = append(notes, fmt.Sprintf("A switchover that fails or exceeds %d s is rolled back by AWS: blue keeps its names and stays primary.", int64(p.Options.SwitchoverTimeout/time.Second)))
			notes = append(notes, "After a completed switchover there is no switch back: the old blue (`-old1`) stops replicating. Recovery means a new blue/green from the new primary, or restoring from the old blue or its snapshot.")
		}
	}
	return notes
}

// RenderMarkdown is the plan as a markdown runbook, with the rollback notes
// its steps' rows give.
func RenderMarkdown(p contract.Plan) string { return contract.MarkdownRunbook(p, rollbackNotes(p)) }
