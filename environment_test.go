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
