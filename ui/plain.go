package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/charmbracelet/x/term"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// errNoInput means the input ended before a prompt was answered: plain mode
// never guesses an answer.
var errNoInput = errors.New("input ended before the prompt was answered")

// plainIO is plain line mode's terminal: every event a line, every prompt a
// line read from in (huh's accessible mode). The engine may call Sink from
// more than one goroutine, so writes are serialised.
type plainIO struct {
	mu      sync.Mutex
	in      *bufio.Reader
	out     io.Writer
	source  string // for the severe prompts when an approval names none
	noInput bool
	// echo repeats each answer when in is not a terminal (a pipe or a
	// file): nobody's Enter ends the prompt line, and the log should show
	// what was answered.
	echo bool
	// lastProgress suppresses identical progress lines: a 1 s poll must not
	// flood a log.
	lastProgress string
	proxies      string // the plan's proxies, for the epilogue
	// width is the terminal's (0 when out is a pipe or a file: a log
	// keeps its lines whole): lines wrap at word boundaries there, and
	// commands break with a backslash (walkthrough D9).
	width int
}

// lines lays text out at the terminal's width: prose wrapped at word
// boundaries under its own indent, commands ("$ …") kept pasteable.
func (p *plainIO) lines(text string) string {
	if p.width <= 0 {
		return text
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		nl := strings.HasSuffix(line, "\n")
		line = strings.TrimSuffix(line, "\n")
		body := strings.TrimLeft(line, " ")
		lead := line[:len(line)-len(body)]
		var out []string
		if strings.HasPrefix(body, "$ ") {
			for i, l := range contract.ShellLines(body[2:], p.width-len(lead)-2) {
				if i == 0 {
					out = append(out, lead+"$ "+l)
				} else {
					out = append(out, lead+"  "+l)
				}
			}
		} else {
			out = contract.WrapWords(body, p.width, lead, lead+"    ")
		}
		b.WriteString(strings.Join(out, "\n"))
		if nl {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// terminalWidth is out's width when it is a terminal, else 0.
func terminalWidth(out io.Writer) int {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return 0
	}
	w, _, err := term.GetSize(f.Fd())
	if err != nil {
		return 0
	}
	return w
}

func (p *plainIO) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format, args...)
}

// readLine reads one answer; at EOF with nothing typed it reports
// errNoInput.
func (p *plainIO) readLine() (string, error) {
	line, err := p.in.ReadString('\n')
	if err != nil && line == "" {
		if errors.Is(err, io.EOF) {
			p.noInput = true
			return "", errNoInput
		}
		return "", err
	}
	answer := strings.TrimSpace(line)
	if p.echo {
		p.printf("%s\n", answer)
	}
	return answer, nil
}

// isTerminal reports whether r is a terminal (whose own echo shows the
// answer).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// RunPlain runs the whole flow as plain lines over in and out, for --plain
// and for terminals the full-screen wizard cannot use. Options are taken
// from cfg (flags) with the engine's defaults; only the source (when not
// given) and the approvals are asked.
//
// Exit codes: those of the run (design.md §4), except that when in ends
// before a question is answered the run stops without that change and the
// exit code is always 2 (unusable input): nobody chose to cancel, and a
// script that pipes nothing into a prompt must use
// `rdsbg run --yes --confirm ID`.
func RunPlain(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (int, error) {
	return runPlain(ctx, cfg, engineBackend(cfg), in, out)
}

func runPlain(ctx context.Context, cfg Config, be backend, in io.Reader, out io.Writer) (int, error) {
	p := &plainIO{in: bufio.NewReader(in), out: out, source: cfg.Options.Source, echo: !isTerminal(in), width: terminalWidth(out)}
	if cfg.PlainWidth > 0 {
		p.width = cfg.PlainWidth
	}
	clk := cfg.Clock
	if clk == nil {
		clk = contract.WallClock()
	}
	opts := cfg.Options
	if opts.Source == "" && (cfg.Mode == "" || cfg.Mode == "run") {
		src, err := p.chooseSource(ctx, be)
		if err != nil {
			if errors.Is(err, errNoInput) {
				p.printf("No source chosen: input ended. Pass --source ID to choose it without a prompt.\n")
				return contract.ExitUsage, err
			}
			p.printf("Could not choose a source: %v\n", err)
			return contract.ExitUsage, err
		}
		opts.Source = src
		opts.DeploymentName = cfg.Options.DeploymentName
	}
	p.source = opts.Source
	opts = opts.WithDefaultsAt(clk.Now())
	f, err := be.run(ctx, cfg.Mode, opts, p, p.sink)
	code := f.ExitCode
	switch {
	case p.noInput:
		code = contract.ExitUsage
		p.printf("Stopped: input ended before a question was answered. Nothing more was changed; " +
			"if earlier steps ran, `rdsbg resume` continues from the journal.\n" +
			"For unattended runs use: rdsbg run --source ID --yes --confirm ID\n")
	case err != nil && f.Outcome == "":
		code = contract.ExitStepFailed
		if errors.Is(err, context.Canceled) {
			code = contract.ExitInterrupted
		}
		p.printf("Run ended with an error: %v\n", err)
	}
	p.mu.Lock()
	proxies := p.proxies
	p.mu.Unlock()
	ep := EpilogueInput{Source: opts.Source, Proxies: proxies, Code: code, Flags: cfg.NextFlags, Demo: cfg.DemoRerun, Width: p.width}
	if f.Outcome != "" {
		ep.Finished = &f
	}
	p.printf("\n%s", Epilogue(ep))
	return code, err
}

// chooseSource lists the region's databases and reads a number or an
// identifier.
func (p *plainIO) chooseSource(ctx context.Context, be backend) (string, error) {
	list, err := be.listSources(ctx)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", errors.New("no DB instance or cluster in this region")
	}
	p.printf("Databases in this region:\n")
	for i, s := range list {
		proxies := strings.Join(s.Proxies, ",")
		if proxies == "" {
			proxies = "no proxy"
		}
		p.printf("  %d) %s  %s %s %s  %s  %s\n", i+1, s.ID, s.Kind, s.Engine, s.EngineVersion, s.Status, proxies)
	}
	for {
		p.printf("Source (number or identifier): ")
		line, err := p.readLine()
		if err != nil {
			p.printf("\n")
			return "", err
		}
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(list) {
			return list[n-1].ID, nil
		}
		for _, s := range list {
			if s.ID == line {
				return s.ID, nil
			}
		}
		p.printf("%q is not in the list.\n", line)
	}
}

// sink prints one event as one or more lines, in the words of
// steps.PlainText; plain mode keeps only the memory: the plan's proxies
// for the epilogue, the last progress line (a 1 s poll must not flood a
// log), and whether the input ended (the summary's head).
func (p *plainIO) sink(e contract.Event) {
	p.mu.Lock()
	switch e.Type {
	case contract.EventPlanReady:
		if e.Plan != nil {
			p.proxies = e.Plan.ProxyNames() // for the epilogue's traffic line
		}
	case contract.EventStepStarted:
		p.lastProgress = ""
	case contract.EventProgress:
		if e.Progress != nil {
			line := contract.ProgressLine(*e.Progress, contract.LayoutPlain)
			changed := line != p.lastProgress
			p.lastProgress = line
			if !changed {
				p.mu.Unlock()
				return
			}
		}
	}
	noInput := p.noInput
	p.mu.Unlock()
	text := contract.PlainText(e)
	if e.Type == contract.EventRunFinished && e.Finished != nil && noInput {
		text = contract.PlainSummary(*e.Finished, true)
	}
	if text != "" {
		p.printf("%s", p.lines(text))
	}
}

// Approve asks one approval as plain lines. The text printed is exactly the
// approval's Title, Text and CLI.
func (p *plainIO) Approve(ctx context.Context, a contract.Approval) (contract.Decision, error) {
	p.printf("%s", p.lines("\n== "+a.Title+" ==\n"))
	if a.Text != "" {
		p.printf("%s", p.lines(a.Text+"\n"))
	}
	if a.Error != nil {
		p.printf("%s", p.lines(contract.ErrorLines(*a.Error)))
	}
	for _, c := range a.CLI {
		p.printf("%s", p.lines("  $ "+c+"\n"))
	}
	c := newConfirmation(a, make(chan contract.Decision, 1), p.source)
	for {
		if err := ctx.Err(); err != nil {
			return contract.DecisionDecline, err
		}
		if c.typing() {
			var others []string
			for _, w := range []struct {
				d    contract.Decision
				word string
			}{{contract.DecisionDecline, "stop"}, {contract.DecisionRollback, "rollback"}, {contract.DecisionRetry, "retry"}, {contract.DecisionWait, "wait"}} {
				if c.offers(w.d) {
					others = append(others, `"`+w.word+`"`)
				}
			}
			stop := ""
			if len(others) > 0 {
				stop = " (or " + strings.Join(others, ", ") + ")"
			}
			p.printf("Type %s to confirm%s: ", c.approval.Confirm, stop)
		} else {
			p.printf("%s: ", plainChoices(c))
		}
		line, err := p.readLine()
		if err != nil {
			// Nobody can answer (the terminal is gone, stdin closed): the
			// safe answer, as the wizard gives (lost_terminal.go).
			p.printf("\nNo answer: %v. Answering %q safely (never inside the critical section): the run stops at this approval, resumable.\n", err, a.Title)
			return lostTerminalAnswer(ctx, a)
		}
		d, ok, refusal := plainAnswer(c, line)
		if ok {
			return d, nil
		}
		p.printf("%s\n", refusal)
	}
}

// plainChoices lists the words that answer a non-typed approval.
func plainChoices(c *confirmation) string {
	var parts []string
	for _, d := range []contract.Decision{contract.DecisionApprove, contract.DecisionDecline, contract.DecisionRetry, contract.DecisionRollback, contract.DecisionWait} {
		if c.offers(d) {
			parts = append(parts, plainWord(d))
		}
	}
	return "Answer " + strings.Join(parts, " / ")
}

func plainWord(d contract.Decision) string {
	switch d {
	case contract.DecisionApprove:
		return "[y]es"
	case contract.DecisionDecline:
		return "[n]o (stop here)"
	case contract.DecisionRetry:
		return "[r]etry"
	case contract.DecisionRollback:
		return "[b] roll back"
	case contract.DecisionWait:
		return "[w]ait"
	}
	return string(d)
}

// plainAnswer applies the same rules as the wizard: a severe approval needs
// the identifier typed exactly (an empty line never confirms); a reversible
// one needs y or n.
func plainAnswer(c *confirmation, line string) (contract.Decision, bool, string) {
	if c.typing() {
		switch {
		case line == c.approval.Confirm:
			return contract.DecisionApprove, true, ""
		case line == "stop" && c.offers(contract.DecisionDecline):
			return contract.DecisionDecline, true, ""
		case line == "rollback" && c.offers(contract.DecisionRollback):
			return contract.DecisionRollback, true, ""
		case line == "retry" && c.offers(contract.DecisionRetry):
			return contract.DecisionRetry, true, ""
		case line == "wait" && c.offers(contract.DecisionWait):
			return contract.DecisionWait, true, ""
		case line == "":
			return "", false, fmt.Sprintf("Refused: an empty answer never confirms. Type %s exactly.", c.approval.Confirm)
		}
		return "", false, fmt.Sprintf("Refused: %q is not %s; nothing was confirmed.", line, c.approval.Confirm)
	}
	words := map[string]contract.Decision{
		"y": contract.DecisionApprove, "yes": contract.DecisionApprove,
		"n": contract.DecisionDecline, "no": contract.DecisionDecline,
		"r": contract.DecisionRetry, "retry": contract.DecisionRetry,
		"b": contract.DecisionRollback, "rollback": contract.DecisionRollback,
		"w": contract.DecisionWait, "wait": contract.DecisionWait,
	}
	d, ok := words[strings.ToLower(line)]
	if !ok || !c.offers(d) {
		return "", false, "Please answer " + strings.TrimPrefix(plainChoices(c), "Answer ") + "."
	}
	return d, true, ""
}
