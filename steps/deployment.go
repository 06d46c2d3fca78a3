package steps

import (
	"context"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/world"
)

func switchStarted(dep *awsclient.Deployment) bool {
	return dep != nil && (dep.Status == "SWITCHOVER_IN_PROGRESS" || dep.Status == "SWITCHOVER_COMPLETED")
}

func switchedOver(dep *awsclient.Deployment) bool {
	return dep != nil && dep.Status == "SWITCHOVER_COMPLETED"
}

// switchoverDone: AWS says SWITCHOVER_COMPLETED, or the journal says the
// switchover completed and the deployment object is gone (cleanup deletes
// it). Without the journal's half, a resumed run would see "no deployment"
// and start the procedure over on the new primary.
func (r *run) switchoverDone(dep *awsclient.Deployment) bool {
	if switchedOver(dep) {
		return true
	}
	known := len(r.names.oldBlue) > 0 || r.prior.Steps[StepSwitchover] == StepStateDone
	if !known && (dep == nil || dep.Status == "DELETING") && r.world != nil {
		// No deployment object to say it: AWS's resource ids do (the
		// world view), whoever switched over.
		if s, ok := r.world.SwitchedOver(); ok {
			known = s
		}
	}
	return known && (dep == nil || dep.Status == "DELETING")
}

// pastSwitchover: the switchover started or finished; every step before it
// is satisfied.
func (r *run) pastSwitchover(dep *awsclient.Deployment) bool {
	return switchStarted(dep) || r.switchoverDone(dep)
}

func depStatus(dep *awsclient.Deployment) string {
	if dep == nil {
		return "absent"
	}
	return dep.Status
}

// findDeployment returns this run's deployment from live AWS, or nil. It
// never guesses: the journal's id first, else the deployment of the source
// that carries this run's rdsbg:run tag (its creation, whose answer may
// have been lost) or that the plan adopted. A deployment of the source that
// is someone else's is not this run's: the reconciliation before each
// change refuses it (reconcile.go).
func (r *run) findDeployment(ctx context.Context) (*awsclient.Deployment, error) {
	if w := r.snap; w != nil {
		return r.deploymentOfSnapshot(ctx, *w), nil
	}
	if r.dep.id != "" {
		dep, err := r.api.DescribeDeployment(ctx, r.dep.id)
		if awsclient.Classify(err) == awsclient.KindNotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r.readEvents(ctx, dep.Status == "INVALID_CONFIGURATION" || dep.Status == "SWITCHOVER_FAILED")
		r.seeDeployment(dep)
		return &dep, nil
	}
	all, err := r.api.ListDeployments(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := range all {
		dep := all[i]
		if dep.Status == "DELETING" || !r.ownDeployment(dep) {
			continue
		}
		r.adopt(dep.ID)
		r.seeDeployment(dep)
		return &dep, nil
	}
	return nil, nil
}

// seeDeployment keeps the last status AWS showed of the run's deployment:
// what the words about the present follow (who is production, what the
// proxy serves), whatever this process sent (issue 21, U3, U10).
// The traffic line follows at the next proxy read, which names the target
// by it (outage.go); relabelling before that read would restate a health
// AWS may no longer show (the truth oracle caught it: docs/truth.md).
func (r *run) seeDeployment(dep awsclient.Deployment) {
	d := dep
	r.depSeen = &d
}

// seeWorld keeps what a world read says about the switchover: the
// deployment's status, or, without a deployment object, the production
// resource's id (world.SwitchedOver).
func (r *run) seeWorld(w world.World) {
	if d := w.Deployment; d != nil {
		r.seeDeployment(d.Deployment)
	}
	if s, known := w.SwitchedOver(); known && s {
		// Monotonic: a switchover AWS showed completed never reverts, and
		// a later read that cannot tell (the deployment deleted, every
		// resource with one id as on moto) does not undo it.
		r.worldSwitched = true
	}
}

// switchedSeen: AWS showed this process the switchover completed (its
// deployment SWITCHOVER_COMPLETED, or a world read). The journal's word,
// renames restored from it included, does not count.
func (r *run) switchedSeen() bool {
	return (r.depSeen != nil && switchedOver(r.depSeen)) || r.worldSwitched
}

// switchedNow: AWS showed, at its last read of the deployment (or of the
// world), that the switchover completed, or the names moved to -oldN:
// green is production.
func (r *run) switchedNow() bool {
	if r.depSeen != nil && r.switchoverDone(r.depSeen) {
		return true
	}
	return r.worldSwitched || len(r.names.oldBlue) > 0 || len(r.names.renames) > 0
}

// deploymentOfSnapshot is findDeployment's answer from the world the step
// just read for its reconciliation (reconcile.go): the same reads, made
// once.
func (r *run) deploymentOfSnapshot(ctx context.Context, w world.World) *awsclient.Deployment {
	d := w.Deployment
	if d == nil {
		return nil
	}
	dep := d.Deployment
	if r.dep.id == "" {
		if dep.Status == "DELETING" || !r.ownDeployment(dep) {
			return nil
		}
		r.adopt(dep.ID)
	} else if !strings.EqualFold(dep.ID, r.dep.id) {
		return nil
	}
	r.readEvents(ctx, dep.Status == "INVALID_CONFIGURATION" || dep.Status == "SWITCHOVER_FAILED")
	r.seeDeployment(dep)
	return &dep
}

// ownDeployment: dep is the source's and this run's — tagged with its run
// id, or the one the plan adopted.
func (r *run) ownDeployment(dep awsclient.Deployment) bool {
	src := r.plan.Source
	forSource := strings.EqualFold(dep.Name, r.plan.Options.DeploymentName) ||
		(src.ARN != "" && (strings.EqualFold(dep.Source, src.ARN) || strings.EqualFold(dep.Target, src.ARN)))
	if !forSource {
		return false
	}
	return (r.plan.Deployment != "" && strings.EqualFold(dep.ID, r.plan.Deployment)) || dep.Tags[TagRun] == RunID(r.plan)
}

// deploymentRef is the run's reference to its blue/green deployment: the
// id from the plan (an adopted deployment) or the journal, else the one
// findDeployment learns from AWS. A learned id is journalled (adopt), so a
// resumed run finds the same deployment instead of creating a second.
type deploymentRef struct {
	id string
}

// adopt records id as the run's deployment and reports whether that is news.
func (d *deploymentRef) adopt(id string) bool {
	if d.id == id {
		return false
	}
	d.id = id
	return true
}

// adopt records the deployment this run owns.
func (r *run) adopt(id string) {
	if r.dep.adopt(id) {
		_ = r.journal.Append(Record{Kind: RecordDeployment, DeploymentID: id})
	}
}

// depProgress turns a deployment into progress rows; tasks carry the time
// spent in their current status.
func (r *run) depProgress(dep awsclient.Deployment) Progress {
	now := r.e.cfg.Clock.Now()
	r.seeDeployment(dep)
	p := Progress{DeploymentID: dep.ID, DeploymentStatus: dep.Status, StatusDetails: dep.StatusDetails, Members: dep.Members, ProxylessSince: r.outages.criticalSince()}
	for i, t := range dep.Tasks {
		p.Tasks = append(p.Tasks, r.taskRow(t.Name, t.Status, now, i == 0, dep.CreateTime))
	}
	r.noteGreen(dep)
	return p
}

// invalidConfiguration explains INVALID_CONFIGURATION and the way out.
func (r *run) invalidConfiguration(dep awsclient.Deployment) error {
	return fatal("deployment %s is INVALID_CONFIGURATION (%s): green can no longer be switched over (for example it was modified or promoted by hand). Blue is untouched and still production. Undo with `rdsbg abort --source %s` (deletes the deployment and its green, restores the proxy), then start again",
		dep.ID, r.explainWithEvents(orNone(dep.StatusDetails)), r.plan.Source.ID)
}

func orNone(s string) string {
	if s == "" {
		return "no details given"
	}
	return s
}

// membersAvailable: Describe can say AVAILABLE before every green member
// really is (rds-facts §1.3), so every member must agree.
func membersAvailable(dep awsclient.Deployment) bool {
	for _, m := range dep.Members {
		if m.Status != "" && m.Status != "AVAILABLE" {
			return false
		}
	}
	return true
}

// targetVersion is the engine version green must end on ("" = unchanged).
func (r *run) targetVersion() string {
	if r.upgrade != nil && r.upgrade.Version != "" {
		return r.upgrade.Version
	}
	return r.plan.Options.TargetEngineVersion
}

// greenID is green's primary (RDS) or cluster (Aurora) identifier.
func greenID(dep *awsclient.Deployment) string {
	if dep == nil || dep.Target == "" {
		return ""
	}
	return lastField(dep.Target)
}

// waitDeploymentGone polls until the deployment no longer exists.
func (r *run) waitDeploymentGone(ctx context.Context, step StepID, id string) error {
	return r.e.wait(ctx, waitSpec{step: step, what: "deployment " + id + " to be deleted", speed: pollSlow, limit: r.e.cfg.Poll.DeleteLimit,
		poll: func(ctx context.Context) (bool, Progress, error) {
			dep, err := r.api.DescribeDeployment(ctx, id)
			if awsclient.Classify(err) == awsclient.KindNotFound {
				return true, Progress{DeploymentID: id, DeploymentStatus: "deleted"}, nil
			}
			if err != nil {
				return false, Progress{}, err
			}
			return false, r.depProgress(dep), nil
		}})
}

// observed is an observe's answer, for a helper that may answer for it.
type observed struct {
	outcome stepOutcome
	why     string
	err     error
}

func (o *observed) result() (stepOutcome, string, error) { return o.outcome, o.why, o.err }

// beforeSwitchover opens the observe of a step that comes before the
// switchover: it reads the run's deployment and answers for the step
// (non-nil) when the read failed or the procedure is past the switchover,
// which satisfies every step before it (past says so in the step's words).
func (r *run) beforeSwitchover(ctx context.Context, past string) (*awsclient.Deployment, *observed) {
	dep, err := r.findDeployment(ctx)
	if err != nil {
		return nil, &observed{err: err}
	}
	if r.pastSwitchover(dep) {
		return dep, &observed{outcome: stepDone, why: past}
	}
	return dep, nil
}

// liveDeployment is a wait's read of the run's deployment: gone (the
// deployment disappeared, in the step's words) and INVALID_CONFIGURATION
// are fatal.
func (r *run) liveDeployment(ctx context.Context, gone string) (*awsclient.Deployment, error) {
	dep, err := r.findDeployment(ctx)
	if err != nil {
		return nil, err
	}
	if dep == nil {
		return nil, fatal("%s", gone)
	}
	if dep.Status == "INVALID_CONFIGURATION" {
		return nil, r.invalidConfiguration(*dep)
	}
	return dep, nil
}

// versionMatches accepts a major-only request ("16") answered by the
// default minor ("16.4").
func versionMatches(have, want string) bool {
	return have == want || strings.HasPrefix(have, want+".")
}
