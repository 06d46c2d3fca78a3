package steps

import (
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// Walkthrough D9: copyable text. A command laid out for a narrow terminal
// breaks only between words, never inside quotes or $(…), and every line
// but the last ends with a backslash, so the pasted block is one command —
// checked by the shell itself (sh -n) and by joining the lines back.
func TestShellLinesStayOneCommand(t *testing.T) {
	b := cliBuilder{region: "us-east-1"}
	src := fixtureRDSPostgres().Source
	cmds := []string{
		b.createDeployment(src, Options{DeploymentName: "rdsbg-orders-db-20261121", TargetEngineVersion: "16.4", TargetDBParameterGroupName: "orders pg16"}, true),
		b.describeTargets("orders-proxy") + "   # repeat until AVAILABLE",
		"rdsbg resume --source orders-db --region us-east-1 --endpoint-url http://127.0.0.1:18765 --state-dir '/tmp/a dir/state'",
	}
	shell, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	for _, cmd := range cmds {
		for _, width := range []int{40, 60, 80} {
			lines := ShellLines(cmd, width)
			if len(lines) < 2 {
				t.Errorf("%d columns: %q not broken", width, cmd)
			}
			for i, l := range lines {
				if i < len(lines)-1 && !strings.HasSuffix(l, " \\") {
					t.Errorf("%d columns: line %d %q has no continuation", width, i, l)
				}
				if n := utf8.RuneCountInString(l); n > width && !strings.Contains(strings.TrimSpace(strings.TrimSuffix(l, " \\")), " ") {
					continue // one word longer than the width stays whole
				} else if n > width {
					t.Errorf("%d columns: line %q is %d wide", width, l, n)
				}
			}
			joined := strings.Join(shellWords(strings.ReplaceAll(strings.Join(lines, "\n"), " \\\n", " ")), " ")
			if joined != strings.Join(shellWords(cmd), " ") {
				t.Errorf("%d columns: the lines join to %q, not %q", width, joined, cmd)
			}
			if out, err := exec.Command(shell, "-n", "-c", strings.Join(lines, "\n")).CombinedOutput(); err != nil {
				t.Errorf("%d columns: sh -n refuses %q: %v %s", width, lines, err, out)
			}
		}
	}
}

func TestWrapWordsKeepsCommandsWhole(t *testing.T) {
	text := "continues from the journal (or `rdsbg abort --source orders-db --region us-east-1` to undo) and more words after it"
	// Wide enough: the command stays on one line, backticks and all.
	for _, l := range WrapWords(text, 70, "  Next: ", "        ") {
		if strings.Count(l, "`")%2 != 0 {
			t.Errorf("a backticked command is split: %q", l)
		}
	}
	// Too narrow: the command gets lines of its own that paste as one.
	lines := WrapWords(text, 40, "  Next: ", "        ")
	flat := strings.Join(strings.Fields(strings.ReplaceAll(strings.Join(lines, "\n"), " \\\n", " ")), " ")
	for _, want := range []string{"Next: continues from the journal (or rdsbg abort --source orders-db --region us-east-1 to undo) and more words after it"} {
		if flat != want {
			t.Errorf("lines %q read %q, want %q", lines, flat, want)
		}
	}
	for i, l := range lines {
		if utf8.RuneCountInString(l) > 40 {
			t.Errorf("line %d %q is wider than 40", i, l)
		}
	}
	if got := WrapWords("short", 0, "a ", "b"); len(got) != 1 || got[0] != "a short" {
		t.Errorf("no width: %q", got)
	}
}

// Walkthrough D10: a resumed run's commands set $BGD themselves rather
// than lean on a shell that set it earlier.
func TestResumedCommandsSetTheirOwnDeploymentVariable(t *testing.T) {
	plan, err := BuildPlan(fixtureRDSPostgres(), Options{Source: "orders-db", ProxyMode: ProxyModeDetach}, nil, planTime)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{plan: plan, proxies: plan.Proxies}
	sw, _ := plan.Step(StepSwitchover)
	if got := r.withBGD(sw.CLI); len(got) != len(sw.CLI) {
		t.Errorf("no deployment yet, yet %q", got)
	}
	r.dep.id = "bgd-40xmq3liy5l5833p"
	got := r.withBGD(sw.CLI)
	if len(got) != len(sw.CLI)+1 || got[0] != "BGD=bgd-40xmq3liy5l5833p" {
		t.Errorf("commands %q do not set BGD first", got)
	}
	create, _ := plan.Step(StepCreateDeployment)
	if got := r.withBGD(create.CLI); len(got) != len(create.CLI) {
		t.Errorf("the create line sets BGD itself, yet %q", got)
	}
}

// Walkthrough D14: on Aurora, deleting the deployment lifts old blue's
// read-only guard, so the cleanup is severe (the typed identifier) and
// says so; on RDS it stays reversible.
func TestAuroraCleanupThatLiftsTheGuardIsSevere(t *testing.T) {
	aurora, err := BuildPlan(fixtureAuroraGlobal(), Options{Source: "payments-cluster", Cleanup: CleanupDeployment}, nil, planTime)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := aurora.Step(StepCleanup)
	if ps.Severity != SeveritySevere || !strings.Contains(ps.Effect, "WRITABLE") {
		t.Errorf("Aurora cleanup: %s, %q", ps.Severity, ps.Effect)
	}
	rds, err := BuildPlan(fixtureRDSPostgres(), Options{Source: "orders-db", Cleanup: CleanupDeployment}, nil, planTime)
	if err != nil {
		t.Fatal(err)
	}
	if ps, _ := rds.Step(StepCleanup); ps.Severity != SeverityReversible {
		t.Errorf("RDS cleanup: %s", ps.Severity)
	}
}
