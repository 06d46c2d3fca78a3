package steps

// preflight: read-only checks before anything changes (preflight.go runs
// them, before the plan exists, so the runner passes over this row). Same
// in every regime. Nothing to undo.

func planPreflight(b planBuilder) (PlannedStep, bool) {
	return PlannedStep{
		ID: StepPreflight, Title: "Preflight checks", Severity: SeverityReadOnly,
		Why:    "Blue/green creation fails late (after minutes of provisioning) on problems that can be seen now: engine version, backups, parameter groups, replication settings, proxy health.",
		Effect: "Nothing changes; every check is a read.",
		CLI:    append([]string{"aws sts get-caller-identity", b.describeSource()}, b.each(b.cli.describeTargets)...),
	}, true
}
