package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

// The source a command acts on. Every --source is checked before the
// command runs: for terminal control, and where it is required (plan,
// iam-policy, run, abort) for a value. resume and status without --source
// look in the state directory; when it holds no unfinished run (empty,
// the journal lost, or the run made on another machine) AWS holds the
// truth (design.md §5): they search AWS for proxies tagged rdsbg:detached
// that still have no target, and report or resume the run that emptied
// them.

// requireSource makes cmd's --source a required flag: checkSourceFlag
// refuses the command without it (and completion offers it first).
func requireSource(cmd *cobra.Command) {
	if err := cmd.MarkFlagRequired("source"); err != nil {
		panic(err) // a command without --source: a wiring mistake
	}
}

// checkSourceFlag runs before every command (the root's persistent
// pre-run). Hostile text never reaches a terminal raw (issue 20, B3): a
// --source carrying control or bidi characters is refused before anything
// else, quoted with its escapes shown. A required --source that is
// missing or blank is refused next, in steps.SourceRequired's words (one
// message, whoever finds it missing), before cobra's own "required
// flag(s) not set" could say less.
func checkSourceFlag(cmd *cobra.Command) error {
	f := cmd.Flags().Lookup("source")
	if f == nil {
		return nil
	}
	if err := checkSourceText(f.Value.String()); err != nil {
		return err
	}
	if required := f.Annotations[cobra.BashCompOneRequiredFlag]; len(required) > 0 && required[0] == "true" && strings.TrimSpace(f.Value.String()) == "" {
		return exitFor(steps.SourceRequired())
	}
	return nil
}

// sourceQuery is what runSource needs of the command that asks.
type sourceQuery struct {
	mode   string    // "resume", "status" or "abort"
	flag   string    // --source as given
	output string    // --output (status answers a listing in JSON)
	w      io.Writer // where listings and questions go: stderr (resume), stdout (status)
	// ask is the terminal resume may ask at which of several unfinished
	// runs to continue (walkthrough D24); nil: never ask (headless, status).
	ask io.Reader
}

// runSource is the prologue resume, status and abort share: the source of
// the run they act on, from --source, else (resume, status) from the state
// directory's one unfinished journal, else from a proxy AWS shows tagged
// rdsbg:detached and still empty. abort deletes, so it takes the source
// from its required flag only. answered is true when status has written
// its answer instead (the runs listed): nothing is left to do.
func runSource(ctx context.Context, g globalFlags, q sourceQuery) (source string, answered bool, err error) {
	if q.flag != "" || q.mode == "abort" {
		return q.flag, false, nil
	}
	if q.mode == "status" {
		source, answered, err = statusSource(g.stateDir, q.output, q.w)
	} else {
		source, err = unfinishedSource(g.stateDir, q.w)
	}
	var several *severalRunsError
	switch {
	case errors.As(err, &several) && q.ask != nil:
		source, err = chooseRun(q.ask, q.w, several)
	case err != nil:
		source, answered, err = taggedSource(ctx, g, q.w, q.output, q.mode, err)
	}
	return source, answered, err
}

// checkSourceText refuses a --source that carries terminal control: C0
// and C1 controls, DEL and the bidi overrides and isolates no RDS
// identifier or ARN can hold. The message shows it with its escapes.
func checkSourceText(source string) error {
	if awsclient.Sanitize(source) == source {
		return nil
	}
	return usageError("--source %q carries control or direction characters that no RDS identifier or ARN holds: pass the DB instance or cluster identifier (e.g. orders-db); nothing was changed", source)
}

// unfinishedSource finds the one journal that resume can continue; the
// runs waiting for the operator are listed on w first (paused ready, with
// age, lag and green's classes), so a choice is an informed one.
func unfinishedSource(stateDirFlag string, w io.Writer) (string, error) {
	dir, err := stateDirPath(stateDirFlag)
	if err != nil {
		return "", err
	}
	sources, err := steps.FindJournals(dir)
	if err != nil {
		return "", exitFor(err)
	}
	if runs, err := steps.PausedRuns(dir); err == nil && w != nil {
		fmt.Fprint(w, steps.RenderPausedRuns(runs, time.Now()))
	}
	switch len(sources) {
	case 0:
		return "", usageError("no unfinished run in %s: nothing to resume (pass --state-dir if the journal is elsewhere)", dir)
	case 1:
		return sources[0], nil
	}
	return "", &severalRunsError{sources: sources, err: usageError("%d unfinished runs in %s (%s): pass --source to choose one", len(sources), dir, strings.Join(sources, ", "))}
}

// severalRunsError: more than one unfinished run, and no --source.
type severalRunsError struct {
	sources []string
	err     error
}

func (e *severalRunsError) Error() string { return e.err.Error() }
func (e *severalRunsError) Unwrap() error { return e.err }

// chooseRun asks, at a terminal, which of several unfinished runs to
// resume (walkthrough D24: it exited 2 right under the list it printed).
// The answer is a number or a source's name; anything else, or the end of
// the input, keeps the refusal.
func chooseRun(in io.Reader, out io.Writer, several *severalRunsError) (string, error) {
	for i, s := range several.sources {
		fmt.Fprintf(out, "  %d) %s\n", i+1, s)
	}
	fmt.Fprintf(out, "Resume which run (1-%d, or its source)? ", len(several.sources))
	line, err := bufio.NewReader(in).ReadString('\n')
	answer := strings.TrimSpace(line)
	if answer == "" && err != nil {
		fmt.Fprintln(out)
		return "", several.err
	}
	if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(several.sources) {
		return several.sources[n-1], nil
	}
	for _, s := range several.sources {
		if strings.EqualFold(s, answer) {
			return s, nil
		}
	}
	return "", usageError("%q is not one of the unfinished runs (%s): pass --source to choose one", answer, strings.Join(several.sources, ", "))
}

// statusSource is status without --source: the one resumable run, or, when
// several wait, their listing (age, lag, green's classes) as the answer.
func statusSource(stateDirFlag, output string, stdout io.Writer) (source string, listed bool, err error) {
	var list io.Writer = stdout
	if output == "json" {
		list = nil
	}
	dir, err := stateDirPath(stateDirFlag)
	if err != nil {
		return "", false, err
	}
	sources, err := steps.FindJournals(dir)
	if err != nil {
		return "", false, exitFor(err)
	}
	if len(sources) > 1 {
		runs, err := steps.PausedRuns(dir)
		if err != nil {
			return "", false, exitFor(err)
		}
		if output == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return "", true, enc.Encode(struct {
				Paused []steps.PausedRun `json:"paused"`
			}{runs})
		}
		fmt.Fprint(stdout, steps.RenderPausedRuns(runs, time.Now()))
		fmt.Fprintln(stdout, "Pass --source ID for one run's journal and live state.")
		return "", true, nil
	}
	found, err := unfinishedSource(stateDirFlag, list)
	return found, false, err
}

// noUnfinishedRun reports whether the state directory holds no unfinished
// run: only then do the tags in AWS decide (several runs, or an unreadable
// journal, keep their own answer).
func noUnfinishedRun(stateDirFlag string) bool {
	dir, err := stateDirPath(stateDirFlag)
	if err != nil {
		return false
	}
	sources, err := steps.FindJournals(dir)
	return err == nil && len(sources) == 0
}

// taggedSource is the source AWS's tags name when the state directory has
// no unfinished run (journalErr is that directory's answer, returned when
// AWS names none). Several sources: listed is true and the listing went to
// w (json: {"detached_proxies": [...]}) for status; resume gets a usage
// error naming them.
func taggedSource(ctx context.Context, g globalFlags, w io.Writer, output, mode string, journalErr error) (source string, listed bool, err error) {
	if !noUnfinishedRun(g.stateDir) {
		return "", false, journalErr
	}
	env, err := newEnvironment(ctx, g, nil)
	if err != nil {
		return "", false, journalErr
	}
	sources, empty, err := steps.DetachedSources(ctx, env.api)
	if err != nil {
		return "", false, &exitError{code: steps.ExitStepFailed, err: fmt.Errorf("%v; and AWS could not be searched for proxies tagged %s (UNKNOWN, not none): %v", journalErr, steps.TagDetached, err)}
	}
	switch {
	case len(sources) == 0 && mode == "status":
		// Nothing pending is an answer, not misuse: say what ran last
		// (walkthrough D11), exit 0.
		if dir, derr := stateDirPath(g.stateDir); derr == nil {
			if runs, rerr := steps.RecentRuns(dir, 5); rerr == nil {
				if output == "json" {
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					return "", true, enc.Encode(struct {
						Recent []steps.RecentRun `json:"recent_runs"`
					}{runs})
				}
				fmt.Fprint(w, steps.RenderRecentRuns(dir, runs))
				fmt.Fprintf(w, "AWS shows no proxy tagged %s without a target.\n", steps.TagDetached)
				return "", true, nil
			}
		}
		return "", false, &exitError{code: steps.ExitUsage, err: fmt.Errorf("%v; AWS shows no proxy tagged %s without a target", journalErr, steps.TagDetached)}
	case len(sources) == 0:
		return "", false, &exitError{code: steps.ExitUsage, err: fmt.Errorf("%v; AWS shows no proxy tagged %s without a target", journalErr, steps.TagDetached)}
	case len(sources) == 1 && mode == "resume":
		// A registration rdsbg did not journal itself needs the operator's
		// word: the source named, and confirmed (issue 20).
		var words []string
		for _, dp := range empty {
			words = append(words, dp.Words())
		}
		return "", false, usageError("no unfinished run in the state directory, but AWS shows: %s, and it has NO target. rdsbg registers a target it did not record emptying only on your word: `rdsbg resume --source %s --yes --confirm %s` (or the wizard: `rdsbg resume --source %s`); nothing was changed",
			strings.Join(words, "; "), sources[0], sources[0], sources[0])
	case len(sources) == 1:
		if output != "json" { // a JSON status is the report alone
			var words []string
			for _, dp := range empty {
				words = append(words, dp.Words())
			}
			fmt.Fprintf(w, "No unfinished run in the state directory, but AWS shows: %s, and it has NO target. %s for %s.\n", strings.Join(words, "; "), verbFor(mode), sources[0])
		}
		return sources[0], false, nil
	}
	if mode == "resume" {
		return "", false, usageError("no unfinished run in the state directory, and AWS shows proxies that rdsbg emptied for %d sources (%s): pass --source to choose one\n%s",
			len(sources), strings.Join(sources, ", "), steps.DetachedListing(empty))
	}
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return "", true, enc.Encode(struct {
			Detached []steps.DetachedProxy `json:"detached_proxies"`
		}{empty})
	}
	fmt.Fprint(w, steps.DetachedListing(empty))
	fmt.Fprintln(w, "Pass --source ID for one source's live state.")
	return "", true, nil
}

func verbFor(mode string) string {
	if mode == "resume" {
		return "Resuming (registering it again)"
	}
	return "Live state"
}
