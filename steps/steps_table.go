package steps

import (
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/observe"
)

// The step table: every step rdsbg knows, in the order of the procedure
// (design.md §1). One row, one file (step_<id>.go) with the step's plan
// facet, its implementation and its grants; the row declares every trait
// of the step (step.go), which the rest of the engine reads instead of
// naming step ids. BuildPlan walks the rows for the plan, the runner looks
// a planned step up here for its implementation. A step is added by
// writing its const, its row and its file, nothing else
// (TestAStepIsItsConstItsRowAndItsFile).
func stepTable() stepRows {
	return stepRows{
		{id: contract.StepPreflight, plan: planPreflight,
			proxy: untouched, section: outsideSection, events: noEventReads, probe: probeUntouched, onAWS: noFigure(),
			grants: preflightGrants, undo: nothingToUndo},
		{id: contract.StepDetachProxy, plan: planDetachProxy, bind: (*run).detachProxyStep,
			proxy: empties(contract.OutageDetachBeforeCreate), section: outsideSection, events: noEventReads, probe: probeOpens, onAWS: noFigure(),
			grants: proxyGrants, undo: undoneByRegistering},
		{id: contract.StepCreateDeployment, plan: planCreateDeployment, bind: (*run).createDeployment,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: noFigure(),
			grants: createDeploymentGrants, undo: undoneByDeleting},
		{id: contract.StepAttachProxyBlue, plan: planAttachProxyBlue, bind: (*run).attachProxyBlueStep,
			proxy: refills, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: registrationOnAWS(),
			grants: proxyGrants, undo: nothingToUndo},
		{id: contract.StepProvisionGreen, plan: planProvisionGreen, bind: (*run).provisionGreen,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: provisioningOnAWS(),
			grants: noGrants, undo: nothingToUndo},
		{id: contract.StepUpgradeGreen, plan: planUpgradeGreen, bind: (*run).upgradeGreen,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: noFigure(),
			grants: upgradeGreenGrants, undo: undoneByDeleting},
		{id: contract.StepReadyCheck, plan: planReadyCheck, bind: (*run).readyCheck,
			proxy: untouched, section: outsideSection, events: noEventReads, probe: probeUntouched, onAWS: noFigure(),
			grants: noGrants, undo: nothingToUndo},
		{id: contract.StepDetachProxyBlue, plan: planDetachProxyBlue, bind: (*run).detachProxyBlueStep,
			proxy: empties(contract.OutageCriticalSection), section: inSection, events: noEventReads, probe: probeOpens, onAWS: noFigure(),
			grants: proxyGrants, undo: undoneByRegistering},
		{id: contract.StepSwitchover, plan: planSwitchover, bind: (*run).switchover,
			proxy: untouched, section: inSection, events: noEventReads, probe: probeOpens, onAWS: switchoverOnAWS(),
			grants: switchoverGrants, undo: undoneByAWS},
		{id: contract.StepAttachProxyPrimary, plan: planAttachProxyPrimary, bind: (*run).attachProxyPrimaryStep,
			proxy: refills, section: inSection, events: noEventReads, probe: probeUntouched, onAWS: registrationOnAWS(),
			grants: proxyGrants, undo: nothingToUndo},
		{id: contract.StepVerify, plan: planVerify, bind: (*run).verify,
			proxy: untouched, section: outsideSection, events: noEventReads, probe: probeCloses, onAWS: noFigure(),
			grants: noGrants, undo: nothingToUndo},
		{id: contract.StepCleanup, plan: planCleanup, bind: (*run).cleanup,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeCloses, onAWS: noFigure(),
			grants: cleanupGrants, undo: neverUndone},
	}
}

// steps is the plan's step list: every row's facet that has a place in
// it; a step of the critical section is Critical where the regime has one.
func (t stepRows) steps(b planBuilder) []contract.PlannedStep {
	var steps []contract.PlannedStep
	for _, def := range t {
		if ps, ok := def.plan(b); ok {
			ps.Critical = def.section == inSection && b.critical() && !ps.CheckOnly
			steps = append(steps, ps)
		}
	}
	return steps
}

// ExpectedOnAWS is how long step id of plan p takes on AWS, in a few
// characters for the wizard's rail (short) and with the fact behind it
// (source); false when no public figure exists, or the step is a check (a
// read or two, not a registration's minutes: walkthrough D22). Without a
// separate provision-green step (a journal of an older rdsbg),
// create-deployment includes the provisioning.
func ExpectedOnAWS(p *contract.Plan, id contract.StepID) (short, source string, ok bool) {
	rows := stepTable()
	if p != nil {
		if ps, ok := p.Step(id); ok && ps.CheckOnly {
			return "", "", false
		}
		if _, separate := p.Step(contract.StepProvisionGreen); id == contract.StepCreateDeployment && !separate {
			id = contract.StepProvisionGreen
		}
	}
	def, found := rows.def(id)
	if !found || def.onAWS.none || !def.onAWS.declared() {
		return "", "", false
	}
	return def.onAWS.short, def.onAWS.source, true
}

// probeRoles are the rows' probe trait and their refills, as the
// connectivity probe reads them.
func (t stepRows) probeRoles() observe.ProbeRoles {
	r := observe.ProbeRoles{Opens: map[contract.StepID]bool{}, Closes: map[contract.StepID]bool{}, ChecksEndpoints: map[contract.StepID]bool{}}
	for _, def := range t {
		r.Opens[def.id] = def.probe == probeOpens
		r.Closes[def.id] = def.probe == probeCloses
		r.ChecksEndpoints[def.id] = def.refills()
	}
	return r
}
