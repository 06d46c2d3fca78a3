// Package mariadbtest starts a throw-away MariaDB server on loopback for
// tests that need a real MySQL-family database (the database checks'). The
// server binaries come from Debian's mariadb-server package, which .ci/run
// installs where it is missing; the server is never a system service: it
// runs from a temporary directory and stops with the test binary.
package mariadbtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// User is the server's superuser (root at 127.0.0.1, no password).
const User = "root"

// Options shape the server.
type Options struct {
	// Args are extra mariadbd options ("--require-secure-transport=ON").
	Args []string
}

// Server is a running throw-away MariaDB.
type Server struct {
	Addr string // 127.0.0.1:port
	Dir  string
	cmd  *exec.Cmd
	// exited receives the server's exit once.
	exited chan error
}

// binary finds the first of names in the usual places.
func binary(names ...string) string {
	for _, n := range names {
		for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"} {
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// Start installs a fresh data directory and runs mariadbd on a loopback
// port, with the binary log on (ROW), as RDS for MariaDB has it.
func Start(o Options) (*Server, error) {
	server := binary("mariadbd", "mysqld")
	install := binary("mariadb-install-db", "mysql_install_db")
	if server == "" || install == "" {
		return nil, fmt.Errorf("no MariaDB server binaries (mariadbd, mariadb-install-db): install Debian's mariadb-server package (.ci/run does)")
	}
	dir, err := os.MkdirTemp("", "rdsbg-mariadb-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	var asRoot []string
	if os.Geteuid() == 0 {
		asRoot = []string{"--user=root"}
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"}, asRoot...)
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%s: %v\n%s", install, err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	sargs := append([]string{"--no-defaults", "--datadir=" + data, "--bind-address=127.0.0.1", "--port=" + strconv.Itoa(port),
		"--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"), "--skip-name-resolve",
		"--log-bin=" + filepath.Join(dir, "binlog"), "--server-id=1", "--binlog-format=ROW",
		"--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--skip-innodb-doublewrite", "--innodb-flush-log-at-trx-commit=0",
		"--innodb-file-per-table=0", // thousands of tables (the benchmark) in seconds, not minutes
		"--log-error=" + filepath.Join(dir, "error.log")}, asRoot...)
	sargs = append(sargs, o.Args...)
	cmd := exec.Command(server, sargs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: dir, cmd: cmd, exited: exited}
	// Ready when the port accepts a connection and the server greets.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case err := <-exited:
			s.cmd = nil
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("mariadbd exited before accepting connections: %v\n%s%s", err, stderr.String(), log)
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("mariadbd did not accept connections within 30 s")
		case <-time.After(20 * time.Millisecond): // waiting for a child process, not for test timing
		}
	}
}

// Stop kills the server and removes its files.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
	os.RemoveAll(s.Dir)
}
