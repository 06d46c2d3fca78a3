package preflight

import (
	"errors"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps/contract"
)

func TestChooseRegime(t *testing.T) {
	mysql := fixtureRDSPostgres()
	mysql.Source.Engine = "mysql"
	oracle := fixtureRDSPostgres()
	oracle.Source.Engine = "oracle-ee"
	cases := []struct {
		name   string
		d      Discovery
		mode   contract.ProxyMode
		want   contract.Regime
		phrase string
	}{
		{"no proxy", fixtureMariaDBNoProxy(), contract.ProxyModeAuto, contract.RegimeNone, "No RDS Proxy targets catalog-db"},
		{"no proxy, detach asked", fixtureMariaDBNoProxy(), contract.ProxyModeDetach, contract.RegimeNone, "plain blue/green"},
		{"postgres auto", fixtureRDSPostgres(), contract.ProxyModeAuto, contract.RegimeNative, "offers the detach procedure before anything has changed"},
		{"mysql native", mysql, contract.ProxyModeNative, contract.RegimeNative, "stays registered"},
		{"operator detach", fixtureRDSPostgres(), contract.ProxyModeDetach, contract.RegimeDetach, "--proxy-mode detach"},
		{"global cluster", fixtureAuroraGlobal(), contract.ProxyModeAuto, contract.RegimeDetach, "global database payments-global"},
		{"unsupported engine", oracle, contract.ProxyModeAuto, contract.RegimeDetach, "oracle-ee"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := ChooseRegime(c.d, c.mode)
			if got != c.want || !strings.Contains(why, c.phrase) {
				t.Errorf("got %s %q, want %s mentioning %q", got, why, c.want, c.phrase)
			}
			if strings.Count(why, ". ") > 0 || !strings.HasSuffix(why, ".") {
				t.Errorf("reason must be one sentence: %q", why)
			}
		})
	}
}

func TestCheckProxyModeRefusesImpossibleNative(t *testing.T) {
	err := CheckProxyMode(fixtureAuroraGlobal(), contract.ProxyModeNative)
	var in *contract.InputError
	if !errors.As(err, &in) || in.ExitCode != contract.ExitUsage || !strings.Contains(in.Message, "payments-cluster") || !strings.Contains(in.Message, "--proxy-mode detach") {
		t.Fatalf("want exit-2 InputError naming the source and the way out, got %v", err)
	}
	for _, mode := range []contract.ProxyMode{contract.ProxyModeAuto, contract.ProxyModeDetach} {
		if err := CheckProxyMode(fixtureAuroraGlobal(), mode); err != nil {
			t.Errorf("%s: %v", mode, err)
		}
	}
	if err := CheckProxyMode(fixtureRDSPostgres(), contract.ProxyModeNative); err != nil {
		t.Errorf("native on postgres: %v", err)
	}
}
