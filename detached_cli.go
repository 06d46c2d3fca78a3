package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rdsbg/rdsbg/steps"
)

// AWS holds the truth (design.md §5): `rdsbg status` and `rdsbg resume`
// without --source look in the state directory first; when it holds no
// unfinished run (empty, the journal lost, or the run made on another
// machine) they search AWS for proxies tagged rdsbg:detached that still
// have no target, and report or resume the run that emptied them.

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
