package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/awsclient"
)

// At 80 columns the proxy table cut names and states ("billing-pr…",
// "PENDING_PROXY…"); every name and state must now be whole, at every
// width down to a narrow 50.
func TestProxyTableKeepsNamesAndStatesWhole(t *testing.T) {
	st := newStyles(true)
	targets := []awsclient.ProxyTarget{
		{ProxyName: "billing-proxy-production", RdsResourceID: "billing-cluster", Type: "TRACKED_CLUSTER", Role: "READ_WRITE",
			Health: awsclient.TargetHealth{State: "UNAVAILABLE", Reason: "PENDING_PROXY_CAPACITY"}},
		{ProxyName: "billing-proxy-production", RdsResourceID: "billing-cluster-instance-1", Type: "RDS_INSTANCE", Role: "READ_WRITE",
			Health: awsclient.TargetHealth{State: "UNAVAILABLE", Reason: "PENDING_PROXY_CAPACITY"}},
		{ProxyName: "billing-proxy-reporting", RdsResourceID: "billing-cluster-instance-2", Type: "RDS_INSTANCE", Role: "READ_ONLY",
			Health: awsclient.TargetHealth{State: "AVAILABLE"}},
	}
	for _, width := range []int{58, 64, 74, 78, 98, 158} {
		out := ansi.Strip(renderProxyTargets(st, width, targets))
		if strings.Contains(out, "…") {
			t.Errorf("width %d cuts a word:\n%s", width, out)
		}
		for _, want := range []string{"billing-proxy-production", "billing-proxy-reporting", "billing-cluster-instance-1", "PENDING_PROXY_CAPACITY", "UNAVAILABLE", "AVAILABLE"} {
			if !strings.Contains(out, want) {
				t.Errorf("width %d lacks %q:\n%s", width, want, out)
			}
		}
		for _, l := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("width %d: a line of %d columns: %q", width, w, l)
			}
		}
	}
	if out := ansi.Strip(renderProxyTargets(st, 158, targets)); !strings.Contains(out, "TRACKED_CLUSTER") {
		t.Errorf("wide terminals keep AWS's TYPE and ROLE words:\n%s", out)
	}
}

func TestMembersTableKeepsNamesWholeAt80(t *testing.T) {
	st := newStyles(true)
	members := []awsclient.SwitchoverMember{
		{Source: arn("orders-db"), Target: arn("orders-db-green-a1b2c3"), Status: "SWITCHOVER_IN_PROGRESS"},
		{Source: arn("orders-db-replica-1"), Target: arn("orders-db-replica-1-green-x9y8z7"), Status: "SWITCHOVER_COMPLETED"},
	}
	for _, width := range []int{64, 74, 78} {
		out := ansi.Strip(renderMembers(st, width, members, map[string]bool{arn("orders-db-replica-1"): true}))
		for _, want := range []string{"orders-db-replica-1-green-x9y8z7", "orders-db-replica-1", "SWITCHOVER_IN_PROGRESS", "SWITCHOVER_COMPLETED", "•"} {
			if !strings.Contains(out, want) {
				t.Errorf("width %d lacks %q:\n%s", width, want, out)
			}
		}
		if strings.Contains(out, "…") {
			t.Errorf("width %d cuts a name:\n%s", width, out)
		}
	}
}
