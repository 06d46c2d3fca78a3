package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdsbg/rdsbg/steps"
)

// The command line's help: an example for every command, --version, flags
// shown only where they mean something, help wrapped to the terminal. Kept
// apart from the commands so help and behaviour can change independently.

// commandExamples are cobra's Example: blocks, by command name.
var commandExamples = map[string]string{
	"rdsbg": `  # open the wizard on one database (or without --source to choose)
  rdsbg --profile prod --region eu-west-1 --source orders-db

  # try it first against the built-in simulator
  rdsbg demo`,
	"demo": `  # the default scenario: RDS PostgreSQL behind a proxy that must be detached
  rdsbg demo

  # an Aurora cluster, at real AWS speed
  rdsbg demo --scenario aurora-postgres-proxy --speed 1`,
	"sim": `  # serve a scenario, then point the AWS CLI or rdsbg at it
  rdsbg sim --listen 127.0.0.1:8765 --scenario rds-mysql-native-proxy
  rdsbg --endpoint-url http://127.0.0.1:8765 --region us-east-1 plan --source shop-db`,
	"plan": `  # what would happen, with the AWS CLI runbook; changes nothing
  rdsbg plan --source orders-db --target-engine-version 16.4

  # a runbook to attach to a change ticket
  rdsbg plan --source orders-db --target-engine-version 16.4 --output markdown > change.md`,
	"run": `  # headless: --yes for reversible steps, --confirm <source> for severe ones
  rdsbg run --source orders-db --target-engine-version 16.4 --yes --confirm orders-db

  # stop before the critical section; switch over later with resume
  rdsbg run --source orders-db --target-engine-version 16.4 --yes --until ready`,
	"resume": `  # continue the only unfinished run
  rdsbg resume

  # continue one source's run headless
  rdsbg resume --source orders-db --yes --confirm orders-db`,
	"status": `  # the journal and the live AWS state of the unfinished run
  rdsbg status

  rdsbg status --source orders-db --output json`,
	"abort": `  # before switchover: delete the deployment and its green,
  # and register the original proxy targets again
  rdsbg abort --source orders-db`,
}

// notApplying are the inherited flags a command ignores: they are hidden
// from its help (the simulator has no AWS client; the demo brings its own
// endpoint and credentials; plan and status change nothing, so no hooks or
// probe).
var notApplying = map[string][]string{
	"sim":    {"profile", "region", "endpoint-url", "state-dir", "no-color", "plain", "no-metrics", "hook", "hook-timeout", "probe-dsn", "debug", "db-dsn", "db-iam-user", "db-credentials", "db-endpoint", "require-db-checks", "max-transaction-age"},
	"demo":   {"profile", "region", "endpoint-url", "hook", "hook-timeout", "probe-dsn"},
	"plan":   {"plain", "hook", "hook-timeout", "probe-dsn", "no-metrics"},
	"status": {"plain", "hook", "hook-timeout", "probe-dsn", "no-metrics", "db-dsn", "db-iam-user", "db-credentials", "db-endpoint", "require-db-checks", "max-transaction-age"},
	// iam-policy prints a document from the flags and calls nothing.
	// (--db-iam-user and --db-credentials add their permissions.)
	"iam-policy": {"plain", "hook", "hook-timeout", "probe-dsn", "no-metrics", "db-dsn", "db-endpoint", "require-db-checks", "max-transaction-age"},
	// completion only writes a script; the script passes the flags the
	// operator typed to `rdsbg __complete` (cmd_completion.go).
	"completion": {"profile", "region", "endpoint-url", "state-dir", "no-color", "plain", "no-metrics", "hook", "hook-timeout", "probe-dsn", "debug", "db-dsn", "db-iam-user", "db-credentials", "db-endpoint", "require-db-checks", "max-transaction-age"},
}

// decorateHelp adds the examples, the version and the help layout to every
// command of root.
func decorateHelp(root *cobra.Command) {
	root.Version = buildVersion()
	root.SetVersionTemplate("rdsbg {{.Version}}\n")
	cobra.AddTemplateFunc("wrappedFlagUsages", func(fs *pflag.FlagSet) string { return flagUsages(fs, helpWidth()) })
	cobra.AddTemplateFunc("wrapText", func(s string) string { return wrapText(s, helpWidth(), 0) })
	cobra.AddTemplateFunc("wrapShort", func(s string, pad int) string { return wrapText(s, helpWidth(), pad+3) })
	tmpl := strings.NewReplacer(
		".LocalFlags.FlagUsages", "wrappedFlagUsages .LocalFlags",
		".InheritedFlags.FlagUsages", "wrappedFlagUsages .InheritedFlags",
		"{{rpad .Name .NamePadding }} {{.Short}}", "{{rpad .Name .NamePadding }} {{wrapShort .Short .NamePadding}}",
	).Replace(root.UsageTemplate())
	helpTmpl := strings.Replace(root.HelpTemplate(), "{{. | trimTrailingWhitespaces}}", "{{wrapText . | trimTrailingWhitespaces}}", 1)
	defaultHelp := root.HelpFunc()
	for _, cmd := range append([]*cobra.Command{root}, root.Commands()...) {
		if ex, ok := commandExamples[cmd.Name()]; ok {
			cmd.Example = ex
		}
		cmd.Example = fitExamples(cmd.Example, 80)
		cmd.SetUsageTemplate(tmpl)
		cmd.SetHelpTemplate(helpTmpl)
		if hide := notApplying[cmd.Name()]; len(hide) > 0 {
			cmd.SetHelpFunc(helpHiding(defaultHelp, root, hide))
		}
	}
}

// fitExamples lays each example command out within width columns, broken
// between words with a backslash so it still pastes as one (issue 21:
// examples were 85–120 columns wide). Comments and blank lines stay.
func fitExamples(ex string, width int) string {
	lines := strings.Split(ex, "\n")
	var out []string
	for _, l := range lines {
		body := strings.TrimLeft(l, " ")
		lead := l[:len(l)-len(body)]
		if len(l) <= width || strings.HasPrefix(body, "#") {
			out = append(out, l)
			continue
		}
		for _, part := range steps.ShellLines(body, width-len(lead)) {
			out = append(out, lead+part)
		}
	}
	return strings.Join(out, "\n")
}

// helpHiding shows a command's help with some inherited flags hidden. The
// flags are the root's own values, so they are hidden only while the help
// is written.
func helpHiding(help func(*cobra.Command, []string), root *cobra.Command, names []string) func(*cobra.Command, []string) {
	return func(cmd *cobra.Command, args []string) {
		var hidden []*pflag.Flag
		for _, n := range names {
			if f := root.PersistentFlags().Lookup(n); f != nil && !f.Hidden {
				f.Hidden = true
				hidden = append(hidden, f)
			}
		}
		defer func() {
			for _, f := range hidden {
				f.Hidden = false
			}
		}()
		help(cmd, args)
	}
}

// flagUsages lists fs's visible flags with their descriptions wrapped to
// width at word boundaries. Descriptions start in one column; a flag name
// too long for it (--target-db-cluster-parameter-group-name) puts its
// description on the next line instead of squeezing every description.
func flagUsages(fs *pflag.FlagSet, width int) string {
	type row struct{ name, usage string }
	var rows []row
	col := 0
	const maxCol = 32
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "      --" + f.Name
		if f.Shorthand != "" {
			name = "  -" + f.Shorthand + ", --" + f.Name
		}
		typ, usage := pflag.UnquoteUsage(f)
		if typ != "" {
			name += " " + typ
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" && d != "0s" && f.Name != "help" {
			if typ == "string" {
				d = fmt.Sprintf("%q", d)
			}
			usage += " (default " + d + ")"
		}
		rows = append(rows, row{name, usage})
		if len(name) <= maxCol {
			col = max(col, len(name))
		}
	})
	col += 3
	var b strings.Builder
	for _, r := range rows {
		lines := wrapWords(r.usage, max(width-col, 30))
		if len(r.name) > col-3 {
			b.WriteString(r.name + "\n")
		} else {
			b.WriteString(r.name + strings.Repeat(" ", col-len(r.name)) + lines[0] + "\n")
			lines = lines[1:]
		}
		for _, l := range lines {
			b.WriteString(strings.Repeat(" ", col) + l + "\n")
		}
	}
	return b.String()
}

// wrapText wraps every line of s longer than width at spaces, the
// continuation lines indented by indent (and the text's own indentation).
func wrapText(s string, width, indent int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if len(line) <= width-indent {
			out = append(out, line)
			continue
		}
		lead := line[:len(line)-len(strings.TrimLeft(line, " "))]
		parts := wrapWords(line, max(width-indent-len(lead), 20))
		for i, p := range parts {
			if i == 0 {
				out = append(out, lead+p)
			} else {
				out = append(out, strings.Repeat(" ", indent)+lead+p)
			}
		}
	}
	return strings.Join(out, "\n")
}

// wrapWords breaks s into lines of at most width, at spaces only.
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// helpWidth is the terminal's width for wrapping flag descriptions (80
// when stdout is not a terminal), at most 120 so lines stay readable.
func helpWidth() int {
	if w, _, err := term.GetSize(os.Stdout.Fd()); err == nil && w > 20 {
		return min(w, 120)
	}
	return 80
}

// buildCommit may be stamped at link time (-ldflags "-X
// main.buildCommit=<sha>") by a build that has no VCS information, e.g. one
// made with -buildvcs=false, as .ci/run and some machines' GOFLAGS do.
var buildCommit string

// buildVersion is the module version and the commit the binary was built from,
// as the Go toolchain recorded them (or as the link stamped them). Without
// either it says so, rather than a bare "(devel)" a change ticket cannot
// use (walkthrough (a)).
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	return versionOf(info, ok, buildCommit)
}

func versionOf(info *debug.BuildInfo, ok bool, stamped string) string {
	if !ok {
		return "(unknown version: the binary carries no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified, when string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		case "vcs.time":
			when = s.Value
		}
	}
	if rev == "" {
		rev = stamped
	}
	switch {
	case rev != "":
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += fmt.Sprintf(" (commit %s%s", rev, modified)
		if when != "" {
			v += ", " + when
		}
		v += ")"
	case v == "(devel)":
		v += " (commit unknown: built without version control information; build in a git checkout with `go build -buildvcs=true`)"
	}
	return v + ", " + info.GoVersion
}
