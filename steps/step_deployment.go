package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// impl maps a planned step to its implementation. The critical section's
// calls are marked urgent: the client's pacer lets them through rather than
// lengthen the proxy-less window (awsclient.MaxUrgentRequestsPerSecond).
func (r *run) impl(ps PlannedStep) (stepImpl, error) {
	impl, err := r.stepImplOf(ps)
	if err != nil || !ps.Critical {
		return impl, err
	}
	urgent := func(f func(context.Context) error) func(context.Context) error {
		if f == nil {
			return nil
		}
		return func(ctx context.Context) error { return f(awsclient.Urgent(ctx)) }
	}
	observe := impl.observe
	if observe != nil {
		impl.observe = func(ctx context.Context) (stepOutcome, string, error) { return observe(awsclient.Urgent(ctx)) }
	}
	impl.apply, impl.settle = urgent(impl.apply), urgent(impl.settle)
	return impl, nil
}

func (r *run) stepImplOf(ps PlannedStep) (stepImpl, error) {
	switch ps.ID {
	case StepDetachProxy:
		if ps.CheckOnly {
			return r.checkProxyHealthy(ps, "the proxy target to be AVAILABLE before the deployment is created", func(dep *awsclient.Deployment) bool { return dep != nil || r.pastSwitchover(dep) }), nil
		}
		return r.detachProxy(ps), nil
	case StepCreateDeployment:
		return r.createDeployment(ps), nil
	case StepProvisionGreen:
		return r.provisionGreen(ps), nil
	case StepAttachProxyBlue:
		if ps.CheckOnly {
			return r.checkProxyHealthy(ps, "the proxy to keep blue AVAILABLE", r.pastSwitchover), nil
		}
		return r.attachProxyBlue(ps), nil
	case StepUpgradeGreen:
		return r.upgradeGreen(ps), nil
	case StepReadyCheck:
		return r.readyCheck(ps), nil
	case StepDetachProxyBlue:
		if ps.CheckOnly {
			return r.checkProxyHealthy(ps, "the proxy to be healthy before the switchover", r.pastSwitchover), nil
		}
		return r.detachProxyBlue(ps), nil
	case StepSwitchover:
		return r.switchover(ps), nil
	case StepAttachProxyPrimary:
		if ps.CheckOnly {
			return r.checkProxyHealthy(ps, "the proxy to show the new primary AVAILABLE", nil), nil
		}
		return r.attachProxyPrimary(ps), nil
	case StepVerify:
		return r.verify(ps), nil
	case StepCleanup:
		return r.cleanup(ps), nil
	}
	return stepImpl{}, fmt.Errorf("the plan names step %q, which this version of rdsbg cannot run", ps.ID)
}

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
	known := len(r.oldBlue) > 0 || r.prior.Steps[StepSwitchover] == StepStateDone
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
// never guesses: the journal's id first, then the run's deployment name,
// then a deployment whose Source or Target is the source. That is how a
// resumed run finds what a crashed one created instead of creating a
// second one.
func (r *run) findDeployment(ctx context.Context) (*awsclient.Deployment, error) {
	if r.depID != "" {
		dep, err := r.api.DescribeDeployment(ctx, r.depID)
		if awsclient.Classify(err) == awsclient.KindNotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r.readEvents(ctx, dep.Status == "INVALID_CONFIGURATION" || dep.Status == "SWITCHOVER_FAILED")
		return &dep, nil
	}
	all, err := r.api.ListDeployments(ctx, "")
	if err != nil {
		return nil, err
	}
	var bySource *awsclient.Deployment
	for i := range all {
		dep := all[i]
		if dep.Status == "DELETING" {
			continue
		}
		if strings.EqualFold(dep.Name, r.plan.Options.DeploymentName) {
			r.adopt(dep.ID)
			return &dep, nil
		}
		if bySource == nil && r.plan.Source.ARN != "" && (dep.Source == r.plan.Source.ARN || dep.Target == r.plan.Source.ARN) {
			bySource = &dep
		}
	}
	if bySource != nil {
		r.adopt(bySource.ID)
	}
	return bySource, nil
}

// adopt records the deployment this run owns.
func (r *run) adopt(id string) {
	if r.depID == id {
		return
	}
	r.depID = id
	_ = r.journal.Append(Record{Kind: RecordDeployment, DeploymentID: id})
}

// depProgress turns a deployment into progress rows; tasks carry the time
// spent in their current status.
func (r *run) depProgress(dep awsclient.Deployment) Progress {
	now := r.e.cfg.Clock.Now()
	p := Progress{DeploymentID: dep.ID, DeploymentStatus: dep.Status, StatusDetails: dep.StatusDetails, Members: dep.Members, ProxylessSince: r.proxylessSince}
	for _, t := range dep.Tasks {
		p.Tasks = append(p.Tasks, r.taskRow(t.Name, t.Status, now))
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

// createDeployment is step 2.
func (r *run) createDeployment(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if r.pastSwitchover(dep) {
				return stepDone, "the switchover has happened", nil
			}
			if dep == nil && r.depID != "" {
				// The journal's deployment vanished before its switchover:
				// someone deleted it. Recreating it silently could hide
				// that; the operator decides.
				return 0, "", fatal("deployment %s, created by this run, no longer exists (deleted outside rdsbg?). Run `rdsbg abort --source %s` to restore the proxy, then `rdsbg run` to start over", r.depID, r.plan.Source.ID)
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
		},
		apply: func(ctx context.Context) error {
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
			in = withStorageOptions(in, o) // storage_options.go
			if o.UpgradeVia != UpgradeViaModify {
				in.TargetEngineVersion = r.targetVersion()
			}
			mctx, cancel := detached(ctx, mutationTimeout)
			dep, err := r.api.CreateDeployment(mctx, in)
			cancel()
			if awsclient.Classify(err) == awsclient.KindAlreadyExists {
				// Someone (or a request whose answer was lost) created it
				// between our observation and now: adopt, never a second.
				if existing, ferr := r.findDeployment(ctx); ferr == nil && existing != nil {
					r.e.notice(ps.ID, "deployment %s appeared while creating it; carrying on with it", existing.ID)
					return nil
				}
			}
			if err != nil {
				// Auto mode chose native; AWS says otherwise while proxies
				// are registered. Any refusal counts (design.md §2).
				if r.plan.Options.ProxyMode == ProxyModeAuto && r.plan.Regime == RegimeNative && len(r.proxies) > 0 && refusal(err) {
					return &errFallbackDetach{err: err}
				}
				return fmt.Errorf("create blue/green deployment %s: %w", o.DeploymentName, err)
			}
			r.adopt(dep.ID)
			return nil
		},
		// Done once AWS has accepted the creation: attach-proxy-blue
		// follows at once, provision-green waits for green.
	}
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

// upgradeGreen is step 4 (--upgrade-via modify).
func (r *run) upgradeGreen(ps PlannedStep) stepImpl {
	cluster := r.plan.Source.Kind == KindCluster
	readGreen := func(ctx context.Context, id string) (version, status string, err error) {
		if cluster {
			c, err := r.api.DescribeCluster(ctx, id)
			return c.EngineVersion, c.Status, err
		}
		i, err := r.api.DescribeInstance(ctx, id)
		return i.EngineVersion, i.Status, err
	}
	want := r.targetVersion()
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if r.pastSwitchover(dep) {
				return stepDone, "the switchover has started", nil
			}
			id := greenID(dep)
			if id == "" {
				return 0, "", fatal("deployment %s has no green target to upgrade", depStatus(dep))
			}
			if want == "" {
				return stepDone, "no target engine version requested", nil
			}
			version, status, err := readGreen(ctx, id)
			if err != nil {
				return 0, "", err
			}
			if versionMatches(version, want) {
				if status == "available" {
					return stepDone, fmt.Sprintf("green %s already runs %s", id, version), nil
				}
				return stepApplied, fmt.Sprintf("green %s runs %s (%s)", id, version, status), nil
			}
			if status == "upgrading" {
				return stepApplied, "green " + id + " is upgrading", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return err
			}
			id := greenID(dep)
			mctx, cancel := detached(ctx, mutationTimeout)
			defer cancel()
			o := r.plan.Options
			if cluster {
				_, err = r.api.ModifyCluster(mctx, awsclient.ModifyClusterInput{ID: id, EngineVersion: want, AllowMajorVersionUpgrade: r.plan.MajorUpgrade, ApplyImmediately: true,
					DBClusterParameterGroupName: o.TargetDBClusterParameterGroupName, DBInstanceParameterGroupName: o.TargetDBParameterGroupName})
			} else {
				_, err = r.api.ModifyInstance(mctx, awsclient.ModifyInstanceInput{ID: id, EngineVersion: want, AllowMajorVersionUpgrade: r.plan.MajorUpgrade, ApplyImmediately: true,
					DBParameterGroupName: o.TargetDBParameterGroupName})
			}
			if err != nil {
				return fmt.Errorf("upgrade green %s to %s: %w", id, want, err)
			}
			return nil
		},
		settle: func(ctx context.Context) error {
			return r.e.wait(ctx, waitSpec{step: ps.ID, what: "green to run " + want + " and be available", speed: pollSlow, limit: r.e.cfg.Poll.UpgradeLimit, stable: r.e.cfg.Poll.StableReads,
				poll: func(ctx context.Context) (bool, Progress, error) {
					dep, err := r.findDeployment(ctx)
					if err != nil {
						return false, Progress{}, err
					}
					if dep == nil {
						return false, Progress{}, fatal("the deployment disappeared while green was upgrading")
					}
					if dep.Status == "INVALID_CONFIGURATION" {
						return false, Progress{}, r.invalidConfiguration(*dep)
					}
					id := greenID(dep)
					version, status, err := readGreen(ctx, id)
					if err != nil {
						return false, Progress{}, err
					}
					p := r.depProgress(*dep)
					row := status + " " + version
					if !versionMatches(version, want) {
						row += " → " + want // "upgrading 8.0.36 → 8.4.3" names the target
					}
					p.Instances = []InstanceRow{{ID: id, Status: row}}
					return versionMatches(version, want) && status == "available" && dep.Status == "AVAILABLE", p, nil
				}})
		},
	}
}

// versionMatches accepts a major-only request ("16") answered by the
// default minor ("16.4").
func versionMatches(have, want string) bool {
	return have == want || strings.HasPrefix(have, want+".")
}

// readyCheck is the gate before the critical section: the deployment and
// every member AVAILABLE for several reads, green instances available, the
// proxy healthy where it should be.
func (r *run) readyCheck(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if r.pastSwitchover(dep) {
				return stepDone, "the switchover has started", nil
			}
			if dep == nil {
				return 0, "", fatal("no blue/green deployment exists for %s", r.plan.Source.ID)
			}
			return stepTodo, "", nil
		},
		settle: func(ctx context.Context) error {
			gate := lagGate{}
			return r.e.wait(ctx, waitSpec{step: ps.ID, what: "deployment, green and proxy to be ready", speed: pollSlow, limit: r.e.cfg.Poll.UpgradeLimit, stable: r.e.cfg.Poll.StableReads,
				poll: func(ctx context.Context) (bool, Progress, error) {
					dep, err := r.findDeployment(ctx)
					if err != nil {
						return false, Progress{}, err
					}
					if dep == nil {
						return false, Progress{}, fatal("the deployment disappeared")
					}
					if dep.Status == "INVALID_CONFIGURATION" {
						return false, Progress{}, r.invalidConfiguration(*dep)
					}
					p := r.depProgress(*dep)
					ready := dep.Status == "AVAILABLE" && membersAvailable(*dep)
					for _, m := range dep.Members {
						if !strings.Contains(m.Target, ":db:") {
							continue // clusters and custom endpoints
						}
						inst, err := r.api.DescribeInstance(ctx, lastField(m.Target))
						if err != nil {
							return false, Progress{}, err
						}
						p.Instances = append(p.Instances, InstanceRow{ID: inst.ID, Status: inst.Status})
						if inst.Status != "available" {
							ready = false
						}
					}
					// The proxy must be healthy on blue, unless the operator
					// chose to go on without it or a resumed critical
					// section has already detached it.
					if r.plan.Regime != RegimeNone && !r.continueWithoutProxy && r.prior.Steps[StepDetachProxyBlue] == "" {
						v, err := r.viewProxies(ctx)
						if err != nil {
							return false, Progress{}, err
						}
						p.ProxyTargets = v.targets
						if !v.healthyAll(len(r.proxies)) {
							ready = false
						}
					}
					// Replication lag (CloudWatch, when metrics are on) must
					// fit the switchover timeout, unless the operator chose
					// to go on after the gate held too long.
					if ok, why := r.e.watcher().LagGate(ctx, &p, r.plan.Options.SwitchoverTimeout); !ok && !gate.overridden {
						if err := r.holdOnLag(ctx, ps, &gate, why); err != nil {
							return false, Progress{}, err
						}
						if !gate.overridden {
							ready = false
							p.Waiting = "replication to catch up: " + why
						}
					} else if ok {
						gate.since = time.Time{}
					}
					return ready, p, nil
				}})
		},
	}
}

// switchover is step 6.
func (r *run) switchover(ps PlannedStep) stepImpl {
	var sentAt time.Time // when SwitchoverBlueGreenDeployment was sent by this process
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if (dep == nil || dep.Status == "DELETING") && r.switchoverDone(dep) {
				return stepDone, "the switchover has completed (the deployment object is deleted)", nil
			}
			if dep == nil {
				return 0, "", fatal("no blue/green deployment exists for %s", r.plan.Source.ID)
			}
			switch dep.Status {
			case "SWITCHOVER_COMPLETED":
				r.noteRenames(*dep)
				return stepDone, "the switchover has completed", nil
			case "SWITCHOVER_IN_PROGRESS":
				return stepApplied, "the switchover is in progress", nil
			case "INVALID_CONFIGURATION":
				return 0, "", r.invalidConfiguration(*dep)
			}
			for _, m := range dep.Members {
				if m.Target != "" {
					r.greenNames[lastField(m.Source)] = lastField(m.Target)
				}
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error {
			mctx, cancel := detached(ctx, mutationTimeout)
			defer cancel()
			sentAt = r.e.cfg.Clock.Now()
			if _, err := r.api.SwitchoverDeployment(mctx, r.depID, r.plan.Options.SwitchoverTimeout); err != nil {
				// Green may have turned INVALID_CONFIGURATION since observe:
				// AWS's refusal then only says "must be AVAILABLE"; the
				// operator needs the explanation and the way out.
				if dep, derr := r.api.DescribeDeployment(mctx, r.depID); derr == nil && dep.Status == "INVALID_CONFIGURATION" {
					return r.invalidConfiguration(dep)
				}
				return fmt.Errorf("switch over deployment %s: %w", r.depID, err)
			}
			return nil
		},
		settle: func(ctx context.Context) error {
			start := r.e.cfg.Clock.Now()
			seenInProgress := false
			err := r.e.wait(ctx, waitSpec{step: ps.ID, what: "SWITCHOVER_COMPLETED", speed: pollCritical, limit: r.plan.Options.SwitchoverTimeout + r.e.cfg.Poll.SwitchoverMargin,
				afterMutation: !sentAt.IsZero(), // the request's answer said SWITCHOVER_IN_PROGRESS
				poll: func(ctx context.Context) (bool, Progress, error) {
					dep, err := r.api.DescribeDeployment(ctx, r.depID)
					if err != nil {
						return false, Progress{}, err
					}
					p := r.depProgress(dep)
					switch dep.Status {
					case "SWITCHOVER_COMPLETED":
						r.noteRenames(dep)
						return true, p, nil
					case "SWITCHOVER_IN_PROGRESS":
						seenInProgress = true
					case "SWITCHOVER_FAILED":
						return false, p, fatal("AWS could not complete the switchover and rolled it back (%s). Blue is still production under its own name; nothing was renamed", r.explainFailure(ctx, orNone(dep.StatusDetails)))
					case "AVAILABLE":
						if seenInProgress || r.e.cfg.Clock.Now().Sub(start) > r.plan.Options.SwitchoverTimeout {
							return false, p, fatal("the switchover did not finish within its %s timeout and AWS rolled it back (%s). Blue is still production; check replica lag and long-running transactions, then `rdsbg resume` to try again", r.plan.Options.SwitchoverTimeout, r.explainFailure(ctx, orNone(dep.StatusDetails)))
						}
					case "INVALID_CONFIGURATION":
						return false, p, r.invalidConfiguration(dep)
					}
					return false, p, nil
				}})
			from := start
			if !sentAt.IsZero() {
				from = sentAt
			}
			r.switchoverDuration = r.e.cfg.Clock.Now().Sub(from)
			return err
		},
	}
}

// noteRenames records before → after names: blue members get -oldN, green
// members take blue's names. After the switchover the deployment's members
// read Source = the -oldN ARN and Target = the production name's ARN.
func (r *run) noteRenames(dep awsclient.Deployment) {
	changed := false
	for _, m := range dep.Members {
		if m.Source == "" || m.Target == "" {
			continue
		}
		old, prod := lastField(m.Source), lastField(m.Target)
		if old == prod {
			continue
		}
		if r.renames[prod] != old {
			r.renames[prod] = old
			changed = true
		}
		if green, ok := r.greenNames[prod]; ok && r.renames[green] != prod {
			r.renames[green] = prod
			changed = true
		}
		if !contains(r.oldBlue, m.Source) {
			r.oldBlue = append(r.oldBlue, m.Source)
			changed = true
		}
	}
	if changed {
		// Cleanup of old blue needs these names after the deployment
		// object (which carries them) is gone: journal them.
		_ = r.journal.Append(Record{Kind: RecordRenames, Renames: r.renames, OldBlue: r.oldBlue})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// verify confirms the end state: the deployment completed, the source name
// is the new primary on the requested version, the proxy is healthy on it.
func (r *run) verify(ps PlannedStep) stepImpl {
	want := r.targetVersion()
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) { return stepTodo, "", nil },
		settle: func(ctx context.Context) (err error) {
			defer func() { r.clientsBack(ctx, err) }() // verify_clients.go: warns, never fails
			return r.e.wait(ctx, waitSpec{step: ps.ID, what: "the new primary and the proxy to be healthy", speed: pollFast, limit: r.e.cfg.Poll.ProxyTargetLimit, stable: r.e.cfg.Poll.StableReads,
				poll: func(ctx context.Context) (bool, Progress, error) {
					dep, err := r.findDeployment(ctx)
					if err != nil {
						return false, Progress{}, err
					}
					if dep != nil && dep.Status != "SWITCHOVER_COMPLETED" && dep.Status != "DELETING" {
						return false, Progress{}, fatal("deployment %s is %s, not SWITCHOVER_COMPLETED", dep.ID, dep.Status)
					}
					var p Progress
					if dep != nil {
						p = r.depProgress(*dep)
						r.noteRenames(*dep)
					}
					version, status, err := r.sourceStatus(ctx)
					if err != nil {
						return false, Progress{}, err
					}
					p.Instances = []InstanceRow{{ID: r.plan.Source.ID, Status: status + " " + version}}
					if want != "" && !versionMatches(version, want) {
						return false, p, fatal("%s runs %s after the switchover, not %s", r.plan.Source.ID, version, want)
					}
					ok := status == "available"
					if r.plan.Regime != RegimeNone {
						v, err := r.viewProxies(ctx)
						if err != nil {
							return false, Progress{}, err
						}
						p.ProxyTargets = v.targets
						ok = ok && v.healthyAll(len(r.proxies))
					}
					if ok {
						if err := r.renamesOnce(ctx, want); err != nil {
							return false, p, err
						}
					}
					return ok, p, nil
				}})
		},
	}
}

// sourceStatus reads the production name (after the switchover, the new
// primary).
func (r *run) sourceStatus(ctx context.Context) (version, status string, err error) {
	if r.plan.Source.Kind == KindCluster {
		c, err := r.api.DescribeCluster(ctx, r.plan.Source.ID)
		return c.EngineVersion, c.Status, err
	}
	i, err := r.api.DescribeInstance(ctx, r.plan.Source.ID)
	return i.EngineVersion, i.Status, err
}

// lagGate is the readiness gate's memory of a lag hold within one wait.
type lagGate struct {
	since      time.Time // when the lag first held the gate (zero: not holding)
	overridden bool      // the operator chose to go on with the lag as it is
}

// holdOnLag asks the operator, once the lag has held the gate for
// Poll.ReadyGateAsk, to keep waiting or to go on (severe: a switchover with
// too much lag may run past its timeout and be rolled back by AWS).
func (r *run) holdOnLag(ctx context.Context, ps PlannedStep, gate *lagGate, why string) error {
	now := r.e.cfg.Clock.Now()
	if gate.since.IsZero() {
		gate.since = now
		return nil
	}
	held := now.Sub(gate.since)
	if held < r.e.cfg.Poll.ReadyGateAsk {
		return nil
	}
	text := fmt.Sprintf("Green's replication has not caught up for %s: %s. A switchover that cannot catch up within its %s timeout is rolled back by AWS (blue stays primary), after the proxy-less part of the critical section has started. wait: keep checking (asked again after %s). approve: go on to the switchover with the lag as it is (type %s). decline: stop here; nothing more changes and `rdsbg resume` continues later.",
		held.Round(time.Minute), why, r.plan.Options.SwitchoverTimeout, r.e.cfg.Poll.ReadyGateAsk, r.plan.Source.ID)
	d, err := r.decide(ctx, Approval{Kind: "ready-gate", Step: ps.ID, Title: "The readiness gate is holding on replication lag: wait, or go on?",
		Text: text, Severity: SeveritySevere, Confirm: r.plan.Source.ID, Choices: []Decision{DecisionWait, DecisionApprove, DecisionDecline}})
	if err != nil {
		return err
	}
	switch d {
	case DecisionApprove:
		gate.overridden = true
		r.e.emit(Event{Type: EventNotice, Step: ps.ID, Message: "going on past the readiness gate with the replication lag as it is, at the operator's severe confirmation: " + why})
		return nil
	case DecisionWait:
		gate.since = now
		return nil
	}
	return fmt.Errorf("%w: %s (%s)", ErrDeclined, "the readiness gate", d)
}
