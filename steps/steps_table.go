package steps

// The step table: every step rdsbg knows, in the order of the procedure
// (design.md §1). One row, one file (step_<id>.go) with the step's plan
// facet and its implementation; BuildPlan walks the rows for the plan, the
// runner looks a planned step up here for its implementation. A step is
// added by writing its file and its row, nothing else.
func stepTable() []stepDef {
	return []stepDef{
		{id: StepPreflight, plan: planPreflight},
		{id: StepDetachProxy, plan: planDetachProxy, bind: (*run).detachProxyStep, empties: true},
		{id: StepCreateDeployment, plan: planCreateDeployment, bind: (*run).createDeployment},
		{id: StepAttachProxyBlue, plan: planAttachProxyBlue, bind: (*run).attachProxyBlueStep, refills: true},
		{id: StepProvisionGreen, plan: planProvisionGreen, bind: (*run).provisionGreen},
		{id: StepUpgradeGreen, plan: planUpgradeGreen, bind: (*run).upgradeGreen},
		{id: StepReadyCheck, plan: planReadyCheck, bind: (*run).readyCheck},
		{id: StepDetachProxyBlue, plan: planDetachProxyBlue, bind: (*run).detachProxyBlueStep, empties: true},
		{id: StepSwitchover, plan: planSwitchover, bind: (*run).switchover},
		{id: StepAttachProxyPrimary, plan: planAttachProxyPrimary, bind: (*run).attachProxyPrimaryStep, refills: true},
		{id: StepVerify, plan: planVerify, bind: (*run).verify},
		{id: StepCleanup, plan: planCleanup, bind: (*run).cleanup},
	}
}

// steps is the plan's step list: every row's facet that has a place in it.
func (b planBuilder) steps() []PlannedStep {
	var steps []PlannedStep
	for _, def := range stepTable() {
		if ps, ok := def.plan(b); ok {
			steps = append(steps, ps)
		}
	}
	return steps
}

// stepDefOf is the table's row for id.
func stepDefOf(id StepID) (stepDef, bool) {
	for _, def := range stepTable() {
		if def.id == id {
			return def, true
		}
	}
	return stepDef{}, false
}
