package preflight

import (
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// Degrade, don't die (issue 15): a read that only informs a check — the
// engine version catalogue, parameter groups, CloudWatch, tags of
// unrelated resources — may be refused (a role without the permission),
// unimplemented (an emulator) or keep failing with 5xx. Such a check turns
// into a warning that names the permission and what AWS validates itself
// at creation, and the run goes on. A read the run cannot do without stops
// it before any change with exit 3.

// unavailableRead says, for a failed informational read, what the
// operator must know: the permission (IAM action) it needs, why it could
// not be done, and what AWS checks on its own. ok is false when the error
// is not one to degrade on (a real answer, e.g. not found).
func unavailableRead(err error, action, awsChecks string) (string, bool) {
	why, ok := awsclient.Unavailable(err)
	if !ok {
		return "", false
	}
	msg := fmt.Sprintf("Could not run %s (%s)", action, why)
	if awsclient.Classify(err) == awsclient.KindAccessDenied {
		msg = fmt.Sprintf("Could not run %s: access denied; grant %s to check this before any change", action, action)
	}
	return msg + ". " + awsChecks, true
}

// unverifiedUpgrade is the upgrade target taken on trust when the engine
// catalogue cannot be read: the version as asked, major when its leading
// number (MySQL, MariaDB: two numbers) differs from the source's.
func unverifiedUpgrade(engine, from, to string, err error) *awsclient.UpgradeTarget {
	a, b := parseVersion(from), parseVersion(to)
	major := a.at(0) != b.at(0)
	switch engine {
	case "mysql", "mariadb":
		major = major || a.at(1) != b.at(1)
	}
	msg, _ := unavailableRead(err, "rds:DescribeDBEngineVersions", "")
	return &awsclient.UpgradeTarget{Engine: engine, Version: to, Major: major, Description: unverifiedMark + msg}
}

// unverifiedMark is the Description of an upgrade target that the engine
// catalogue did not confirm.
const unverifiedMark = "not checked against the engine catalogue: "

func upgradeUnverified(u *awsclient.UpgradeTarget) bool {
	return u != nil && strings.HasPrefix(u.Description, unverifiedMark)
}
