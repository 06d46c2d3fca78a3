package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/steps"
)

// newStatusCommand is `rdsbg status`: a run's journal beside its live state
// in AWS; without --source, the prologue's answer (the one unfinished run,
// the runs waiting, or a proxy's rdsbg:detached tag). It changes nothing.
func newStatusCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var sourceFlag, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a run's journal and the live state in AWS",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			source, answered, err := runSource(cmd.Context(), *g, sourceQuery{mode: "status", flag: sourceFlag, output: output, w: stdout})
			if err != nil || answered {
				return err
			}
			env, err := newEnvironment(cmd.Context(), *g, nil)
			if err != nil {
				return statusWithoutAWS(source, g.stateDir, output, stdout, err)
			}
			report, err := steps.Status(cmd.Context(), env.api, env.stateDir, source)
			if err != nil {
				return exitFor(err)
			}
			if output == "json" {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(report); err != nil {
					return err
				}
			} else {
				fmt.Fprint(stdout, report.Text())
			}
			return statusExit(report)
		},
	}
	cmd.Flags().StringVar(&sourceFlag, "source", "", "source of the run (default: the only unfinished journal)")
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

// statusWithoutAWS is status when no AWS client can be made (no region, a
// broken profile): the journal's view with every live field UNKNOWN, then
// the configuration error and its exit code.
func statusWithoutAWS(source, stateDirFlag, output string, stdout io.Writer, envErr error) error {
	dir, err := stateDirPath(stateDirFlag)
	if err != nil {
		return envErr
	}
	report, err := steps.Status(context.Background(), nil, dir, source)
	if err != nil {
		return envErr
	}
	report.Unreadable = append(report.Unreadable, "AWS: "+envErr.Error())
	if output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(report)
	} else {
		fmt.Fprint(stdout, report.Text())
	}
	return envErr
}

// statusExit is status's exit code: 1 when a live field is UNKNOWN
// because AWS could not be read (no credentials, no connection), so a
// script never takes an unread state for a known one.
func statusExit(report steps.StatusReport) error {
	if len(report.Unreadable) == 0 {
		return nil
	}
	return &exitError{code: steps.ExitStepFailed, err: errors.New("AWS could not be read: the live fields above are UNKNOWN, not gone (exit 1)")}
}
