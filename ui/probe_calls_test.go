package ui

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// The wizard's API panel shows a permission probe's deliberate refusal as
// the probe's expected answer, styled like a success, not as a failure
// (the call log marks it: steps' TestPermissionProbeAnswersReadAsExpected).
func TestAPIPanelShowsTheProbeAnswerAsExpected(t *testing.T) {
	st := newStyles(false)
	probe := contract.Call{Operation: "AddTagsToResource", HTTPStatus: 400, ErrorCode: "MissingParameter", Mutating: true,
		Expected: "permission probe: IAM allowed the action; nothing changed"}
	failed := probe
	failed.Expected = ""
	ok := contract.Call{Operation: "AddTagsToResource", HTTPStatus: 200, Mutating: true}
	got := renderCalls(st, 200, []contract.Call{probe})
	if !strings.Contains(got, "expected MissingParameter") {
		t.Errorf("panel does not say the refusal was expected:\n%s", got)
	}
	bad := st.Bad.Render("x")
	badPrefix := bad[:strings.Index(bad, "x")]
	if strings.Contains(got, badPrefix) {
		t.Errorf("the probe's answer is styled as a failure:\n%q", got)
	}
	if !strings.Contains(renderCalls(st, 200, []contract.Call{failed}), badPrefix) || strings.Contains(renderCalls(st, 200, []contract.Call{ok}), badPrefix) {
		t.Fatal("the check cannot tell a failure's style from a success's")
	}
}
