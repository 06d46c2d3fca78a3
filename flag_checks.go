package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Flag values every command refuses the same way (walkthrough D21): a
// message that names the flag and what to pass, exit 2, before anything
// reads or changes AWS.

// checkFlagValues refuses values that parse but mean nothing.
func checkFlagValues(cmd *cobra.Command) error {
	fs := cmd.Flags()
	if f := fs.Lookup("hook-timeout"); f != nil && fs.Changed("hook-timeout") {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d <= 0 {
			return usageError("--hook-timeout %s is not a positive duration: pass how long one hook may run, such as 30s (the default %s)", f.Value.String(), f.DefValue)
		}
	}
	if f := fs.Lookup("max-proxy-outage"); f != nil && fs.Changed("max-proxy-outage") {
		// 0 used to mean "the default" without saying so.
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d == 0 {
			return usageError("--max-proxy-outage 0 bounds nothing: pass a positive duration such as 10m (the default)")
		}
	}
	if f := fs.Lookup("output"); f != nil {
		if allowed := outputsOf(cmd.Name()); len(allowed) > 0 && !contains(allowed, f.Value.String()) {
			return usageError("--output %q is not one of %s", f.Value.String(), strings.Join(allowed, ", "))
		}
	}
	return nil
}

// outputsOf are the --output values a command takes.
func outputsOf(command string) []string {
	switch command {
	case "plan":
		return []string{"text", "markdown", "json"}
	case "run", "resume", "abort", "status":
		return []string{"text", "json"}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nearest is the name within two edits of s ("did you mean"), or "".
func nearest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
