package steps

import (
	"context"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// Inside the critical section no call on the path of the proxy-less window
// waits for the client's pacer: right after the ready-check's reads and an
// instant headless approval, the calls up to the switchover come back to
// back, as do those from its completion to the new primary's health, and
// each must take just the API's latency, or the window grows. (A poll
// while AWS switches over may wait: the switchover takes far longer.)
func TestCriticalSectionCallsAreNotPaced(t *testing.T) {
	isolateBenchEnv(t)
	r := newBenchRun(t, simStart, windowSimOptions())
	f, err := r.engine(t, contract.Options{Source: windowSource, ProxyMode: contract.ProxyModeDetach, Cleanup: contract.CleanupNone}, approveAll{}, poll.DefaultPolicy()).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: outcome %s: %v", f.Outcome, err)
	}
	from, _, ok1 := r.stepSpan(contract.StepDetachProxyBlue)
	_, to, ok2 := r.stepSpan(contract.StepAttachProxyPrimary)
	if !ok1 || !ok2 {
		t.Fatal("the critical section did not run")
	}
	_, switchedAt, _ := r.stepSpan(contract.StepSwitchover)
	from = from.Add(-time.Second) // its observe reads come before step-started
	n := 0
	r.mu.Lock()
	defer r.mu.Unlock()
	sentSwitchover := false
	for _, c := range r.log {
		if c.Start.Before(from) || !c.Start.Before(to) {
			continue
		}
		if sentSwitchover && c.Start.Before(switchedAt) {
			continue
		}
		sentSwitchover = sentSwitchover || c.Operation == "SwitchoverBlueGreenDeployment"
		n++
		if c.Duration != benchAPILatency {
			t.Errorf("%s at %s took %s, want the API latency %s: it waited for the pacer", c.Operation, c.Start.Sub(from), c.Duration, benchAPILatency)
		}
	}
	if n < 10 {
		t.Errorf("only %d calls in the critical section", n)
	}
}
