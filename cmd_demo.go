package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
)

// defaultDemoSpeed makes the default scenario's journey (rds-postgres-
// native-proxy: about 17 minutes of AWS time with the simulator's AWS
// timings, 16 of them provisioning, a switchover of 3 s, cleanup) take
// about a minute and a half to watch; the legacy scenarios' detach
// procedure (two proxy registrations of 5 minutes more) about two.
const defaultDemoSpeed = 15

// newDemoCommand is `rdsbg demo`: the wizard against the simulator, started
// in this process on a loopback port, with a journal directory of its own.
func newDemoCommand(g *globalFlags, stdin io.Reader, stderr io.Writer) *cobra.Command {
	var scenario, timings string
	var speed float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the wizard against the embedded simulator (no AWS account needed)",
		Long: `demo starts the RDS simulator in-process on a loopback port and runs the wizard
against it through the real AWS SDK. Nothing leaves this machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tm, err := checkSimulatorFlags("demo", scenario, speed, timings) // scenarios.go
			if err != nil {
				return err
			}
			clk := clock.NewScaled(speed)
			simulator, err := sim.New(sim.Options{Scenario: scenario, Clock: clk, Timings: &tm})
			if err != nil {
				return usageError("%v", err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return &exitError{code: steps.ExitStepFailed, err: fmt.Errorf("cannot open a loopback port for the simulator: %w", err)}
			}
			srv := &http.Server{Handler: simulator, ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()

			dg := *g
			dg.highlight = demoSource(scenario)
			dg.endpointURL = "http://" + ln.Addr().String()
			dg.profile = ""
			if dg.region == "" {
				dg.region = "us-east-1"
			}
			if dg.stateDir == "" {
				// A demo journal must never collide with a real one.
				dir, err := os.MkdirTemp("", "rdsbg-demo-")
				if err != nil {
					return &exitError{code: steps.ExitStepFailed, err: err}
				}
				dg.stateDir = dir
			}
			env, err := newEnvironment(cmd.Context(), dg, clk)
			if err != nil {
				return err
			}
			title := fmt.Sprintf("rdsbg demo · simulator %s · ×%g", scenario, speed)
			dg.demoRerun = fmt.Sprintf("rdsbg demo --scenario %s --speed %g", scenario, speed)
			return runInteractive(cmd.Context(), env, dg, steps.Options{}, "run", title, stdin, stderr)
		},
	}
	cmd.Flags().StringVar(&scenario, "scenario", sim.ScenarioRDSPostgresNative, "simulator scenario: "+scenarioNames())
	cmd.Flags().Float64Var(&speed, "speed", defaultDemoSpeed, "how many times faster than real AWS the simulator runs")
	cmd.Flags().StringVar(&timings, "timings", sim.TimingsAWS, "the simulator's durations: aws (AWS's documented or measured figures), aws-2025 (the same with the minute-long switchover AWS documented before 2026) or fast (compressed, for tests)")
	return cmd
}

// demoSource is the database a demo scenario is about: the wizard's list
// opens on it.
func demoSource(scenario string) string {
	switch scenario {
	case sim.ScenarioRDSPostgresNative, sim.ScenarioRDSPostgresLegacy:
		return "orders-db"
	case sim.ScenarioRDSMySQLNative:
		return "shop-db"
	case sim.ScenarioAuroraPostgres:
		return "ledger-cluster"
	case sim.ScenarioAuroraGlobal:
		return "payments-cluster"
	case sim.ScenarioRDSMariaDBNoProxy:
		return "catalog-db"
	}
	return ""
}
