package probe

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	seq := func(pattern string, servers ...string) []Attempt {
		var out []Attempt
		for i, c := range pattern {
			a := Attempt{Time: t0.Add(time.Duration(i) * 500 * time.Millisecond), OK: c != 'x'}
			if !a.OK {
				a.Error = "connection refused"
			} else {
				a.Server = "15.7"
				if c == 'n' {
					a.Server = "16.4"
				}
			}
			out = append(out, a)
		}
		return out
	}
	cases := []struct {
		name                 string
		pattern              string
		failed               int
		gap, outage          time.Duration
		newServer            string
		stillFailing         bool
		firstSuccessAfterIdx int // -1: none
	}{
		{"all fine", "oooo", 0, 0, 0, "", false, -1},
		{"one outage", "ooxxxxoo", 4, 2500 * time.Millisecond, 2000 * time.Millisecond, "", false, 6},
		{"longest of two", "oxoxxxo", 4, 2000 * time.Millisecond, 1500 * time.Millisecond, "", false, 6},
		{"upgraded primary answers", "ooxxnn", 2, 1500 * time.Millisecond, 1000 * time.Millisecond, "16.4", false, 4},
		{"failing from the start", "xxoo", 2, 1000 * time.Millisecond, 750 * time.Millisecond, "", false, 2},
		{"still failing", "ooxxx", 3, 1500 * time.Millisecond, 0, "", true, -1},
	}
	for _, c := range cases {
		att := seq(c.pattern)
		r := Summarize(att, 500*time.Millisecond)
		if r.Attempts != len(att) || r.Failed != c.failed || r.LongestGap != c.gap || r.Outage != c.outage ||
			r.NewServer != c.newServer || r.StillFailingAtStop != c.stillFailing {
			t.Errorf("%s: %+v", c.name, r)
		}
		if c.firstSuccessAfterIdx >= 0 && !r.FirstSuccessAfter.Equal(att[c.firstSuccessAfterIdx].Time) {
			t.Errorf("%s: first success after %v, want attempt %d", c.name, r.FirstSuccessAfter, c.firstSuccessAfterIdx)
		}
		if c.newServer != "" && !r.FirstOnNewServer.Equal(att[c.firstSuccessAfterIdx].Time) {
			t.Errorf("%s: first on new server %v", c.name, r.FirstOnNewServer)
		}
	}
	if s := Summarize(seq("ooxxnn"), 500*time.Millisecond).String(); !strings.Contains(s, "2 of 6 SELECT 1 failed") || !strings.Contains(s, "new primary (16.4)") {
		t.Errorf("String() = %q", s)
	}
}

func TestNewPicksTheDriverAndNeverQuotesTheDSN(t *testing.T) {
	cases := []struct {
		dsn, driver string
	}{
		{"postgres://app:pw@db.example:5432/app", "postgres"},
		{"postgresql://app:pw@db.example/app?sslmode=require", "postgres"},
		{"host=db.example user=app password=pw dbname=app", "postgres"},
		{"mysql://app:pw@db.example:3306/shop", "mysql"},
		{"app:pw@tcp(db.example:3306)/shop", "mysql"},
	}
	for _, c := range cases {
		p, err := New(Options{DSN: c.dsn})
		if err != nil || p.Driver() != c.driver {
			t.Errorf("New(%q) = %v, %v; want driver %s", c.dsn, p, err, c.driver)
		}
	}
	for _, bad := range []string{"", "db.example:5432", "redis://pw@x", "postgres://app:topsecret@[bad"} {
		_, err := New(Options{DSN: bad})
		if err == nil {
			t.Errorf("New(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") || (bad != "" && strings.Contains(err.Error(), bad)) {
			t.Errorf("error quotes the DSN: %v", err)
		}
	}
}

func TestFailedAttemptHidesThePassword(t *testing.T) {
	// A port nothing listens on: connection refused, quickly.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, dsn := range []string{"postgres://app:hunter2-pw@" + addr + "/app?sslmode=disable", "mysql://app:hunter2-pw@" + addr + "/shop"} {
		p, err := New(Options{DSN: dsn, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		a := p.Once(context.Background())
		if a.OK || a.Error == "" || strings.Contains(a.Error, "hunter2") {
			t.Errorf("%s attempt against a closed port: %+v", p.Driver(), a)
		}
	}
}

func TestAddress(t *testing.T) {
	for _, c := range []struct{ endpoint, family, want string }{
		{"orders-proxy.proxy-abc.us-east-1.rds.amazonaws.com", "POSTGRESQL", "orders-proxy.proxy-abc.us-east-1.rds.amazonaws.com:5432"},
		{"shop-proxy.proxy-abc.us-east-1.rds.amazonaws.com", "MYSQL", "shop-proxy.proxy-abc.us-east-1.rds.amazonaws.com:3306"},
		{"127.0.0.1:40001", "POSTGRESQL", "127.0.0.1:40001"},
	} {
		if got := Address(c.endpoint, c.family); got != c.want {
			t.Errorf("Address(%q, %s) = %q, want %q", c.endpoint, c.family, got, c.want)
		}
	}
}
