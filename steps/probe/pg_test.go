package probe

import (
	"context"
	"testing"

	"github.com/rdsbg/rdsbg/steps/probe/pgtest"
)

func TestProbeAgainstPostgresDirectly(t *testing.T) {
	addr := pgtest.Start(t)
	p, err := New(Options{DSN: "postgres://rdsbg:s3cr3t-pw@" + addr + "/postgres?sslmode=disable"})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Once(context.Background())
	if !a.OK || a.Server == "" {
		t.Fatalf("SELECT 1 against the test server: %+v", a)
	}
}
