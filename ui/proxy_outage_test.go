package ui

import (
	"testing"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// The question the engine asks when AWS kept refusing blue's registration
// for --max-proxy-outage (issue 11): wait longer or roll back, one key each.
func TestProxyOutageQuestionOffersWaitAndRollback(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	a := contract.Approval{Kind: "proxy-outage", Step: contract.StepAttachProxyBlue,
		Title:    "The proxy is still empty after --max-proxy-outage 10m0s: wait longer or roll back?",
		Text:     "The proxy orders-proxy has been EMPTY for 10m3s (since 22:00:05): AWS keeps refusing to register orders-db again while green is provisioning.",
		Severity: contract.SeverityReversible, Error: &contract.ErrorInfo{Code: "InvalidDBInstanceState", Message: "orders-db is part of a blue/green deployment"},
		Choices: []contract.Decision{contract.DecisionWait, contract.DecisionRollback}}
	h.send(approvalMsg{approval: a, answer: answer})
	h.expectApproval("proxy-outage", "w wait", "b roll back")
	h.mustNotShow("y approve")
	h.keys("w")
	if d := <-answer; d != contract.DecisionWait {
		t.Fatalf("decision %q, want wait", d)
	}
	h.send(approvalMsg{approval: a, answer: answer})
	h.expectApproval("proxy-outage")
	h.keys("b")
	if d := <-answer; d != contract.DecisionRollback {
		t.Fatalf("decision %q, want rollback", d)
	}
}
