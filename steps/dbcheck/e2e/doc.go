// Package e2e holds the database checks' end-to-end tests: whole headless
// runs against the simulator with its source bound to a real PostgreSQL
// or MariaDB on loopback (issue 22). It has no code of its own.
package e2e
