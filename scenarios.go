package main

import (
	"strings"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// The simulator's scenarios, as demo and sim name them.

func scenarioNames() string {
	var names []string
	for _, s := range sim.Scenarios() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// checkSimulatorFlags checks what demo and sim both take before the
// simulator starts: --speed above 0, a known --scenario, --timings by name.
func checkSimulatorFlags(command, scenario string, speed float64, timings string) (sim.Timings, error) {
	if speed <= 0 {
		return sim.Timings{}, usageError("--speed %v must be above 0 (1 is real time)", speed)
	}
	if err := checkScenario(command, scenario); err != nil {
		return sim.Timings{}, err
	}
	tm, err := sim.TimingsNamed(timings)
	if err != nil {
		return sim.Timings{}, usageError("--timings: %v", err)
	}
	return tm, nil
}

// checkScenario refuses an unknown scenario name in the command's own
// words, listing the valid ones.
func checkScenario(command, name string) error {
	if _, isFleet, err := sim.FleetScenarioSize(name); isFleet {
		// fleet:N serves many accounts and Regions: `rdsbg sim` only
		// (the demo's wizard drives one database).
		switch {
		case err != nil:
			return usageError("%s: %v", command, err)
		case command != "sim":
			return usageError("%s: scenario %s is for `rdsbg sim` (then `rdsbg fleet plan`); the demo drives one database", command, name)
		}
		return nil
	}
	var names []string
	for _, s := range sim.Scenarios() {
		if s.Name == name {
			return nil
		}
		names = append(names, s.Name)
	}
	if near := nearest(name, names); near != "" {
		return usageError("%s: unknown scenario %q: did you mean %s? (the scenarios: %s, and, for sim, %sN)", command, name, near, strings.Join(names, ", "), sim.ScenarioFleetPrefix)
	}
	return usageError("%s: unknown scenario %q; choose one of: %s (and, for sim, %sN)", command, name, strings.Join(names, ", "), sim.ScenarioFleetPrefix)
}
