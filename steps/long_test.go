package steps

import "os"

// The default `go test ./...` must stay quick on a two-core machine
// (README: the goal is under a minute), so that a newcomer runs it often. The long matrices
// (every AWS call failing in turn, the journal cut after every record, the
// process-level kills) run whole in .ci/run, which sets RDSBG_LONG=1; by
// default each keeps an evenly spread sample that still fails when the
// behaviour breaks: the first and the last point, and points in between.
func longMatrices() bool {
	return os.Getenv("RDSBG_LONG") == "1" || *reliabilityReport != "" || *reliabilityEveryCall
}

// spread returns n items of s evenly spread over it, always with the first
// and the last; all of s when it is no longer than n.
func spread[T any](s []T, n int) []T {
	if len(s) <= n || n < 2 {
		return s
	}
	out := make([]T, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, s[i*(len(s)-1)/(n-1)])
	}
	return out
}
