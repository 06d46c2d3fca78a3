package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"

	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/ui"
)

// Interactive runs: the full-screen wizard on a terminal, plain line mode
// elsewhere or with --plain.

// isTerminal reports whether both ends are a terminal, which the wizard needs.
func isTerminal(in io.Reader, out io.Writer) bool {
	fi, ok := in.(*os.File)
	if !ok {
		return false
	}
	fo, ok := out.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(fi.Fd()) && term.IsTerminal(fo.Fd())
}

// runInteractive opens the wizard on a terminal, or plain line mode with
// --plain or without one. The UI renders on stderr so stdout stays for data.
func runInteractive(ctx context.Context, env *environment, g globalFlags, opts steps.Options, mode, title string, stdin io.Reader, stderr io.Writer) error {
	opts.DB = g.dbOptions()
	cfg := ui.Config{
		Backend:   env.backend(g, ""),
		Clock:     env.clock,
		Options:   opts,
		NoColor:   g.noColor || os.Getenv("NO_COLOR") != "",
		Title:     title,
		Mode:      mode,
		Profile:   g.profile,
		Region:    env.api.Region(),
		Highlight: g.highlight,
		NextFlags: nextFlags(g),
		DemoRerun: g.demoRerun,
	}
	var code int
	var err error
	if !g.plain && isTerminal(stdin, stderr) {
		var epilogue string
		code, epilogue, err = ui.RunWizardWithEpilogue(ctx, cfg, stdin, stderr)
		// On the normal screen, once the alternate screen is gone: what
		// to know and do next stays in the scrollback.
		fmt.Fprint(stderr, epilogue)
	} else {
		code, err = ui.RunPlain(ctx, cfg, stdin, stderr)
	}
	if err != nil || code != 0 {
		return &exitError{code: code, err: err}
	}
	return nil
}

// headlessOrInteractive runs resume or abort: headless with --yes, else in
// the wizard (or plain mode) so the operator answers each approval.
func headlessOrInteractive(ctx context.Context, g globalFlags, opts steps.Options, yes bool, confirm, output, mode string, stdin io.Reader, stdout, stderr io.Writer) error {
	if yes {
		return runHeadless(ctx, g, opts, yes, confirm, output, "", mode, stdout)
	}
	env, err := newEnvironment(ctx, g, nil)
	if err != nil {
		return err
	}
	return runInteractive(ctx, env, g, opts, mode, "", stdin, stderr)
}
