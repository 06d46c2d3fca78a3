package main

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps"
)

// abort's one approval deletes the deployment and green: headless, --yes
// alone is refused and names the --confirm to add; a --confirm that names
// another source is refused too; neither calls AWS.
func TestCLIAbortHeadlessNeedsTheTypedSource(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	for args, want := range map[string]string{
		"abort --source orders-db --yes":                   "abort deletes the deployment and its green: --yes is not enough, also pass --confirm orders-db; nothing was changed",
		"abort --source orders-db --yes --confirm shop-db": "--confirm shop-db does not name the source orders-db",
	} {
		code, out, errOut := env.rdsbg(t, strings.Fields(args)...)
		if code != steps.ExitUsage || !strings.Contains(errOut, want) || out != "" {
			t.Errorf("%s: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls before the refusal", n)
	}
}
