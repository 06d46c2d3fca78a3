package main

import (
	"strings"
	"testing"
)

func TestDemoUnknownScenarioNamesTheCommandAndTheValidOnes(t *testing.T) {
	code, _, errOut := runHelp(t, "demo", "--scenario", "bogus")
	if code != 2 || !strings.Contains(errOut, `demo: unknown scenario "bogus"`) || !strings.Contains(errOut, "rds-mariadb-no-proxy") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "sim: unknown") {
		t.Fatalf("the demo speaks of sim: %s", errOut)
	}
}
