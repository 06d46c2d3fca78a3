package awsclient

import "github.com/rdsbg/rdsbg/awsclient/sim"

// fastTimings are the simulator's compressed figures, which this
// package's tests were written for (the default is AWS's own timings).
func fastTimings() *sim.Timings {
	t := sim.FastTimings()
	return &t
}
