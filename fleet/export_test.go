package fleet

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// lintWorkflow runs actionlint (as a library, without shellcheck or
// pyflakes: neither is needed to check the workflow's structure,
// expressions, needs graph, matrix and action inputs) and returns its
// findings.
func lintWorkflow(t *testing.T, yaml string) []*actionlint.Error {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(".github/workflows/fleet.yml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestGitHubActionsWorkflowPassesActionlint(t *testing.T) {
	h := newHarness(t, 8)
	p := h.plan(t, defaultSelection(), defaultPolicy())
	wf := GitHubActions(p, ExportOptions{PlanPath: "fleets/fleet.json"})
	if errs := lintWorkflow(t, wf); len(errs) > 0 {
		for _, e := range errs {
			t.Errorf("actionlint: %s", e.Error())
		}
		t.Fatalf("workflow:\n%s", wf)
	}
	// Waves are dependent jobs behind one environment approval each;
	// every database of every wave has its matrix leg.
	for _, w := range p.Waves {
		if !strings.Contains(wf, "environment: rdsbg-wave-"+strconv.Itoa(w.Number)) {
			t.Errorf("wave %d has no approval environment", w.Number)
		}
		for _, i := range w.Databases {
			if !strings.Contains(wf, `source: "`+p.Databases[i].Source+`"`) {
				t.Errorf("database %s is not in the matrix", p.Databases[i].Name())
			}
		}
	}
	for _, d := range p.Databases {
		if len(d.Blocked) > 0 && strings.Contains(wf, `source: "`+d.Source+`"`) {
			t.Errorf("blocked %s is in the workflow", d.Name())
		}
	}
	// An account-Region prepares wave after wave.
	chained := 0
	for _, d := range p.Databases {
		key := jobSafe(d.TargetKey())
		this := fmt.Sprintf("  w%d-prepare-%s:", d.Wave, key)
		prev := fmt.Sprintf("  w%d-prepare-%s:", d.Wave-1, key)
		if d.Wave < 2 || !strings.Contains(wf, prev) {
			continue
		}
		job := wf[strings.Index(wf, this):]
		job = job[:strings.Index(job, "runs-on")]
		if !strings.Contains(job, "- "+strings.TrimSuffix(strings.TrimSpace(prev), ":")) {
			t.Fatalf("wave %d's prepare in %s does not wait for wave %d's:\n%s", d.Wave, key, d.Wave-1, job)
		}
		chained++
	}
	if chained == 0 {
		t.Fatal("no account-Region prepares in two waves in a row: the check checked nothing")
	}
	if !strings.Contains(wf, "needs:\n      - w1-switchover-") && !strings.Contains(wf, "needs:\n      - w1-bake") {
		t.Errorf("wave 2 does not wait for wave 1")
	}
}

// The check can fail: actionlint catches a broken needs graph.
func TestActionlintCatchesABrokenWorkflow(t *testing.T) {
	h := newHarness(t, 6)
	p := h.plan(t, defaultSelection(), defaultPolicy())
	wf := strings.Replace(GitHubActions(p, ExportOptions{}), "needs:\n      - w1-prepare-", "needs:\n      - w9-nowhere-", 1)
	if len(lintWorkflow(t, wf)) == 0 {
		t.Fatal("actionlint found nothing in a workflow whose needs names a job that does not exist")
	}
}
