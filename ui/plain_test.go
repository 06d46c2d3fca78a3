package ui

import (
	"bytes"
	"context"
	"github.com/charmbracelet/x/ansi"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// operator is plain mode's terminal in tests: it records everything
// written, and answers each prompt from what the prompt says, the way a
// person would: the identifier a "Type X to confirm" line asks for, y to a
// yes/no question. wrongFirst types a wrong identifier once, to prove it
// is refused.
type operator struct {
	mu         sync.Mutex
	out        bytes.Buffer
	pending    []byte
	wrongFirst bool
	prompts    []string
}

func (o *operator) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.out.Write(p)
}

func (o *operator) Read(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.pending) == 0 {
		text := o.out.String()
		last := text[strings.LastIndex(text, "\n")+1:]
		o.prompts = append(o.prompts, last)
		switch {
		case strings.HasPrefix(last, "Type "):
			id := strings.Fields(last)[1]
			if o.wrongFirst {
				o.wrongFirst = false
				id += "-typo"
			}
			o.pending = []byte(id + "\n")
		case strings.HasPrefix(last, "Answer "):
			o.pending = []byte("y\n")
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, o.pending)
	o.pending = o.pending[n:]
	return n, nil
}

func TestPlainRunsSimulatorWithTypedConfirmations(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	cfg.Options = contract.Options{Source: "orders-db"}
	op := &operator{wrongFirst: true}
	code, err := runPlain(context.Background(), cfg, engineBackend(cfg), op, op)
	out := op.out.String()
	if err != nil || code != contract.ExitOK {
		t.Fatalf("exit %d, err %v:\n%s", code, err, out)
	}
	for _, want := range []string{"preflight pass", "plan ready", "Type orders-db to confirm", `Refused: "orders-db-typo" is not orders-db; nothing was confirmed.`,
		`to confirm (or "stop"): orders-db-typo` + "\n", // a piped answer is echoed for the log
		"step switchover done", "Run finished: done (exit 0)", "Proxy-less window"} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestPlainEnterAloneNeverConfirmsASeverePrompt(t *testing.T) {
	c := newConfirmation(contract.Approval{Kind: "critical-section", Severity: contract.SeveritySevere, Confirm: srcID, Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}}, make(chan contract.Decision, 1), "")
	if _, ok, msg := plainAnswer(c, ""); ok || !strings.Contains(msg, "never confirms") {
		t.Fatalf("empty line: ok=%v msg=%q", ok, msg)
	}
	if _, ok, _ := plainAnswer(c, "y"); ok {
		t.Fatal("y confirmed a severe prompt")
	}
	if d, ok, _ := plainAnswer(c, srcID); !ok || d != contract.DecisionApprove {
		t.Fatalf("identifier: %q %v", d, ok)
	}
	if d, ok, _ := plainAnswer(c, "stop"); !ok || d != contract.DecisionDecline {
		t.Fatalf("stop: %q %v", d, ok)
	}
}

func TestPlainInputEndsAtFirstPromptExits2WithoutChanges(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	cfg.Options = contract.Options{Source: "orders-db"}
	var out bytes.Buffer
	code, _ := runPlain(context.Background(), cfg, engineBackend(cfg), strings.NewReader(""), &out)
	if code != contract.ExitUsage {
		t.Fatalf("exit %d, want %d:\n%s", code, contract.ExitUsage, out.String())
	}
	if !strings.Contains(out.String(), "input ended before a question was answered") || !strings.Contains(out.String(), "--yes --confirm") {
		t.Fatalf("no clear message:\n%s", out.String())
	}
	// A refused call (the preflight's permission probe) changed nothing:
	// its line ends with AWS's error code.
	if acceptedCall.MatchString(out.String()) {
		t.Fatalf("a change was made without an answer:\n%s", out.String())
	}
	if strings.Contains(out.String(), "(exit 1)") || !strings.Contains(out.String(), "Run stopped: no answer") {
		t.Fatalf("the summary line contradicts the process's exit code 2:\n%s", out.String())
	}
}

func TestPlainChoosesSourceAfterRefusingUnknown(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	var out bytes.Buffer
	code, _ := runPlain(context.Background(), cfg, engineBackend(cfg), strings.NewReader("nosuch-db\n0\norders-db\n"), &out)
	text := out.String()
	if !strings.Contains(text, `"nosuch-db" is not in the list.`) || !strings.Contains(text, `"0" is not in the list.`) || !strings.Contains(text, ") orders-db") {
		t.Fatalf("source prompt:\n%s", text)
	}
	if !strings.Contains(text, "Source orders-db") {
		t.Fatalf("chosen source did not reach the plan:\n%s", text)
	}
	if code != contract.ExitUsage {
		t.Fatalf("exit %d after input ended at the plan, want %d", code, contract.ExitUsage)
	}
}

// acceptedCall is the API-call line of an accepted change (": ok", not
// AWS's error code).
var acceptedCall = regexp.MustCompile(`AWS (CreateBlueGreenDeployment|DeregisterDBProxyTargets|RegisterDBProxyTargets) \S+ request \S+: ok\n`)

// Walkthrough D9: at a terminal, plain mode's lines fit its width, wrapped
// at word boundaries, and every "$ " command continues with a backslash so
// a pasted block is still one command.
func TestPlainFitsTheTerminalAndKeepsCommandsWhole(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	cfg.Options = contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}
	cfg.PlainWidth = 80
	cfg.NextFlags = " --region us-east-1 --endpoint-url http://127.0.0.1:18765 --state-dir /home/dba/rdsbg-state"
	op := &operator{}
	code, err := runPlain(context.Background(), cfg, engineBackend(cfg), op, op)
	out := op.out.String()
	if err != nil || code != contract.ExitOK {
		t.Fatalf("exit %d, err %v:\n%s", code, err, out)
	}
	commands := 0
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		body := strings.TrimSpace(strings.TrimSuffix(l, " \\"))
		if f := strings.Fields(body); len(f) == 2 && strings.HasSuffix(f[0], ":") {
			body = f[1] // a label and one long word (a path)
		}
		if w := ansi.StringWidth(l); w > 80 && strings.Contains(body, " ") { // one word longer than a line stays whole
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
		if strings.HasPrefix(strings.TrimSpace(l), "$ ") {
			commands++
			for k := i; strings.HasSuffix(lines[k], " \\"); k++ {
				if k+1 >= len(lines) || !strings.HasPrefix(lines[k+1], "    ") {
					t.Errorf("continuation of %q is not indented: %q", l, lines[k+1])
				}
			}
		}
	}
	if commands == 0 {
		t.Fatalf("no command printed:\n%s", out)
	}
}
