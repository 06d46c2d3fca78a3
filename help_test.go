package main

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Every command's --help has examples, fits 80 columns when not on a
// terminal, and breaks lines between words only.
func TestEveryCommandHelpHasExamplesAndFitsTheWidth(t *testing.T) {
	for _, cmd := range []string{"", "demo", "sim", "plan", "run", "resume", "status", "abort", "iam-policy"} {
		args := []string{"--help"}
		if cmd != "" {
			args = []string{cmd, "--help"}
		}
		code, out, _ := runHelp(t, args...)
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("rdsbg %s --help: exit %d, no Examples:\n%s", cmd, code, out)
		}
		for _, line := range strings.Split(out, "\n") {
			// Examples too: a long one continues with a backslash
			// (issue 21).
			if w := ansi.StringWidth(line); w > 80 {
				t.Errorf("rdsbg %s --help: a line of %d columns: %q", cmd, w, line)
			}
		}
	}
}

// Flags that mean nothing to a command are not in its help.
func TestSimAndDemoHelpOmitFlagsThatDoNotApply(t *testing.T) {
	for cmd, absent := range map[string][]string{
		"sim":  {"--hook", "--probe-dsn", "--endpoint-url", "--profile"},
		"demo": {"--hook", "--probe-dsn", "--endpoint-url", "--profile"},
		"plan": {"--hook", "--probe-dsn"},
	} {
		_, out, _ := runHelp(t, cmd, "--help")
		for _, f := range absent {
			if listsFlag(out, f) {
				t.Errorf("rdsbg %s --help lists %s:\n%s", cmd, f, out)
			}
		}
	}
	// Hiding them for one command does not hide them for another.
	_, out, _ := runHelp(t, "run", "--help")
	for _, f := range []string{"--hook", "--probe-dsn", "--endpoint-url"} {
		if !listsFlag(out, f) {
			t.Errorf("rdsbg run --help lost %s:\n%s", f, out)
		}
	}
}

// listsFlag: help has a flag line for f (not a mention in an example).
func listsFlag(help, f string) bool {
	for _, line := range strings.Split(help, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, f+" ") || l == f {
			return true
		}
	}
	return false
}

func TestVersionNamesTheModuleVersion(t *testing.T) {
	code, out, _ := runHelp(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "rdsbg ") || !strings.Contains(out, "go1.") {
		t.Fatalf("--version: exit %d %q", code, out)
	}
}

// --version names a commit when the build recorded one (VCS stamping or
// -ldflags -X main.buildCommit), and says plainly when it did not.
func TestVersionNamesTheCommitOrSaysItIsUnknown(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "290152ae3c4d0123456789"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-07T16:00:00Z"}}}
	for _, c := range []struct {
		info *debug.BuildInfo
		link string
		want string
	}{
		{stamped, "", "(devel) (commit 290152ae3c4d+dirty, 2026-12-07T16:00:00Z), go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8"}, "abcdef0123456789", "(devel) (commit abcdef012345), go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}, "", "v1.4.0, go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8"}, "", "(devel) (commit unknown: built without version control information; build in a git checkout with `go build -buildvcs=true`), go1.26.8"},
	} {
		if got := versionOf(c.info, true, c.link); got != c.want {
			t.Errorf("versionOf: %q, want %q", got, c.want)
		}
	}
}
