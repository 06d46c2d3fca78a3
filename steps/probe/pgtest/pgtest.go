// Package pgtest starts a throw-away PostgreSQL server on loopback for
// tests that need a real database (the probe's, the database checks').
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// User is the superuser every server started here has.
const User = "rdsbg"

// Start runs a throw-away PostgreSQL on loopback (trust auth) and
// returns its host:port. The server binaries come from the system packages
// (.ci/run installs them on a fresh machine). PostgreSQL refuses to run as
// root, so as root the server runs as the postgres user.
func Start(t testing.TB) string {
	t.Helper()
	s, err := StartServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s.Addr
}

// Options shape a server started by StartServer.
type Options struct {
	// Settings are extra server settings ("wal_level=logical").
	Settings []string
	// Password, when set, is User's password and TCP connections must
	// give it (scram-sha-256); empty: trust.
	Password string
	// TrustUsers log in over TCP with any password even when Password is
	// set (an IAM token stands in for a password they do not check).
	TrustUsers []string
}

// Server is a running throw-away PostgreSQL.
type Server struct {
	Addr string // 127.0.0.1:port
	Dir  string // holds the data directory and the Unix socket
	stop func()
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	if s != nil && s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

// StartServer runs a throw-away PostgreSQL on loopback. It is for a
// package's TestMain (one server per test binary: starting one costs
// about a second); tests use Start.
func StartServer(o Options) (*Server, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return nil, fmt.Errorf("no PostgreSQL server binaries under /usr/lib/postgresql: install the postgresql package (.ci/run does)")
	}
	sort.Strings(bins)
	binDir := filepath.Dir(bins[len(bins)-1])

	dir, err := os.MkdirTemp("", "rdsbg-pg-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	var asUser []string
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %v", err)
		}
		uid, _ = strconv.Atoi(pg.Uid)
		gid, _ = strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			cleanup()
			return nil, err
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(args ...string) error {
		full := append(append([]string(nil), asUser...), args...)
		out, err := exec.Command(full[0], full[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %v\n%s", args, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	initArgs := []string{filepath.Join(binDir, "initdb"), "-D", data, "-U", User, "--auth=trust", "--no-sync"}
	if o.Password != "" {
		pw := filepath.Join(dir, "pw")
		if err := os.WriteFile(pw, []byte(o.Password+"\n"), 0o600); err != nil {
			cleanup()
			return nil, err
		}
		if uid >= 0 {
			_ = os.Chown(pw, uid, gid)
		}
		initArgs = []string{filepath.Join(binDir, "initdb"), "-D", data, "-U", User, "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=" + pw, "--no-sync"}
	}
	if err := run(initArgs...); err != nil {
		cleanup()
		return nil, err
	}
	if len(o.TrustUsers) > 0 {
		hba := filepath.Join(data, "pg_hba.conf")
		old, err := os.ReadFile(hba)
		if err != nil {
			cleanup()
			return nil, err
		}
		var lines string
		for _, u := range o.TrustUsers {
			lines += "host all " + u + " 127.0.0.1/32 trust\n"
		}
		if err := os.WriteFile(hba, append([]byte(lines), old...), 0o600); err != nil {
			cleanup()
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	for _, s := range o.Settings {
		opts += " -c " + s
	}
	// -w makes pg_ctl return once the server accepts connections.
	if err := run(filepath.Join(binDir, "pg_ctl"), "-D", data, "-w", "-l", filepath.Join(dir, "log"), "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		cleanup()
		return nil, fmt.Errorf("%v\n%s", err, log)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: dir}
	s.stop = func() {
		full := append(append([]string(nil), asUser...), filepath.Join(binDir, "pg_ctl"), "-D", data, "-m", "immediate", "stop")
		_ = exec.Command(full[0], full[1:]...).Run()
		cleanup()
	}
	return s, nil
}
