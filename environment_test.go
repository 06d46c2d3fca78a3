package main

import (
	"testing"
)

func TestLoopbackEndpointsNeedNoCredentials(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"http://127.0.0.1:8765":     true,
		"http://localhost:4566":     true,
		"http://[::1]:5000":         true,
		"https://rds.amazonaws.com": false,
		"":                          false,
	} {
		if got := isLoopbackEndpoint(endpoint); got != want {
			t.Errorf("isLoopbackEndpoint(%q) = %v, want %v", endpoint, got, want)
		}
	}
}

// --endpoint-url is checked by one rule for a run and a fleet: a fleet
// took "x://" (and a single run refused it) before.
func TestEndpointURLIsOneRule(t *testing.T) {
	for endpoint, ok := range map[string]bool{"": true, "http://127.0.0.1:8765": true, "https://rds.us-east-1.amazonaws.com": true,
		"::bad": false, "x://": false, "127.0.0.1:8765": false, "http//127.0.0.1": false} {
		err := checkEndpointURL(endpoint)
		if (err == nil) != ok {
			t.Errorf("%q: %v", endpoint, err)
		}
		if _, ferr := fleetConnect(globalFlags{endpointURL: endpoint}, engineClock(globalFlags{})); (ferr == nil) != ok || (err != nil && ferr.Error() != err.Error()) {
			t.Errorf("%q: a fleet says %v, a run %v", endpoint, ferr, err)
		}
	}
}
