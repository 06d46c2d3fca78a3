package journal

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
)

func TestJournalFoldAndTornLine(t *testing.T) {
	dir := t.TempDir()
	path := Path(dir, "arn:aws:rds:us-east-1:123456789012:db:Orders-DB")
	if filepath.Base(path) != "orders-db.journal.jsonl" || path != Path(dir, "orders-db") {
		t.Fatalf("journal path %s: an ARN and its identifier must share one file", path)
	}
	clk := clock.NewVirtual(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	j, err := Open(path, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	plan := contract.Plan{Source: contract.Source{ID: "orders-db"}, Steps: []contract.PlannedStep{{ID: contract.StepDetachProxy}, {ID: contract.StepCreateDeployment}}}
	for _, r := range []Record{
		{Kind: RecordRunStarted, Source: "orders-db", Plan: &plan},
		{Kind: RecordProxies, Proxies: []contract.ProxyRegistration{{Proxy: "orders-proxy"}}},
		{Kind: RecordStep, Step: contract.StepDetachProxy, State: StepStateStarted},
		{Kind: RecordStep, Step: contract.StepDetachProxy, State: StepStateDone},
		{Kind: RecordDeployment, DeploymentID: "bgd-1"},
		{Kind: RecordProxyless, State: "open"},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// A crash mid-write leaves half a line.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"step","step":"create-deploy`)
	f.Close()
	recs, err := Read(path)
	if err != nil || len(recs) != 6 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	st := Fold(recs)
	if !st.Unfinished() || !st.Done(contract.StepDetachProxy) || st.Done(contract.StepCreateDeployment) || st.DeploymentID != "bgd-1" ||
		len(st.Proxies) != 1 || st.ProxylessAt == nil {
		t.Errorf("fold: %+v", st)
	}
	open, err := Unfinished(dir)
	if err != nil || open[path] != "orders-db" {
		t.Errorf("unfinished journals %v %v", open, err)
	}
	if sources, err := UnfinishedSources(dir); err != nil || len(sources) != 1 || sources[0] != "orders-db" {
		t.Errorf("FindJournals: %v %v", sources, err)
	}
	recs = append(recs, Record{Kind: RecordFinish, Finished: &contract.Finished{Outcome: contract.OutcomeDone}})
	if Fold(recs).Unfinished() {
		t.Errorf("a done run is unfinished")
	}
	recs[len(recs)-1].Finished.Outcome = contract.OutcomeInterrupted
	if !Fold(recs).Unfinished() {
		t.Errorf("an interrupted run is not resumable")
	}
}
