package sim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Deployment and member statuses (rds-facts §2.1–2.3).
const (
	bgProvisioning         = "PROVISIONING"
	bgAvailable            = "AVAILABLE"
	bgSwitchoverInProgress = "SWITCHOVER_IN_PROGRESS"
	bgSwitchoverCompleted  = "SWITCHOVER_COMPLETED"
	bgSwitchoverFailed     = "SWITCHOVER_FAILED"
	bgInvalidConfiguration = "INVALID_CONFIGURATION"
	bgDeleting             = "DELETING"
	memberMissingSource    = "MISSING_SOURCE"
	memberMissingTarget    = "MISSING_TARGET"
	taskPending            = "PENDING"
	taskInProgress         = "IN_PROGRESS"
	taskCompleted          = "COMPLETED"
	taskFailed             = "FAILED"
)

// Task names (rds-facts §2.4).
const (
	taskCreateReplica         = "CREATING_READ_REPLICA_OF_SOURCE"
	taskEngineUpgrade         = "DB_ENGINE_VERSION_UPGRADE"
	taskConfigureBackups      = "CONFIGURE_BACKUPS"
	taskCreateTopology        = "CREATING_TOPOLOGY_OF_SOURCE"
	taskCreateClusterInstance = "CREATE_DB_INSTANCES_FOR_CLUSTER"
	taskCreateCustomEndpoints = "CREATE_CUSTOM_ENDPOINTS"
)

func deploymentNamePattern() *regexp.Regexp {
	return regexp.MustCompile(`^[a-zA-Z](?:-?[a-zA-Z0-9]+)*$`)
}

func arnPattern() *regexp.Regexp { return regexp.MustCompile(`^arn:[A-Za-z][0-9A-Za-z-:._]*$`) }

func classPattern() *regexp.Regexp { return regexp.MustCompile(`^db\.[0-9a-z]{2,6}\.[0-9a-z]{4,9}$`) }

// ---- output ----

func (s *Simulator) xmlDeployment(d *Deployment) xmlDeployment {
	st := s.st
	x := xmlDeployment{BlueGreenDeploymentIdentifier: d.ID, BlueGreenDeploymentName: d.Name,
		Source: st.resourceARN(d.SourceResourceID), Target: st.resourceARN(d.TargetResourceID),
		Status: d.Status, StatusDetails: d.StatusDetails, CreateTime: ts(d.CreateTime), DeleteTime: ts(d.DeleteTime)}
	for _, m := range d.Members {
		src, tgt, srcGone, tgtGone := s.memberARNs(m)
		status := m.Status
		// A deleted member shows up whatever the deployment is doing
		// (rds-facts §2.2).
		switch {
		case srcGone && d.Status != bgDeleting:
			status = memberMissingSource
		case tgtGone && d.Status != bgDeleting:
			status = memberMissingTarget
		}
		x.SwitchoverDetails = append(x.SwitchoverDetails, xmlSwitchoverDetail{SourceMember: src, TargetMember: tgt, Status: status})
	}
	for _, t := range d.Tasks {
		x.Tasks = append(x.Tasks, xmlTask{Name: t.Name, Status: t.Status})
	}
	for _, k := range sortedKeys(d.Tags) {
		x.TagList = append(x.TagList, xmlTag{Key: k, Value: d.Tags[k]})
	}
	return x
}

// memberARNs names a member's two sides and says which side was deleted.
func (s *Simulator) memberARNs(m *Member) (src, tgt string, srcGone, tgtGone bool) {
	st := s.st
	if m.Kind != "endpoint" {
		src = st.resourceARN(m.Source)
		srcGone = st.instanceByResource(m.Source) == nil && st.clusterByResource(m.Source) == nil
		if m.Target != "" {
			tgt = st.resourceARN(m.Target)
			tgtGone = st.instanceByResource(m.Target) == nil && st.clusterByResource(m.Target) == nil
		}
		return
	}
	endpoint := func(res string) (string, bool) {
		c := st.clusterByResource(res)
		if c == nil || m.EndpointIndex >= len(c.CustomEndpoints) {
			return "", true
		}
		return st.endpointARN(c.CustomEndpoints[m.EndpointIndex]), false
	}
	src, srcGone = endpoint(m.Source)
	if srcGone {
		src = st.goneARNs[goneEndpointKey(m.Source, m.EndpointIndex)]
	}
	if m.Target != "" {
		tgt, _ = endpoint(m.Target)
		// Green endpoints appear only when CREATE_CUSTOM_ENDPOINTS ends.
		tgtGone = tgt == "" && st.clusterByResource(m.Target) == nil
	}
	return
}

// ---- create ----

func (s *Simulator) createBlueGreenDeployment(c *call) (any, *apiError) {
	st := s.st
	name, source := c.form.Get("BlueGreenDeploymentName"), c.form.Get("Source")
	if name == "" {
		return nil, missing("BlueGreenDeploymentName")
	}
	if source == "" {
		return nil, missing("Source")
	}
	if len(name) > 60 || !deploymentNamePattern().MatchString(name) {
		return nil, fail(codeInvalidParameterValue, "The parameter BlueGreenDeploymentName is not valid: %q must be 1 to 60 letters, digits or hyphens, start with a letter and contain no double or trailing hyphen.", name)
	}
	if len(source) > 2048 || !arnPattern().MatchString(source) {
		return nil, fail(codeInvalidParameterValue, "The parameter Source must be the ARN of a DB instance or DB cluster, not %q.", source)
	}
	parts := strings.SplitN(source, ":", 7)
	if len(parts) != 7 || parts[2] != "rds" || (parts[5] != "db" && parts[5] != "cluster") {
		return nil, fail(codeInvalidParameterValue, "The parameter Source must be the ARN of a DB instance or DB cluster, not %q.", source)
	}
	if parts[3] != st.Region || parts[4] != st.Account {
		return nil, fail(codeInvalidParameterValue, "The Source %s must be in this account (%s) and Region (%s).", source, st.Account, st.Region)
	}
	isCluster := parts[5] == "cluster"
	var blueInstance *Instance
	var blueCluster *Cluster
	var sourceRes, engine, version string
	if isCluster {
		if blueCluster = st.findCluster(parts[6]); blueCluster == nil {
			return nil, clusterNotFound(parts[6])
		}
		sourceRes, engine, version = blueCluster.ResourceID, blueCluster.Engine, blueCluster.EngineVersion
	} else {
		if blueInstance = st.findInstance(parts[6]); blueInstance == nil {
			return nil, instanceNotFound(parts[6])
		}
		sourceRes, engine, version = blueInstance.ResourceID, blueInstance.Engine, blueInstance.EngineVersion
	}
	for _, d := range st.Deployments {
		if strings.EqualFold(d.Name, name) {
			return nil, fail("BlueGreenDeploymentAlreadyExistsFault", "A blue/green deployment named %s already exists.", name)
		}
	}
	// A source that already takes part in a deployment (as blue, or as the
	// green now carrying production after a switchover) is answered with
	// the invalid-state fault of its kind: RDS documents no code for this,
	// and these are the modeled faults that describe "the DB is busy".
	if d := st.activeDeploymentFor(sourceRes); d != nil {
		if isCluster {
			return nil, fail(codeInvalidClusterState, "DB cluster %s is already part of blue/green deployment %s.", blueCluster.ID, d.ID)
		}
		return nil, fail(codeInvalidInstanceState, "DB instance %s is already part of blue/green deployment %s.", blueInstance.ID, d.ID)
	}
	if err := s.checkSourceSupported(blueInstance, blueCluster); err != nil {
		return nil, err
	}
	targetVersion := version
	upgrade := false
	if v := c.form.Get("TargetEngineVersion"); v != "" {
		to := st.resolveVersion(engine, v)
		if to != version {
			if ok, _ := st.validUpgrade(engine, version, to); !ok {
				return nil, fail(codeInvalidParameterCombination, "Cannot upgrade %s from %s to %s: not a valid upgrade target.", engine, version, v)
			}
			targetVersion, upgrade = to, true
		}
	}
	family := ""
	if ev := st.findEngine(engine, targetVersion); ev != nil {
		family = ev.Family
	}
	paramGroup := c.form.Get("TargetDBParameterGroupName")
	if paramGroup != "" {
		g := st.findParameterGroup(paramGroup, false)
		if g == nil {
			return nil, fail(codeParameterGroupNotFound, "DBParameterGroup not found: %s", paramGroup)
		}
		if family != "" && g.Family != family {
			return nil, fail(codeInvalidParameterCombination, "The parameter group %s (family %s) can't be used with %s %s (family %s).", paramGroup, g.Family, engine, targetVersion, family)
		}
	}
	clusterGroup := c.form.Get("TargetDBClusterParameterGroupName")
	if clusterGroup != "" {
		if !isCluster {
			return nil, fail(codeInvalidParameterCombination, "TargetDBClusterParameterGroupName applies only to an Aurora DB cluster source.")
		}
		g := st.findParameterGroup(clusterGroup, true)
		if g == nil {
			return nil, fail(codeClusterParamGroupNotFound, "DBClusterParameterGroup not found: %s", clusterGroup)
		}
		if family != "" && g.Family != family {
			return nil, fail(codeInvalidParameterCombination, "The DB cluster parameter group %s (family %s) can't be used with %s %s (family %s).", clusterGroup, g.Family, engine, targetVersion, family)
		}
	}
	class := c.form.Get("TargetDBInstanceClass")
	if class != "" {
		if isCluster {
			return nil, fail(codeInvalidParameterCombination, "TargetDBInstanceClass is not supported for an Aurora DB cluster source.")
		}
		if !classPattern().MatchString(class) {
			return nil, fail(codeInvalidParameterValue, "Invalid DB instance class: %s", class)
		}
	}
	if _, _, err := boolParam(c.form, "UpgradeTargetStorageConfig"); err != nil {
		return nil, err
	}
	storage, serr := targetStorageParams(c.form, isCluster) // storage_options.go
	if serr != nil {
		return nil, serr
	}
	// The proxy regimes (design.md §2): legacy refuses while the source is
	// a proxy target; native support never covers a global cluster.
	if proxies := st.registeredProxies(sourceRes); len(proxies) > 0 {
		global := blueCluster != nil && blueCluster.GlobalClusterID != ""
		if st.Regime == RegimeLegacy || global {
			return nil, s.legacyRefusal(blueInstance, blueCluster, proxies[0], global)
		}
	}
	if denied := s.iamDependentsDenied(c.op, &Deployment{Cluster: isCluster, SourceResourceID: sourceRes}, false); denied != nil {
		return nil, denied // iam.go: green's creation, as the caller
	}

	d := &Deployment{ID: "bgd-" + s.randLower(16), Name: name, Cluster: isCluster, SourceResourceID: sourceRes,
		Status: bgProvisioning, CreateTime: c.now, TargetParamGroup: paramGroup, TargetClusterGroup: clusterGroup,
		TargetClass: class, TargetStorage: storage, Tags: map[string]string{}}
	if upgrade {
		d.TargetEngineVersion = targetVersion
	}
	for i := 1; ; i++ {
		k := c.form.Get("Tags.Tag." + strconv.Itoa(i) + ".Key")
		if k == "" {
			break
		}
		d.Tags[k] = c.form.Get("Tags.Tag." + strconv.Itoa(i) + ".Value")
	}
	var steps []taskStep
	if isCluster {
		steps = s.auroraTasks(d, blueCluster, upgrade)
	} else {
		steps = s.instanceTasks(d, blueInstance, upgrade)
	}
	for _, t := range steps {
		d.Tasks = append(d.Tasks, Task{Name: t.name, Status: taskPending})
	}
	st.Deployments = append(st.Deployments, d)
	s.deploymentsCreated++
	s.schedule(c.now.Add(s.timings.ProvisioningStart), func(at time.Time) { s.runTask(d, steps, 0, at) })
	s.armCreationFailure(d, steps, c.now)
	if f, ok := s.takeModelFault(func(f Fault) bool { return f.GreenInvalidAfterMS > 0 }); ok {
		s.schedule(c.now.Add(time.Duration(f.GreenInvalidAfterMS)*time.Millisecond), func(time.Time) {
			if d.Status == bgProvisioning || d.Status == bgAvailable {
				d.Status = bgInvalidConfiguration
				d.StatusDetails = "Replication from the blue environment stopped: the green environment was changed outside the blue/green deployment (injected fault). Delete this deployment and create a new one."
			}
		})
	}
	return deploymentResult{BlueGreenDeployment: s.xmlDeployment(d)}, nil
}

func (s *Simulator) legacyRefusal(in *Instance, cl *Cluster, p *Proxy, global bool) *apiError {
	code := s.opts.LegacyProxyRefusalCode
	kind, id := "DB instance", ""
	if cl != nil {
		kind, id = "DB cluster", cl.ID
		if code == "" {
			code = "SourceClusterNotSupportedFault"
		}
	} else {
		id = in.ID
		if code == "" {
			code = "SourceDatabaseNotSupportedFault"
		}
	}
	why := "Blue/green deployments don't support a source registered with RDS Proxy"
	if global {
		why = "Blue/green deployments don't support RDS Proxy on a member of an Aurora global database"
	}
	return fail(code, "The source %s %s is registered as a target of RDS Proxy %s. %s: deregister it from the proxy before creating the deployment.", kind, id, p.Name, why)
}

// checkSourceSupported applies the creation prerequisites of rds-facts
// §5.2 that the model can see.
func (s *Simulator) checkSourceSupported(in *Instance, cl *Cluster) *apiError {
	if cl != nil {
		if cl.Status != "available" {
			return fail(codeInvalidClusterState, "DB cluster %s is not in available state (%s).", cl.ID, cl.Status)
		}
		for _, m := range s.st.members(cl) {
			if m.Status != "available" {
				return fail(codeInvalidClusterState, "DB instance %s of DB cluster %s is not in available state (%s).", m.ID, cl.ID, m.Status)
			}
		}
		if cl.ManagedMasterSecret {
			return fail("SourceClusterNotSupportedFault", "DB cluster %s manages its master password in AWS Secrets Manager, which blue/green deployments don't support.", cl.ID)
		}
		if !strings.HasPrefix(cl.Engine, "aurora") {
			return fail("SourceClusterNotSupportedFault", "Blue/green deployments don't support Multi-AZ DB clusters (%s).", cl.ID)
		}
		return nil
	}
	switch {
	case in.ClusterResourceID != "":
		return fail("SourceDatabaseNotSupportedFault", "DB instance %s is a member of an Aurora DB cluster: use the DB cluster ARN as Source.", in.ID)
	case in.ReplicaOf != "":
		return fail("SourceDatabaseNotSupportedFault", "DB instance %s is a read replica; a blue/green deployment starts from the primary.", in.ID)
	case in.Status != "available":
		return fail(codeInvalidInstanceState, "DB instance %s is not in available state (%s).", in.ID, in.Status)
	case in.BackupRetentionDays == 0:
		return fail("SourceDatabaseNotSupportedFault", "DB instance %s has automated backups turned off; blue/green deployments need them.", in.ID)
	case in.ManagedMasterSecret:
		return fail("SourceDatabaseNotSupportedFault", "DB instance %s manages its master password in AWS Secrets Manager, which blue/green deployments don't support.", in.ID)
	case in.ParameterApplyStatus != "" && in.ParameterApplyStatus != "in-sync":
		return fail(codeInvalidInstanceState, "The parameter group of DB instance %s is %s; reboot it so that it is in-sync before creating a blue/green deployment.", in.ID, in.ParameterApplyStatus)
	}
	switch in.Engine {
	case "postgres", "mysql", "mariadb":
		return nil
	}
	return fail("SourceDatabaseNotSupportedFault", "Blue/green deployments don't support engine %s.", in.Engine)
}

// ---- provisioning ----

// taskStep is one task of the provisioning chain.
type taskStep struct {
	name  string
	dur   time.Duration
	start func(at time.Time)
	done  func(at time.Time)
}

// runTask starts task i and schedules its completion and the next task.
func (s *Simulator) runTask(d *Deployment, steps []taskStep, i int, at time.Time) {
	if d.Status == bgDeleting || d.creationFailed || s.st.findDeployment(d.ID) != d {
		return
	}
	d.Tasks[i].Status = taskInProgress
	steps[i].start(at)
	s.schedule(at.Add(steps[i].dur), func(done time.Time) {
		if d.Status == bgDeleting || d.creationFailed || s.st.findDeployment(d.ID) != d {
			return
		}
		d.Tasks[i].Status = taskCompleted
		steps[i].done(done)
		if i+1 < len(steps) {
			s.runTask(d, steps, i+1, done)
			return
		}
		if d.Status == bgProvisioning {
			d.Status = bgAvailable
			for _, m := range d.Members {
				m.Status = bgAvailable
			}
			s.emitDeployment(done, d, "RDS-EVENT-0244", "creation", "Blue/green deployment tasks completed: the green environment can be changed further or switched over.")
		}
	})
}

func noop(time.Time) {}

// greenName is <name>-green-<6 lowercase alnum>, unique in the account.
func (s *Simulator) greenName(blue string) string {
	for {
		n := blue + "-green-" + s.randLower(6)
		if s.st.findInstance(n) == nil && s.st.findCluster(n) == nil {
			return n
		}
	}
}

// greenGroup is the parameter group a green resource gets at version:
// the requested one, else blue's when its family fits, else the family
// default.
func (st *State) greenGroup(requested, blue, engine, version string, cluster bool) string {
	if requested != "" {
		return requested
	}
	ev := st.findEngine(engine, version)
	if g := st.findParameterGroup(blue, cluster); g != nil && ev != nil && g.Family != ev.Family {
		return "default." + ev.Family
	}
	return blue
}

func (s *Simulator) cloneInstance(blue *Instance, at time.Time) *Instance {
	green := *blue
	green.ID = s.greenName(blue.ID)
	green.ResourceID = s.newInstanceResourceID()
	green.Status = "creating"
	green.CreateTime = at
	green.DeletionProtection = false
	green.PendingEngineVersion = ""
	green.ReplicaOf = ""
	green.ClusterResourceID = ""
	green.ReadOnly = true // green is read-only by default (rds-facts §4.1)
	s.emitInstance(at, green.ID, "RDS-EVENT-0005", "creation", "DB instance created")
	g := &green
	s.inheritTags(blue, g) // iam.go
	return g
}

func (s *Simulator) instanceTasks(d *Deployment, blue *Instance, upgrade bool) []taskStep {
	st := s.st
	replicas := st.replicas(blue)
	primary := &Member{Kind: "instance", Source: blue.ResourceID, Status: bgProvisioning}
	d.Members = append(d.Members, primary)
	replicaMembers := map[*Instance]*Member{}
	for _, r := range replicas {
		m := &Member{Kind: "instance", Source: r.ResourceID, Status: bgProvisioning}
		replicaMembers[r] = m
		d.Members = append(d.Members, m)
	}
	var green *Instance
	steps := []taskStep{{name: taskCreateReplica, dur: s.timings.ReplicaCreate,
		start: func(at time.Time) {
			green = s.cloneInstance(blue, at)
			if d.TargetClass != "" {
				green.Class = d.TargetClass
			}
			d.TargetStorage.apply(green)
			if !upgrade && d.TargetParamGroup != "" {
				green.ParameterGroup = d.TargetParamGroup
			}
			st.Instances = append(st.Instances, green)
			primary.Target = green.ResourceID
			d.TargetResourceID = green.ResourceID
		},
		done: func(time.Time) { setStatus(green, "creating", "available") },
	}}
	if upgrade {
		steps = append(steps, taskStep{name: taskEngineUpgrade, dur: s.timings.EngineUpgrade,
			start: func(time.Time) { setStatus(green, "available", "upgrading") },
			done: func(time.Time) {
				if st.instanceByResource(green.ResourceID) == nil {
					return
				}
				green.ParameterGroup = st.greenGroup(d.TargetParamGroup, green.ParameterGroup, green.Engine, d.TargetEngineVersion, false)
				green.EngineVersion = d.TargetEngineVersion
				setStatus(green, "upgrading", "available")
			}})
	}
	steps = append(steps, taskStep{name: taskConfigureBackups, dur: s.timings.ConfigureBackups,
		start: func(time.Time) { setStatus(green, "available", "backing-up") },
		done:  func(time.Time) { setStatus(green, "backing-up", "available") }})
	if len(replicas) > 0 {
		var greens []*Instance
		steps = append(steps, taskStep{name: taskCreateTopology, dur: s.timings.CreateTopology,
			start: func(at time.Time) {
				if st.instanceByResource(green.ResourceID) == nil {
					return
				}
				for _, r := range replicas {
					if st.instanceByResource(r.ResourceID) == nil {
						continue
					}
					gr := s.cloneInstance(r, at)
					gr.ReplicaOf = green.ResourceID
					gr.EngineVersion = green.EngineVersion
					gr.ParameterGroup = green.ParameterGroup
					st.Instances = append(st.Instances, gr)
					replicaMembers[r].Target = gr.ResourceID
					greens = append(greens, gr)
				}
			},
			done: func(time.Time) {
				for _, gr := range greens {
					setStatus(gr, "creating", "available")
				}
			}})
	}
	return steps
}

// setStatus moves a resource from one status to the next only if it is
// still in the expected one: a test or another call may have moved it.
func setStatus(in *Instance, from, to string) {
	if in != nil && in.Status == from {
		in.Status = to
	}
}

func (s *Simulator) auroraTasks(d *Deployment, blue *Cluster, upgrade bool) []taskStep {
	st := s.st
	clusterMember := &Member{Kind: "cluster", Source: blue.ResourceID, Status: bgProvisioning}
	d.Members = append(d.Members, clusterMember)
	blueInstances := st.members(blue)
	instanceMembers := make([]*Member, len(blueInstances))
	for i, in := range blueInstances {
		instanceMembers[i] = &Member{Kind: "instance", Source: in.ResourceID, Status: bgProvisioning}
		d.Members = append(d.Members, instanceMembers[i])
	}
	var endpointMembers []*Member
	for i := range blue.CustomEndpoints {
		m := &Member{Kind: "endpoint", Source: blue.ResourceID, EndpointIndex: i, Status: bgProvisioning}
		endpointMembers = append(endpointMembers, m)
		d.Members = append(d.Members, m)
	}
	var green *Cluster
	steps := []taskStep{{name: taskCreateReplica, dur: s.timings.auroraReplicaCreate(),
		start: func(at time.Time) {
			g := *blue
			g.ID = s.greenName(blue.ID)
			g.ResourceID = s.newClusterResourceID()
			g.Status = "creating"
			g.CreateTime = at
			g.DeletionProtection = false
			g.CustomEndpoints = nil
			g.ReadOnly = true
			if !upgrade && d.TargetClusterGroup != "" {
				g.ParameterGroup = d.TargetClusterGroup
			}
			green = &g
			s.inheritTags(blue, green) // iam.go
			st.Clusters = append(st.Clusters, green)
			s.emitCluster(at, green.ID, "RDS-EVENT-0170", "creation", "DB cluster created")
			clusterMember.Target = green.ResourceID
			for _, m := range endpointMembers {
				m.Target = green.ResourceID
			}
			d.TargetResourceID = green.ResourceID
		},
		done: func(time.Time) {
			if green.Status == "creating" {
				green.Status = "available"
			}
		}}}
	if upgrade {
		steps = append(steps, taskStep{name: taskEngineUpgrade, dur: s.timings.auroraEngineUpgrade(),
			start: func(time.Time) {
				if green.Status == "available" {
					green.Status = "upgrading"
				}
			},
			done: func(time.Time) {
				green.ParameterGroup = st.greenGroup(d.TargetClusterGroup, green.ParameterGroup, green.Engine, d.TargetEngineVersion, true)
				green.EngineVersion = d.TargetEngineVersion
				if green.Status == "upgrading" {
					green.Status = "available"
				}
			}})
	}
	var greens []*Instance
	steps = append(steps, taskStep{name: taskCreateClusterInstance, dur: s.timings.CreateClusterInstances,
		start: func(at time.Time) {
			if st.clusterByResource(green.ResourceID) == nil {
				return
			}
			for i, in := range blueInstances {
				if st.instanceByResource(in.ResourceID) == nil {
					continue
				}
				gi := s.cloneInstance(in, at)
				gi.ClusterResourceID = green.ResourceID
				gi.EngineVersion = green.EngineVersion
				gi.ParameterGroup = st.greenGroup(d.TargetParamGroup, in.ParameterGroup, in.Engine, green.EngineVersion, false)
				st.Instances = append(st.Instances, gi)
				instanceMembers[i].Target = gi.ResourceID
				greens = append(greens, gi)
			}
		},
		done: func(time.Time) {
			for _, gi := range greens {
				setStatus(gi, "creating", "available")
			}
		}})
	if len(blue.CustomEndpoints) > 0 {
		steps = append(steps, taskStep{name: taskCreateCustomEndpoints, dur: s.timings.CreateCustomEndpoints,
			start: noop,
			done: func(time.Time) {
				if st.clusterByResource(green.ResourceID) == nil {
					return
				}
				for _, ep := range blue.CustomEndpoints {
					green.CustomEndpoints = append(green.CustomEndpoints, s.greenName(ep))
				}
			}})
	}
	return steps
}

// ---- describe ----

func (s *Simulator) describeBlueGreenDeployments(c *call) (any, *apiError) {
	id := c.form.Get("BlueGreenDeploymentIdentifier")
	f, ferr := filtersFor(c.form, "blue-green-deployment-identifier", "blue-green-deployment-name", "source", "target")
	if ferr != nil {
		return nil, ferr
	}
	var items []xmlDeployment
	for _, d := range s.st.Deployments {
		if id != "" && !strings.EqualFold(d.ID, id) {
			continue
		}
		x := s.xmlDeployment(d)
		if v, ok := f["blue-green-deployment-identifier"]; ok && !matchesAny(d.ID, v) {
			continue
		}
		if v, ok := f["blue-green-deployment-name"]; ok && !matchesAny(d.Name, v) {
			continue
		}
		if v, ok := f["source"]; ok && !matchesAny(x.Source, v) {
			continue
		}
		if v, ok := f["target"]; ok && !matchesAny(x.Target, v) {
			continue
		}
		items = append(items, x)
	}
	if id != "" && len(items) == 0 {
		return nil, fail(codeDeploymentNotFound, "BlueGreenDeployment %s not found.", id)
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r deploymentsResult
	r.BlueGreenDeployments.Items = page
	r.Marker = marker
	return r, nil
}

// ---- switchover ----

func (s *Simulator) switchoverBlueGreenDeployment(c *call) (any, *apiError) {
	id := c.form.Get("BlueGreenDeploymentIdentifier")
	if id == "" {
		return nil, missing("BlueGreenDeploymentIdentifier")
	}
	d := s.st.findDeployment(id)
	if d == nil {
		return nil, fail(codeDeploymentNotFound, "BlueGreenDeployment %s not found.", id)
	}
	timeout := 300 * time.Second
	if v := c.form.Get("SwitchoverTimeout"); v != "" {
		n, err := strconv.Atoi(v)
		// 30 is the API model's minimum; 3600 the user guides' maximum
		// (rds-facts §1.3: only the guides state it; the simulator keeps it).
		if err != nil || n < 30 || n > 3600 {
			return nil, fail(codeInvalidParameterValue, "SwitchoverTimeout must be between 30 and 3600 seconds, got %s.", v)
		}
		timeout = time.Duration(n) * time.Second
	}
	if d.Status != bgAvailable {
		return nil, fail(codeInvalidDeploymentState, "Blue/green deployment %s is %s; it must be AVAILABLE to switch over.", d.ID, d.Status)
	}
	if err := s.checkSwitchoverReady(d); err != nil {
		return nil, err
	}
	if err := s.proxyGuardrail(d); err != nil {
		return nil, err
	}
	if denied := s.iamDependentsDenied(c.op, d, false); denied != nil {
		return nil, denied // iam.go: the renames and the promotion, as the caller
	}
	d.Status = bgSwitchoverInProgress
	d.StatusDetails = ""
	for _, m := range d.Members {
		m.Status = bgSwitchoverInProgress
	}
	s.emitSwitchover(c.now, d, "started", s.switchoverMembers(d), "")
	mode := ""
	if f, ok := s.takeModelFault(func(f Fault) bool { return f.Switchover != "" }); ok {
		mode = f.Switchover
	}
	if s.timings.Switchover > timeout {
		mode = "timeout"
	}
	result := deploymentResult{BlueGreenDeployment: s.xmlDeployment(d)}
	switch mode {
	case "fail":
		s.scheduleRollback(d, c.now.Add(s.timings.Switchover/2), "Switchover failed: a switchover guardrail found replication from blue to green unhealthy (injected fault). All changes were rolled back.")
	case "timeout":
		end := s.timings.Switchover
		if timeout < end {
			end = timeout
		}
		s.scheduleRollback(d, c.now.Add(end), fmt.Sprintf("Switchover didn't finish within the switchover timeout of %d seconds. All changes were rolled back.", int(timeout/time.Second)))
	default:
		renameAt := c.now.Add(s.timings.Switchover - s.timings.Rename)
		s.schedule(renameAt, func(time.Time) {
			for _, in := range s.switchoverInstances(d) {
				in.Status = "renaming"
			}
		})
		s.schedule(c.now.Add(s.timings.Switchover), func(at time.Time) { s.completeSwitchover(d, at) })
	}
	return result, nil
}

// checkSwitchoverReady refuses when a member is missing or not available,
// as Terraform sees in practice (rds-facts §1.3).
func (s *Simulator) checkSwitchoverReady(d *Deployment) *apiError {
	for _, m := range d.Members {
		src, tgt, srcGone, tgtGone := s.memberARNs(m)
		if srcGone || tgtGone || m.Target == "" {
			return fail(codeInvalidDeploymentState, "Blue/green deployment %s can't switch over: member %s has no counterpart (%s).", d.ID, src, tgt)
		}
		if m.Kind == "endpoint" {
			continue
		}
		for _, res := range []string{m.Source, m.Target} {
			if in := s.st.instanceByResource(res); in != nil && in.Status != "available" {
				return fail(codeInvalidDeploymentState, "DB instance %s is not in available state", in.ID)
			}
			if cl := s.st.clusterByResource(res); cl != nil && cl.Status != "available" {
				return fail(codeInvalidDeploymentState, "DB cluster %s is not in available state", cl.ID)
			}
		}
	}
	return nil
}

// switchoverInstances are the instances of both environments.
func (s *Simulator) switchoverInstances(d *Deployment) []*Instance {
	var out []*Instance
	for _, m := range d.Members {
		if m.Kind != "instance" {
			continue
		}
		for _, res := range []string{m.Source, m.Target} {
			if in := s.st.instanceByResource(res); in != nil {
				out = append(out, in)
			}
		}
	}
	return out
}

func (s *Simulator) scheduleRollback(d *Deployment, failAt time.Time, details string) {
	s.schedule(failAt, func(at time.Time) {
		if d.Status != bgSwitchoverInProgress {
			return
		}
		d.Status = bgSwitchoverFailed
		d.StatusDetails = details
		for _, m := range d.Members {
			m.Status = bgSwitchoverFailed
		}
		s.emitSwitchover(at, d, "canceled", s.switchoverMembers(d), details)
		s.schedule(at.Add(s.timings.Rollback), func(time.Time) {
			if d.Status != bgSwitchoverFailed {
				return
			}
			d.Status = bgAvailable
			for _, m := range d.Members {
				m.Status = bgAvailable
			}
		})
	})
}

// completeSwitchover renames: green takes blue's names and blue becomes
// <name>-oldN with the first N free for every member (rds-facts §4.3–4.4).
// Resource ids stay with their resources, so Source (blue's resource) now
// reads -oldN and Target the production name.
func (s *Simulator) completeSwitchover(d *Deployment, at time.Time) {
	st := s.st
	if d.Status != bgSwitchoverInProgress {
		return
	}
	members := s.switchoverMembers(d) // names before the renames, for the events
	n := 1
	for ; ; n++ {
		taken := false
		for _, m := range d.Members {
			suffix := "-old" + strconv.Itoa(n)
			switch m.Kind {
			case "instance":
				if in := st.instanceByResource(m.Source); in != nil && st.findInstance(in.ID+suffix) != nil {
					taken = true
				}
			case "cluster":
				if cl := st.clusterByResource(m.Source); cl != nil && st.findCluster(cl.ID+suffix) != nil {
					taken = true
				}
			case "endpoint":
				if cl := st.clusterByResource(m.Source); cl != nil && m.EndpointIndex < len(cl.CustomEndpoints) && st.endpointExists(cl.CustomEndpoints[m.EndpointIndex]+suffix) {
					taken = true
				}
			}
		}
		if !taken {
			break
		}
	}
	suffix := "-old" + strconv.Itoa(n)
	for _, m := range d.Members {
		switch m.Kind {
		case "instance":
			blue, green := st.instanceByResource(m.Source), st.instanceByResource(m.Target)
			if blue == nil || green == nil {
				continue
			}
			name := blue.ID
			blue.ID, green.ID = name+suffix, name
			blue.ReadOnly, green.ReadOnly = true, false
			s.switchoverTags(blue, green) // iam.go
		case "cluster":
			blue, green := st.clusterByResource(m.Source), st.clusterByResource(m.Target)
			if blue == nil || green == nil {
				continue
			}
			name := blue.ID
			blue.ID, green.ID = name+suffix, name
			blue.ReadOnly, green.ReadOnly = true, false
			s.switchoverTags(blue, green) // iam.go
		case "endpoint":
			blue, green := st.clusterByResource(m.Source), st.clusterByResource(m.Target)
			if blue == nil || green == nil || m.EndpointIndex >= len(blue.CustomEndpoints) || m.EndpointIndex >= len(green.CustomEndpoints) {
				continue
			}
			name := blue.CustomEndpoints[m.EndpointIndex]
			blue.CustomEndpoints[m.EndpointIndex], green.CustomEndpoints[m.EndpointIndex] = name+suffix, name
		}
		m.Status = bgSwitchoverCompleted
	}
	for _, in := range s.switchoverInstances(d) {
		setStatus(in, "renaming", "available")
	}
	d.Status = bgSwitchoverCompleted
	for i := range members {
		members[i].old = members[i].blue + suffix
	}
	s.emitSwitchover(at, d, "completed", members, "")
	if st.nativeCovers(d.SourceResourceID) {
		s.proxiesFollow(d, at)
	}
}

// proxiesFollow moves every proxy registration of blue's top-level
// resource to green's, which now carries the production name: the native
// regime shows the new primary briefly UNAVAILABLE, then AVAILABLE.
func (s *Simulator) proxiesFollow(d *Deployment, at time.Time) {
	for _, p := range s.st.Proxies {
		for _, r := range p.Targets {
			if r.ResourceID == d.SourceResourceID && d.TargetResourceID != "" {
				r.ResourceID = d.TargetResourceID
				r.RegisteringUntil = at
				r.AvailableAt = at.Add(s.timings.ProxyFollow)
				s.dropClients(p, at) // the proxy drops its clients at promotion (connection_drops.go)
			}
		}
	}
}

func (st *State) endpointExists(name string) bool {
	for _, c := range st.Clusters {
		for _, ep := range c.CustomEndpoints {
			if strings.EqualFold(ep, name) {
				return true
			}
		}
	}
	return false
}

// ---- delete ----

func (s *Simulator) deleteBlueGreenDeployment(c *call) (any, *apiError) {
	id := c.form.Get("BlueGreenDeploymentIdentifier")
	if id == "" {
		return nil, missing("BlueGreenDeploymentIdentifier")
	}
	d := s.st.findDeployment(id)
	if d == nil {
		return nil, fail(codeDeploymentNotFound, "BlueGreenDeployment %s not found.", id)
	}
	deleteTarget, _, err := boolParam(c.form, "DeleteTarget")
	if err != nil {
		return nil, err
	}
	switch d.Status {
	case bgDeleting:
		return nil, fail(codeInvalidDeploymentState, "Blue/green deployment %s is already being deleted.", d.ID)
	case bgSwitchoverInProgress:
		return nil, fail(codeInvalidDeploymentState, "Blue/green deployment %s can't be deleted during a switchover.", d.ID)
	case bgSwitchoverCompleted:
		if deleteTarget {
			return nil, fail(codeInvalidDeploymentState, "DeleteTarget can't be used after the switchover of blue/green deployment %s has completed: the target is now production.", d.ID)
		}
	}
	if deleteTarget {
		for _, res := range s.greenResources(d) {
			if in := s.st.instanceByResource(res); in != nil && in.DeletionProtection {
				return nil, fail(codeInvalidDeploymentState, "Green DB instance %s has deletion protection turned on; turn it off before deleting the target.", in.ID)
			}
			if cl := s.st.clusterByResource(res); cl != nil && cl.DeletionProtection {
				return nil, fail(codeInvalidDeploymentState, "Green DB cluster %s has deletion protection turned on; turn it off before deleting the target.", cl.ID)
			}
		}
	}
	if denied := s.iamDependentsDenied(c.op, d, deleteTarget); denied != nil {
		return nil, denied // iam.go: green's deletion, as the caller
	}
	wasProvisioning := d.Status == bgProvisioning
	if d.Status == bgSwitchoverCompleted && d.Cluster {
		// Aurora: deleting the deployment lifts the read-only guard on the
		// old blue cluster (rds-facts §4.5); RDS keeps read_only set.
		s.liftOldBlueGuard(d)
	}
	d.Status = bgDeleting
	d.DeleteTime = c.now
	if deleteTarget {
		for _, res := range s.greenResources(d) {
			if in := s.st.instanceByResource(res); in != nil && in.Status != "deleting" {
				s.startInstanceDelete(in, c.now)
			}
			if cl := s.st.clusterByResource(res); cl != nil && cl.Status != "deleting" {
				s.startClusterDelete(cl, c.now)
			}
		}
	} else if wasProvisioning {
		// Green left behind mid-build: what exists of it settles.
		for _, res := range s.greenResources(d) {
			if in := s.st.instanceByResource(res); in != nil && in.Status != "available" {
				in.Status = "available"
			}
			if cl := s.st.clusterByResource(res); cl != nil && cl.Status != "available" {
				cl.Status = "available"
			}
		}
	}
	result := deploymentResult{BlueGreenDeployment: s.xmlDeployment(d)}
	s.schedule(c.now.Add(s.timings.DeploymentDelete), func(at time.Time) {
		s.st.removeDeployment(d)
		s.emitDeployment(at, d, "RDS-EVENT-0246", "deletion", "Blue/green deployment deleted.")
	})
	return result, nil
}

// greenResources lists the resource ids of green's instances and cluster.
func (s *Simulator) greenResources(d *Deployment) []string {
	var out []string
	for _, m := range d.Members {
		if m.Kind != "endpoint" && m.Target != "" {
			out = append(out, m.Target)
		}
	}
	return out
}
