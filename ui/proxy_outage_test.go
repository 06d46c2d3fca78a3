package ui

import (
	"testing"

	"github.com/rdsbg/rdsbg/steps"
)

// The question the engine asks when AWS kept refusing blue's registration
// for --max-proxy-outage (issue 11): wait longer or roll back, one key each.
func TestProxyOutageQuestionOffersWaitAndRollback(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	a := steps.Approval{Kind: "proxy-outage", Step: steps.StepAttachProxyBlue,
		Title:    "The proxy is still empty after --max-proxy-outage 10m0s: wait longer or roll back?",
		Text:     "The proxy orders-proxy has been EMPTY for 10m3s (since 22:00:05): AWS keeps refusing to register orders-db again while green is provisioning.",
		Severity: steps.SeverityReversible, Error: &steps.ErrorInfo{Code: "InvalidDBInstanceState", Message: "orders-db is part of a blue/green deployment"},
		Choices: []steps.Decision{steps.DecisionWait, steps.DecisionRollback}}
	h.send(approvalMsg{approval: a, answer: answer})
	h.expectApproval("proxy-outage", "w wait", "b roll back")
	h.mustNotShow("y approve")
	h.keys("w")
	if d := <-answer; d != steps.DecisionWait {
		t.Fatalf("decision %q, want wait", d)
	}
	h.send(approvalMsg{approval: a, answer: answer})
	h.expectApproval("proxy-outage")
	h.keys("b")
	if d := <-answer; d != steps.DecisionRollback {
		t.Fatalf("decision %q, want rollback", d)
	}
}
