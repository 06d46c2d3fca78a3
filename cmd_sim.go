package main

import (
	"context"
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

// newSimCommand is `rdsbg sim`: the RDS API simulator served on a port
// until Ctrl+C, for the AWS CLI, the tests' processes or rdsbg itself.
func newSimCommand(stdout io.Writer) *cobra.Command {
	var listen, scenario, faultsFile, timings string
	var speed float64
	var forward map[string]string
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the RDS API simulator (point any AWS client at it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tm, err := checkSimulatorFlags("sim", scenario, speed, timings) // scenarios.go
			if err != nil {
				return err
			}
			var faults []sim.Fault
			if faultsFile != "" {
				f, err := os.Open(faultsFile)
				if err != nil {
					return usageError("--faults %s cannot be read: %v", faultsFile, err)
				}
				faults, err = sim.ParseFaults(f)
				f.Close()
				if err != nil {
					return usageError("--faults %s: %v", faultsFile, err)
				}
			}
			// Callers: a wizard on the wall clock asks CloudWatch for windows
			// by it; the model answers them in its faster time (walkthrough D28).
			clk := clock.NewScaled(speed)
			simulator, err := sim.New(sim.Options{Scenario: scenario, Clock: clk, Callers: clk.Wall(), Faults: faults, ProxyForwardTo: forward, Timings: &tm})
			if err != nil {
				return usageError("%v", err)
			}
			defer simulator.Close()
			for _, line := range simulator.ForwardLines() {
				fmt.Fprintln(stdout, line)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usageError("--listen %s: %v", listen, err)
			}
			endpoint := "http://" + ln.Addr().String()
			fmt.Fprintf(stdout, "rdsbg simulator listening on %s (scenario %s, speed ×%g)\n", endpoint, scenario, speed)
			fmt.Fprintf(stdout, "try: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws rds describe-db-instances --region us-east-1 --endpoint-url %s\n", endpoint)
			fmt.Fprintf(stdout, "Ctrl+C stops it.\n")
			srv := &http.Server{Handler: simulator, ReadHeaderTimeout: 10 * time.Second}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case <-cmd.Context().Done():
				shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				srv.Shutdown(shutdown)
				fmt.Fprintln(stdout, "simulator stopped")
				return nil
			case err := <-errc:
				return &exitError{code: steps.ExitStepFailed, err: err}
			}
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8765", "address to listen on (port 0 picks a free one)")
	cmd.Flags().StringToStringVar(&forward, "forward", nil, "NAME=HOST:PORT: a proxy's endpoint relays to a real database while the proxy has a healthy target (for --probe-dsn); a DB instance or cluster is bound to it: its endpoint is the real server, and its proxies relay there (for the database checks)")
	cmd.Flags().StringVar(&scenario, "scenario", sim.ScenarioRDSPostgresNative, "scenario: "+scenarioNames())
	cmd.Flags().Float64Var(&speed, "speed", 1, "how many times faster than real AWS the simulator runs")
	cmd.Flags().StringVar(&faultsFile, "faults", "", "JSON file of faults to inject (format: docs/simulator.md)")
	cmd.Flags().StringVar(&timings, "timings", sim.TimingsAWS, "durations: aws (AWS's documented or measured figures, sources in docs/simulator.md), aws-2025 (the same with the minute-long switchover AWS documented before 2026) or fast (compressed, for tests)")
	return cmd
}
