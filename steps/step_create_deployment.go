package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/world"
)

// create-deployment (step 2): CreateBlueGreenDeployment, tagged for rdsbg
// (proxy_tags.go), with the target engine version when --upgrade-via
// create. Done as soon as AWS has accepted the creation: attach-proxy-blue
// follows at once, provision-green waits for green. An existing deployment
// of this run is adopted, never created twice. The same in every regime;
// under auto mode's native plan a refusal while the proxy is registered
// falls back to the detach regime (compensate.go).
// Undone by abort or the --max-proxy-outage rollback: the deployment is
// deleted with its green.
//
// Before the create call, blue (the source and its replicas or Aurora
// members) is tagged rdsbg:source=<source id> (TagSource): AWS copies
// blue's tags to green at creation (rds-facts §4.1), and the IAM policy
// (iampolicy.go) can then limit every grant on green's unnamed resources
// to resources with this tag. Only resources that lack it are tagged. If
// AWS refuses the create call (4xx: nothing was created), the tags just
// written are removed again, so a refused creation leaves blue as it was
// and "nothing has been changed" stays true (runner.go, the auto
// fallback). Otherwise the tag is left in place: it names the database
// itself, the new primary gets it from blue at the switchover anyway
// (§4.3), abort and cleanup say so, and a later run needs it again.
// Removing it is one remove-tags-from-resource call. In the detach regime
// detach-proxy writes the tag before its deregistration (a read and a
// write per blue resource, about 0.8 s at 50 ms a call), so that the
// proxy-less time before the creation holds only what AWS forces: the
// create call. A deregistration that fails removes it again, as a refused
// creation does; a resumed process that did not see it written reads it
// here (blueTagBook).

func planCreateDeployment(b planBuilder) (contract.PlannedStep, bool) {
	src := b.d.Source
	createCLI := b.bgdLine()
	if b.adopted == "" {
		if b.regime != contract.RegimeDetach { // detach: detach-proxy tags blue, before the proxy is emptied
			createCLI = append(createCLI, b.cli.tagBlue(src)...)
		}
		co := b.o
		if !co.GroupsAtCreate(b.upgrade != nil && b.upgrade.Major) {
			co = co.WithoutTargetGroups() // upgrade-green carries them (Options.GroupsAtCreate)
		}
		createCLI = append(createCLI, b.cli.createDeployment(src, co, b.upgradeAtCreate()))
	}
	if b.adopted != "" {
		createCLI = append(createCLI, b.cli.describeDeployment("[Status,StatusDetails]"))
	}
	untouched := "production is untouched"
	if b.regime == contract.RegimeDetach {
		// Here the proxy is empty: detach-proxy's confirmation covers this
		// call, which follows it at once (step.go, coveredBy).
		untouched = "the database itself is untouched, but its proxy is EMPTY from detach-proxy until attach-proxy-blue registers blue again, at once after this call"
	}
	createEffect := fmt.Sprintf("AWS starts building a green copy of %s%s, named %s-green-xxxxxx and kept in sync with blue; %s. The step is done as soon as AWS has accepted the creation; provision-green waits for green.", src.ID, membersPhrase(src), src.ID, untouched)
	if b.upgradeAtCreate() {
		createEffect += fmt.Sprintf(" Green is created on %s %s.", src.Engine, b.o.TargetEngineVersion)
	}
	if b.regime != contract.RegimeDetach {
		createEffect = blueTagEffect(src) + " " + createEffect
	} else {
		// detach-proxy's own effect is the question the operator answers
		// for both steps and stays as short as it was; its CLI lines show
		// the tag, and this says what it is for.
		createEffect += fmt.Sprintf(" Blue carries the tag %s=%s (on %s%s; only a tag), written by detach-proxy before the proxy was emptied: AWS copies blue's tags to green, and the IAM policy of `rdsbg iam-policy` limits its grants on green's unnamed resources to resources with this tag. If the deregistration fails or AWS refuses the creation, the tag is removed again; otherwise %s", contract.TagSource, src.ID, src.ID, membersPhrase(src), blueTagStaysEffect(src))
	}
	if b.adopted != "" {
		createEffect = fmt.Sprintf("Deployment %s (%s) already exists: rdsbg carries on with it.", b.adopted, b.o.DeploymentName)
	}
	return contract.PlannedStep{
		ID: contract.StepCreateDeployment, Title: fmt.Sprintf("Create blue/green deployment %s", b.o.DeploymentName), Severity: contract.SeverityReversible,
		Why:    "The green environment is where the change happens while blue keeps serving production.",
		Effect: createEffect,
		CLI:    createCLI,
	}, true
}

// createDeploymentGrants: create-deployment first tags blue
// rdsbg:source=<id> (only that key, only that value, only on the named
// resources; in the detach regime detach-proxy writes it, before the
// deregistration), so that AWS copies the tag to green; the create call names
// the source and carries the tag; AWS then builds green as the caller,
// with blue's tags in each create request. The run holds its owner lease
// on the deployment from here on.
func createDeploymentGrants(s policyScope) []PolicyStatement {
	o := s.plan.Options
	onlyOurTag := map[string]any{"aws:TagKeys": []string{contract.TagSource}}
	createRes := []string{s.source, s.deployments}
	atCreate := o.GroupsAtCreate(s.plan.MajorUpgrade) // else upgrade-green names them (Options.GroupsAtCreate)
	if o.TargetDBParameterGroupName != "" && atCreate {
		createRes = append(createRes, s.prefix+"pg:"+o.TargetDBParameterGroupName)
	}
	if o.TargetDBClusterParameterGroupName != "" && atCreate {
		createRes = append(createRes, s.prefix+"cluster-pg:"+o.TargetDBClusterParameterGroupName)
	}
	green := []string{"rds:CreateDBInstanceReadReplica"}
	if s.cluster {
		green = []string{"rds:CreateDBCluster", "rds:CreateDBInstance", "rds:CreateDBClusterEndpoint"}
	}
	return []PolicyStatement{
		allowIf("TagBlueForGreen", []string{"rds:AddTagsToResource"}, s.production,
			map[string]map[string]any{"StringEquals": s.createdForUs, "ForAllValues:StringEquals": onlyOurTag}),
		// A refused create call: the tag just written is removed again.
		allowIf("UntagBlueAfterARefusedCreation", []string{"rds:RemoveTagsFromResource"}, s.production,
			map[string]map[string]any{"ForAllValues:StringEquals": onlyOurTag}),
		allowIf("CreateTheDeployment", []string{"rds:CreateBlueGreenDeployment"}, createRes, map[string]map[string]any{"StringEquals": s.createdForUs}),
		allowIf("TagTheDeploymentAtCreation", []string{"rds:AddTagsToResource"}, []string{s.deployments}, map[string]map[string]any{"StringEquals": s.createdForUs}),
		// The run's owner lease (ownership.go): renewed while the run lives
		// and released when it ends, the one key, on a deployment of this
		// source (issue 20).
		allowIf("HoldTheDeploymentLease", []string{"rds:AddTagsToResource"}, []string{s.deployments},
			map[string]map[string]any{"StringEquals": s.ours, "ForAllValues:StringEquals": {"aws:TagKeys": []string{contract.TagOwner}}}),
		allowIf("CreateGreenWithBluesTags", green, []string{"*"}, map[string]map[string]any{"StringEquals": s.createdForUs}),
		allowIf("TagGreenWithBluesTags", []string{"rds:AddTagsToResource"}, []string{"*"},
			map[string]map[string]any{"StringEquals": s.createdForUs, "Bool": {"rds:TagsFromRequest": "false"}}),
	}
}

func (c cliBuilder) createDeployment(src contract.Source, o contract.Options, upgradeAtCreate bool) string {
	args := []string{"--blue-green-deployment-name", contract.ShellQuote(o.DeploymentName), "--source", contract.ShellQuote(src.ARN)}
	if upgradeAtCreate && o.TargetEngineVersion != "" {
		args = append(args, "--target-engine-version", contract.ShellQuote(o.TargetEngineVersion))
	}
	if o.TargetDBParameterGroupName != "" {
		args = append(args, "--target-db-parameter-group-name", contract.ShellQuote(o.TargetDBParameterGroupName))
	}
	if o.TargetDBClusterParameterGroupName != "" {
		args = append(args, "--target-db-cluster-parameter-group-name", contract.ShellQuote(o.TargetDBClusterParameterGroupName))
	}
	if o.TargetDBInstanceClass != "" {
		args = append(args, "--target-db-instance-class", contract.ShellQuote(o.TargetDBInstanceClass))
	}
	if o.UpgradeTargetStorageConfig {
		args = append(args, "--upgrade-target-storage-config")
	}
	args = append(args, storageCLIArgs(o)...) // plan.go
	args = append(args, "--query BlueGreenDeployment.BlueGreenDeploymentIdentifier --output text")
	return "BGD=$(" + c.rds("create-blue-green-deployment", args...) + ")"
}

// createDeployment is step 2.
func (r *run) createDeployment(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		observe: r.observeCreation,
		apply:   func(ctx context.Context) error { return r.create(ctx, ps.ID) },
		// Done once AWS has accepted the creation: attach-proxy-blue
		// follows at once, provision-green waits for green.
	}
}

func (r *run) observeCreation(ctx context.Context) (stepOutcome, string, error) {
	dep, early := r.beforeSwitchover(ctx, "the switchover has happened")
	if early != nil {
		return early.result()
	}
	if dep == nil && r.dep.id != "" {
		// The journal's deployment vanished before its switchover:
		// someone deleted it. Recreating it silently could hide
		// that; the operator decides.
		return 0, "", poll.Fatal("deployment %s, created by this run, no longer exists (deleted outside rdsbg?). Run `rdsbg abort --source %s` to restore the proxy, then `rdsbg run` to start over", r.dep.id, r.plan.Source.ID)
	}
	if dep == nil {
		return stepTodo, "", nil
	}
	if dep.Status == "INVALID_CONFIGURATION" {
		return 0, "", r.invalidConfiguration(*dep)
	}
	// AWS accepted the creation: provision-green waits for green
	// (an old journal's create-deployment included that wait).
	return stepDone, fmt.Sprintf("deployment %s exists (%s)", dep.ID, dep.Status), nil
}

// create sends CreateBlueGreenDeployment (blue tagged first) and adopts
// the deployment AWS accepted.
func (r *run) create(ctx context.Context, step contract.StepID) error {
	if err := r.tagBlueBeforeCreate(ctx); err != nil { // done already by detach-proxy in the detach regime
		return err
	}
	o := r.plan.Options
	mctx, cancel := detached(ctx, mutationTimeout)
	dep, err := r.api.CreateDeployment(mctx, r.createInput())
	cancel()
	if err != nil {
		if found, ferr := r.ownCreationAfterAll(ctx, step, err); found {
			return ferr
		}
		if refusedByAWS(err) {
			r.untagBlueWithoutCreation(ctx)
		}
		// Auto mode chose native; AWS says otherwise while proxies
		// are registered. Any refusal counts (design.md §2).
		if o.ProxyMode == contract.ProxyModeAuto && r.plan.Regime == contract.RegimeNative && len(r.proxies) > 0 && refusal(err) {
			return &errFallbackDetach{err: err}
		}
		return fmt.Errorf("create blue/green deployment %s: %w", o.DeploymentName, err)
	}
	r.adopt(dep.ID)
	r.blueTags = blueTagBook{done: true} // the tag stays with the creation
	// The creation carried the run's lease (deploymentTags): renew it
	// from here (ownership.go).
	r.leases.arn, r.leases.next = awsclient.DeploymentARN(r.plan.Source.ARN, dep.ID), r.e.cfg.Clock.Now().Add(leaseRenew)
	return nil
}

// createInput is the create call's input from the plan's options.
func (r *run) createInput() awsclient.CreateDeploymentInput {
	o := r.plan.Options
	in := awsclient.CreateDeploymentInput{
		Name:                              o.DeploymentName,
		SourceARN:                         r.plan.Source.ARN,
		TargetDBParameterGroupName:        o.TargetDBParameterGroupName,
		TargetDBClusterParameterGroupName: o.TargetDBClusterParameterGroupName,
		TargetDBInstanceClass:             o.TargetDBInstanceClass,
		UpgradeTargetStorageConfig:        o.UpgradeTargetStorageConfig,
		Tags:                              r.deploymentTags(), // proxy_tags.go
	}
	if !o.GroupsAtCreate(r.plan.MajorUpgrade) {
		// Green is created on blue's version; upgrade-green gives it
		// the new family's groups (Options.GroupsAtCreate).
		in.TargetDBParameterGroupName, in.TargetDBClusterParameterGroupName = "", ""
	}
	in = withStorageOptions(in, o) // plan.go
	if o.UpgradeVia != contract.UpgradeViaModify {
		in.TargetEngineVersion = r.targetVersion()
	}
	return in
}

// ownCreationAfterAll looks, after a failed create call, for the
// deployment it may have made: this run's own creation whose answer was
// lost carries its run tag, and the run carries on with it, never a
// second (found, with the lease's error). One that is not this run's is
// another run's (or someone's by hand): found, refused. Neither: the
// failure stands.
func (r *run) ownCreationAfterAll(ctx context.Context, step contract.StepID, err error) (bool, error) {
	existing, ferr := r.findDeployment(ctx)
	var w world.World
	if ferr != nil || existing == nil {
		// Looked for again through the world view: the network
		// that lost the creation's answer may have failed this
		// read too, and the run's own deployment is not another's.
		w = r.readWorld(ctx, false)
		existing = r.deploymentOfSnapshot(ctx, w)
	}
	if existing != nil {
		r.e.notice(step, "deployment %s, tagged with this run, appeared while creating it; carrying on with it", existing.ID)
		r.holdDeployment(existing.ID, false)
		return true, r.ensureLease(ctx, nil)
	}
	if w.Deployment != nil && w.Deployment.Phase != world.PhaseDeleting {
		return true, &errForeign{Message: fmt.Sprintf("AWS refused the creation (%s): deployment %s (%s, %s) now exists for %s and is not this run's (%s); rdsbg will not act on it. `rdsbg status --source %s` shows it",
			awsWords(err), w.Deployment.ID, w.Deployment.Name, w.Deployment.Status, r.plan.Source.ID, w.Deployment.Owner.Words(r.e.cfg.Clock.Now()), r.plan.Source.ID)}
	}
	return false, nil
}

// errFallbackDetach: CreateBlueGreenDeployment was refused while proxies
// are registered, under a native plan chosen by auto mode. It is no
// failure of the step: the run falls back to the detach regime
// (fallbackToDetach) and runs the step again.
type errFallbackDetach struct{ err error }

func (e *errFallbackDetach) Error() string    { return e.err.Error() }
func (e *errFallbackDetach) Unwrap() error    { return e.err }
func (e *errFallbackDetach) notAStepFailure() {}

// blueARNs are what create-deployment tags rdsbg:source: the source and
// its replicas (RDS) or member instances (Aurora), by ARN.
func blueARNs(src contract.Source) []string {
	out := []string{src.ARN}
	parts := strings.SplitN(src.ARN, ":", 7)
	if len(parts) != 7 {
		return out
	}
	prefix := strings.Join(parts[:5], ":") + ":db:"
	for _, m := range src.Members {
		out = append(out, prefix+m)
	}
	return out
}

// blueTagEffect is the plan's sentences about the tag on blue, on the
// step that writes it (create-deployment).
func blueTagEffect(src contract.Source) string {
	return fmt.Sprintf("Blue first gets the tag %s=%s (on %s%s; only a tag): AWS copies blue's tags to green, and the IAM policy of `rdsbg iam-policy` limits its grants on green's unnamed resources to resources with this tag. If AWS refuses the creation, the tag is removed again; otherwise %s",
		contract.TagSource, src.ID, src.ID, membersPhrase(src), blueTagStaysEffect(src))
}

// blueTagStaysEffect says that the tag stays with a deployment, and how to
// remove it.
func blueTagStaysEffect(src contract.Source) string {
	removal := fmt.Sprintf("`aws rds remove-tags-from-resource --resource-name %s --tag-keys %s` removes it", contract.ShellQuote(src.ARN), contract.TagSource)
	if len(src.Members) > 0 {
		removal += ", and likewise from each member"
	}
	return fmt.Sprintf("it stays after the run (abort and cleanup leave it; %s).", removal)
}

// blueTagStays is abort's sentence when blue carries the tag.
func blueTagStays(src contract.Source) string {
	return fmt.Sprintf("%s keeps its tag %s=%s (written by create-deployment for the IAM policy; it changes nothing else): `aws rds remove-tags-from-resource --resource-name %s --tag-keys %s` removes it.",
		src.ID, contract.TagSource, src.ID, contract.ShellQuote(src.ARN), contract.TagSource)
}

// blueTagAfterSwitchover is cleanup's sentence about the tag; oldBlueKept
// when cleanup leaves the -old1 resources.
func blueTagAfterSwitchover(src contract.Source, oldBlueKept bool) string {
	where := "the new primary " + src.ID
	if oldBlueKept {
		where += " and old blue"
	}
	return fmt.Sprintf("The tag %s=%s stays on %s (AWS gives the new primary blue's tags at the switchover).", contract.TagSource, src.ID, where)
}

// tagBlue is the runbook's add-tags-to-resource line per blue resource.
func (c cliBuilder) tagBlue(src contract.Source) []string {
	var lines []string
	for _, arn := range blueARNs(src) {
		lines = append(lines, c.rds("add-tags-to-resource", "--resource-name", contract.ShellQuote(arn), "--tags", contract.ShellQuote("Key="+contract.TagSource+",Value="+src.ID)))
	}
	return lines
}

// blueTagBook is what this process knows of blue's rdsbg:source tag
// before the creation: done once blue carries it (read or written here),
// tagged what this process wrote, which a refused creation or a failed
// deregistration removes again. A resumed process starts knowing nothing
// and reads the tags again.
type blueTagBook struct {
	done   bool
	tagged []string
}

// tagBlueBeforeCreate makes sure blue carries the tag before the create
// call, reading and writing only once per process.
func (r *run) tagBlueBeforeCreate(ctx context.Context) error {
	if r.blueTags.done {
		return nil
	}
	tagged, err := r.tagBlueForGreen(ctx)
	if err != nil {
		return err
	}
	r.blueTags = blueTagBook{done: true, tagged: tagged}
	return nil
}

// untagBlueWithoutCreation removes what tagBlueBeforeCreate wrote when
// the creation it was for does not happen in this process.
func (r *run) untagBlueWithoutCreation(ctx context.Context) {
	r.untagBlue(ctx, r.blueTags.tagged)
	r.blueTags = blueTagBook{}
}

// tagBlueForGreen writes rdsbg:source on the blue resources that lack it,
// before the create call, and returns those it tagged. A failure removes
// what it wrote.
func (r *run) tagBlueForGreen(ctx context.Context) ([]string, error) {
	src := r.plan.Source
	var tagged []string
	for _, arn := range blueARNs(src) {
		tags, err := r.api.ListTagsForResource(ctx, arn)
		if err == nil && tags[contract.TagSource] == src.ID {
			continue
		}
		mctx, cancel := detached(ctx, mutationTimeout)
		err = r.api.AddTagsToResource(mctx, arn, map[string]string{contract.TagSource: src.ID})
		cancel()
		if err != nil {
			r.untagBlue(ctx, tagged)
			return nil, fmt.Errorf("tag %s %s=%s before creating the deployment (AWS copies blue's tags to green; the IAM policy of `rdsbg iam-policy` relies on this tag, and the credentials need rds:AddTagsToResource on %s): %w", contract.ARNName(arn), contract.TagSource, src.ID, arn, err)
		}
		tagged = append(tagged, arn)
	}
	return tagged, nil
}

// untagBlue removes the tag from what tagBlueForGreen just tagged, when
// the creation it was for did not happen. Each pair written and removed
// again is no change of the run (runner.go); a removal that fails is
// reported and leaves the tag, which changes nothing else.
func (r *run) untagBlue(ctx context.Context, arns []string) {
	undone := 0
	for _, arn := range arns {
		mctx, cancel := detached(ctx, mutationTimeout)
		err := r.api.RemoveTagsFromResource(mctx, arn, contract.TagSource)
		cancel()
		if err != nil {
			r.e.notice(contract.StepCreateDeployment, "%s keeps the tag %s=%s written for the refused creation (%v); it changes nothing else", contract.ARNName(arn), contract.TagSource, r.plan.Source.ID, err)
			continue
		}
		undone++
	}
	if r.changes != nil {
		r.changes.forget(2 * undone)
	}
}

// forget takes back n changes that were undone: a tag written and
// removed again leaves AWS as it was.
func (w *changeWatch) forget(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.changes -= n
	if w.changes < 0 {
		w.changes = 0
	}
}

// refusedByAWS: AWS answered with a client error (4xx), so the call
// changed nothing; a timeout or a 5xx may have created something.
func refusedByAWS(err error) bool {
	info, ok := awsclient.Inspect(err)
	return ok && info.HTTPStatus >= 400 && info.HTTPStatus < 500
}
