package sim

import (
	"strconv"
	"strings"
	"time"
)

// RDS events (DescribeEvents), as the user guides' event tables list them
// for blue/green deployments and proxies (rds-facts §4.6). Messages are
// paraphrased; the ids and categories are AWS's. docs/simulator.md lists
// which ones the simulator emits and when.

// Source types of DescribeEvents (the SDK's SourceType enum).
const (
	sourceBlueGreen = "blue-green-deployment"
	sourceProxy     = "db-proxy"
	sourceInstance  = "db-instance"
	sourceCluster   = "db-cluster"
)

// rdsEvent is one entry of the account's event stream.
type rdsEvent struct {
	at         time.Time
	sourceID   string
	sourceType string
	sourceARN  string
	id         string // RDS-EVENT-0244 …: EventBridge carries it, DescribeEvents does not
	category   string
	message    string
}

// eventRetention is how far back DescribeEvents reaches (14 days).
const eventRetention = 14 * 24 * time.Hour

func (st *State) deploymentARN(d *Deployment) string {
	return "arn:aws:rds:" + st.Region + ":" + st.Account + ":deployment:" + d.ID
}

// emitDeployment records a blue/green deployment event.
func (s *Simulator) emitDeployment(at time.Time, d *Deployment, id, category, message string) {
	s.rdsEvents = append(s.rdsEvents, rdsEvent{at: at, sourceID: d.ID, sourceType: sourceBlueGreen,
		sourceARN: s.st.deploymentARN(d), id: id, category: category, message: message})
}

// emitProxy records a proxy event.
func (s *Simulator) emitProxy(at time.Time, p *Proxy, id, category, message string) {
	s.rdsEvents = append(s.rdsEvents, rdsEvent{at: at, sourceID: p.Name, sourceType: sourceProxy,
		sourceARN: s.st.proxyARN(p), id: id, category: category, message: message})
}

// emitInstance records a DB instance event (source type db-instance).
// The ids and messages are the RDS user guide's DB instance event table.
func (s *Simulator) emitInstance(at time.Time, id, eventID, category, message string) {
	s.rdsEvents = append(s.rdsEvents, rdsEvent{at: at, sourceID: id, sourceType: sourceInstance,
		sourceARN: s.st.instanceARN(id), id: eventID, category: category, message: message})
}

// emitCluster records a DB cluster event (source type db-cluster).
func (s *Simulator) emitCluster(at time.Time, id, eventID, category, message string) {
	s.rdsEvents = append(s.rdsEvents, rdsEvent{at: at, sourceID: id, sourceType: sourceCluster,
		sourceARN: s.st.clusterARN(id), id: eventID, category: category, message: message})
}

// deploymentNames are blue's and green's top-level names for messages.
func (s *Simulator) deploymentNames(d *Deployment) (blue, green string) {
	return lastARNField(s.st.resourceARN(d.SourceResourceID)), lastARNField(s.st.resourceARN(d.TargetResourceID))
}

func lastARNField(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

type xmlEvent struct {
	SourceIdentifier string
	SourceType       string
	Message          string
	EventCategories  []string `xml:"EventCategories>EventCategory"`
	Date             string
	SourceArn        string
}

type eventsResult struct {
	Events struct {
		Items []xmlEvent `xml:"Event"`
	}
	Marker string `xml:"Marker,omitempty"`
}

var eventSourceTypes = []string{"db-instance", "db-parameter-group", "db-security-group", "db-snapshot", "db-cluster",
	"db-cluster-snapshot", "custom-engine-version", "db-proxy", "blue-green-deployment", "db-shard-group", "zero-etl"}

// describeEvents answers the events of the last Duration minutes (default
// 60) or of [StartTime, EndTime], oldest first, for a source or all.
func (s *Simulator) describeEvents(c *call) (any, *apiError) {
	f := c.form
	if _, err := filtersFor(f); err != nil {
		return nil, err
	}
	sourceID, sourceType := f.Get("SourceIdentifier"), f.Get("SourceType")
	if sourceType != "" {
		known := false
		for _, t := range eventSourceTypes {
			known = known || t == sourceType
		}
		if !known {
			return nil, fail(codeInvalidParameterValue, "Invalid value %q for SourceType.", sourceType)
		}
	}
	if sourceID != "" && sourceType == "" {
		return nil, fail(codeInvalidParameterCombination, "SourceType must be specified together with SourceIdentifier.")
	}
	end := c.now
	start := end.Add(-time.Hour)
	if v := f.Get("Duration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fail(codeInvalidParameterValue, "Invalid value %q for Duration.", v)
		}
		start = end.Add(-time.Duration(n) * time.Minute)
	}
	parse := func(name string) (time.Time, bool, *apiError) {
		v := f.Get(name)
		if v == "" {
			return time.Time{}, false, nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05Z"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t, true, nil
			}
		}
		return time.Time{}, false, fail(codeInvalidParameterValue, "Invalid value %q for %s.", v, name)
	}
	if t, ok, err := parse("StartTime"); err != nil {
		return nil, err
	} else if ok {
		start = t
	}
	if t, ok, err := parse("EndTime"); err != nil {
		return nil, err
	} else if ok {
		end = t
	}
	if oldest := c.now.Add(-eventRetention); start.Before(oldest) {
		start = oldest
	}
	categories := list(f, "EventCategories.EventCategory")
	var items []xmlEvent
	for _, e := range s.rdsEvents {
		if e.at.Before(start) || e.at.After(end) {
			continue
		}
		if sourceType != "" && e.sourceType != sourceType {
			continue
		}
		if sourceID != "" && !strings.EqualFold(e.sourceID, sourceID) && e.sourceARN != sourceID {
			continue
		}
		if len(categories) > 0 && !matchesAny(e.category, categories) {
			continue
		}
		items = append(items, xmlEvent{SourceIdentifier: e.sourceID, SourceType: e.sourceType, Message: e.message,
			EventCategories: []string{e.category}, Date: ts(e.at), SourceArn: e.sourceARN})
	}
	page, marker, err := paginate(f, items)
	if err != nil {
		return nil, err
	}
	var r eventsResult
	r.Events.Items = page
	r.Marker = marker
	return r, nil
}

// EventIDs lists the RDS event ids emitted so far, oldest first, with
// their source: what EventBridge would carry (DescribeEvents has no id).
func (s *Simulator) EventIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.clock.Now())
	out := make([]string, len(s.rdsEvents))
	for i, e := range s.rdsEvents {
		out[i] = e.id + " " + e.sourceID
	}
	return out
}

// Switchover events (the user guides' blue/green event tables, rds-facts
// §4.6): every deployment emits RDS-EVENT-0247/0248/0249 (started,
// completed, canceled); an RDS deployment adds 0250/0251/0252 for each
// primary and read replica, an Aurora deployment 0259/0260/0261 for the
// cluster. The member events of a completion name the renames.
var (
	deploymentSwitchoverEvents = map[string]string{"started": "RDS-EVENT-0247", "completed": "RDS-EVENT-0248", "canceled": "RDS-EVENT-0249"}
	instanceSwitchoverEvents   = map[string]string{"started": "RDS-EVENT-0250", "completed": "RDS-EVENT-0251", "canceled": "RDS-EVENT-0252"}
	clusterSwitchoverEvents    = map[string]string{"started": "RDS-EVENT-0259", "completed": "RDS-EVENT-0260", "canceled": "RDS-EVENT-0261"}
)

// memberNames is one switched member's blue and green names before the
// renames, and blue's name after them ("" until the switchover completes).
type memberNames struct {
	cluster          bool
	blue, green, old string
}

// switchoverMembers are the instance and cluster members' names now.
func (s *Simulator) switchoverMembers(d *Deployment) []memberNames {
	var out []memberNames
	for _, m := range d.Members {
		switch m.Kind {
		case "instance":
			blue, green := s.st.instanceByResource(m.Source), s.st.instanceByResource(m.Target)
			if blue != nil && green != nil {
				out = append(out, memberNames{blue: blue.ID, green: green.ID})
			}
		case "cluster":
			blue, green := s.st.clusterByResource(m.Source), s.st.clusterByResource(m.Target)
			if blue != nil && green != nil {
				out = append(out, memberNames{cluster: true, blue: blue.ID, green: green.ID})
			}
		}
	}
	return out
}

// emitSwitchover records a switchover's start, completion or cancellation
// at both levels. members are the names read before any rename; reason
// ends a cancellation's messages.
func (s *Simulator) emitSwitchover(at time.Time, d *Deployment, phase string, members []memberNames, reason string) {
	category := "notification"
	if phase == "canceled" {
		category = "failure"
	}
	blue, green := "", ""
	if len(members) > 0 {
		blue, green = members[0].blue, members[0].green
		for _, m := range members {
			if m.cluster {
				blue, green = m.blue, m.green
			}
		}
	}
	memberEvent := func(m memberNames) {
		kind, ids := "primary/read replica", instanceSwitchoverEvents
		if m.cluster {
			kind, ids = "DB cluster", clusterSwitchoverEvents
		} else if d.Cluster {
			return // Aurora: the cluster's events stand for its instances
		}
		msg := "Switchover from " + kind + " " + m.blue + " to " + m.green + " "
		switch phase {
		case "started":
			msg += "started."
		case "completed":
			msg += "completed. Renamed " + m.blue + " to " + m.old + " and " + m.green + " to " + m.blue + "."
		case "canceled":
			msg += "was canceled due to: " + reason
		}
		s.emitDeployment(at, d, ids[phase], category, msg)
	}
	switch phase {
	case "started":
		s.emitDeployment(at, d, deploymentSwitchoverEvents[phase], category, "Switchover from "+blue+" to "+green+" started.")
		for _, m := range members {
			memberEvent(m)
		}
	case "completed":
		for _, m := range members {
			memberEvent(m)
		}
		s.emitDeployment(at, d, deploymentSwitchoverEvents[phase], category, "Switchover completed on blue/green deployment "+d.Name+".")
	case "canceled":
		// The members' events carry the reason (AWS's 0249 does not), so
		// they come last: a reader quoting the newest failure quotes it.
		s.emitDeployment(at, d, deploymentSwitchoverEvents[phase], category, "Switchover canceled on blue/green deployment "+d.Name+".")
		for _, m := range members {
			memberEvent(m)
		}
	}
}

// armCreationFailure applies a CreationFail fault to a new deployment: the
// task in progress at that time fails, the deployment turns
// INVALID_CONFIGURATION with the reason, and RDS-EVENT-0245 says why.
func (s *Simulator) armCreationFailure(d *Deployment, steps []taskStep, created time.Time) {
	f, ok := s.takeModelFault(func(f Fault) bool { return f.CreationFail != "" })
	if !ok {
		return
	}
	after := time.Duration(f.CreationFailAfterMS) * time.Millisecond
	if after <= 0 {
		after = s.timings.ProvisioningStart
		if len(steps) > 0 {
			after += steps[0].dur / 2
		}
	}
	s.schedule(created.Add(after), func(at time.Time) {
		if d.Status != bgProvisioning || s.st.findDeployment(d.ID) != d {
			return
		}
		d.creationFailed = true
		for i := range d.Tasks {
			if d.Tasks[i].Status == taskInProgress {
				d.Tasks[i].Status = taskFailed
			}
		}
		d.Status = bgInvalidConfiguration
		d.StatusDetails = "Creation of the green environment failed: " + f.CreationFail
		s.emitDeployment(at, d, "RDS-EVENT-0245", "failure", "Creation of blue/green deployment failed because "+f.CreationFail+".")
	})
}
