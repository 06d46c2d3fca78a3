package sim

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	rdsVersion   = "2014-10-31"
	rdsNamespace = "http://rds.amazonaws.com/doc/2014-10-31/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// call is one request being served: the form, the time it is served at
// and the request id it is answered with.
type call struct {
	op    string
	form  url.Values
	now   time.Time
	reqID string
}

// handler serves one operation under the lock. It returns the value to put
// inside <OpResult> (nil ⇒ an empty result) or an error.
type handler func(s *Simulator, c *call) (any, *apiError)

// operation describes one supported action.
type operation struct {
	serve    handler
	mutating bool
	// target names the main identifier a mutation acts on, for the log.
	target func(form url.Values) string
	sts    bool
	// noOutput: the model gives the operation no output shape, so its
	// response has no <OpResult> element at all (AddTagsToResource,
	// RemoveTagsFromResource).
	noOutput bool
}

func param(name string) func(url.Values) string {
	return func(f url.Values) string { return f.Get(name) }
}

func operations() map[string]operation {
	return map[string]operation{
		"DescribeDBInstances":           {serve: (*Simulator).describeDBInstances},
		"DescribeDBClusters":            {serve: (*Simulator).describeDBClusters},
		"ModifyDBInstance":              {serve: (*Simulator).modifyDBInstance, mutating: true, target: param("DBInstanceIdentifier")},
		"ModifyDBCluster":               {serve: (*Simulator).modifyDBCluster, mutating: true, target: param("DBClusterIdentifier")},
		"DeleteDBInstance":              {serve: (*Simulator).deleteDBInstance, mutating: true, target: param("DBInstanceIdentifier")},
		"DeleteDBCluster":               {serve: (*Simulator).deleteDBCluster, mutating: true, target: param("DBClusterIdentifier")},
		"CreateDBSnapshot":              {serve: (*Simulator).createDBSnapshot, mutating: true, target: param("DBInstanceIdentifier")},
		"DescribeDBSnapshots":           {serve: (*Simulator).describeDBSnapshots},
		"CreateDBClusterSnapshot":       {serve: (*Simulator).createDBClusterSnapshot, mutating: true, target: param("DBClusterIdentifier")},
		"DescribeDBClusterSnapshots":    {serve: (*Simulator).describeDBClusterSnapshots},
		"DescribeDBProxies":             {serve: (*Simulator).describeDBProxies},
		"DescribeDBProxyTargetGroups":   {serve: (*Simulator).describeDBProxyTargetGroups},
		"DescribeDBProxyTargets":        {serve: (*Simulator).describeDBProxyTargets},
		"RegisterDBProxyTargets":        {serve: (*Simulator).registerDBProxyTargets, mutating: true, target: param("DBProxyName")},
		"DeregisterDBProxyTargets":      {serve: (*Simulator).deregisterDBProxyTargets, mutating: true, target: param("DBProxyName")},
		"CreateBlueGreenDeployment":     {serve: (*Simulator).createBlueGreenDeployment, mutating: true, target: param("Source")},
		"DescribeBlueGreenDeployments":  {serve: (*Simulator).describeBlueGreenDeployments},
		"SwitchoverBlueGreenDeployment": {serve: (*Simulator).switchoverBlueGreenDeployment, mutating: true, target: param("BlueGreenDeploymentIdentifier")},
		"DeleteBlueGreenDeployment":     {serve: (*Simulator).deleteBlueGreenDeployment, mutating: true, target: param("BlueGreenDeploymentIdentifier")},
		"DescribeDBEngineVersions":      {serve: (*Simulator).describeDBEngineVersions},
		"DescribeDBParameters":          {serve: (*Simulator).describeDBParameters},
		"DescribeDBClusterParameters":   {serve: (*Simulator).describeDBClusterParameters},
		"DescribeEvents":                {serve: (*Simulator).describeEvents},
		"AddTagsToResource":             {serve: (*Simulator).addTagsToResource, mutating: true, target: param("ResourceName"), noOutput: true},
		"RemoveTagsFromResource":        {serve: (*Simulator).removeTagsFromResource, mutating: true, target: param("ResourceName"), noOutput: true},
		"ListTagsForResource":           {serve: (*Simulator).listTagsForResource},
		"GetCallerIdentity":             {serve: (*Simulator).getCallerIdentity, sts: true},

		// parameter_groups.go
		"DescribeDBParameterGroups":        {serve: (*Simulator).describeDBParameterGroups},
		"DescribeDBClusterParameterGroups": {serve: (*Simulator).describeDBClusterParameterGroups},
	}
}

// OperationNames lists the actions the simulator serves (RDS and STS;
// CloudWatch's GetMetricData is served apart): every one rdsbg calls.
func OperationNames() []string {
	var out []string
	for name := range operations() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// StatsPath is the debug endpoint that answers Stats as JSON. It is not an
// AWS path, so no AWS client ever reaches it by accident.
const StatsPath = "/_sim/stats"

// ServeHTTP answers one awsQuery request (CloudWatch: rpcv2-cbor, see
// metrics.go). SigV4 is not checked.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.fleet != nil {
		s.serveFleet(w, r) // fleet.go
		return
	}
	if strings.HasPrefix(r.URL.Path, cloudWatchPathPrefix) {
		s.serveCloudWatch(w, r)
		return
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), secretsTargetPrefix) {
		s.serveSecretsManager(w, r) // awsJson1.1 (secretsmanager.go)
		return
	}
	if r.URL.Path == StatsPath && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
		return
	}
	if r.URL.Path == FaultsPath {
		s.serveFaults(w, r)
		return
	}
	if r.URL.Path == ReadOnlyPath && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.ReadOnly())
		return
	}
	if err := r.ParseForm(); err != nil {
		s.mu.Lock()
		reqID := s.newRequestID()
		s.mu.Unlock()
		writeError(w, reqID, fail("MalformedQueryString", "cannot parse the request: %v", err))
		return
	}
	op := r.Form.Get("Action")

	s.mu.Lock()
	s.calls[op]++
	s.totalCalls++
	reqID := s.newRequestID()
	latency, injected := s.callFaultsLocked(op)
	s.mu.Unlock()

	// Latency is slept outside the lock so a real or scaled clock does not
	// stall other callers; on a virtual clock it just moves time forward.
	if latency > 0 {
		if err := s.clock.Sleep(r.Context(), latency); err != nil && err != context.Canceled {
			writeError(w, reqID, fail("RequestTimeout", "request abandoned: %v", err))
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)

	if injected != nil {
		writeError(w, reqID, injected)
		return
	}
	desc, ok := s.ops[op]
	if !ok {
		if op == "" {
			// AWS's common errors: MissingAction, HTTP 400.
			writeError(w, reqID, fail("MissingAction", "The request must contain the parameter Action."))
		} else {
			writeError(w, reqID, fail("InvalidAction", "The action %s is not valid for this web service.", op))
		}
		return
	}
	if denied := s.iamRequestDenied(op, r.Form); denied != nil { // iam.go
		writeError(w, reqID, denied)
		return
	}
	c := &call{op: op, form: r.Form, now: now, reqID: reqID}
	result, apiErr := desc.serve(s, c)
	s.observeLocked(now)
	if apiErr != nil {
		writeError(w, reqID, apiErr)
		return
	}
	if desc.mutating {
		s.mutations = append(s.mutations, Mutation{Time: now, Operation: op, Target: desc.target(r.Form), RequestID: reqID})
	}
	s.accepted[op]++
	ns := rdsNamespace
	if desc.sts {
		ns = stsNamespace
	}
	writeResult(w, reqID, op, ns, result, !desc.noOutput)
}

// writeResult sends <OpResponse><OpResult>…</OpResult><ResponseMetadata>…
// (without <OpResult> when the operation has no output). The SDK reads the
// request id of a success from the header only.
func writeResult(w http.ResponseWriter, reqID, op, ns string, result any, hasOutput bool) {
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, op, ns)
	if !hasOutput {
		// nothing between the response element and its metadata
	} else if result == nil {
		fmt.Fprintf(&b, "<%sResult/>", op)
	} else {
		enc := xml.NewEncoder(&b)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
			writeError(w, reqID, fail("InternalFailure", "cannot encode the response: %v", err))
			return
		}
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", reqID, op)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     errorBody
	RequestID string `xml:"RequestId"`
}

type errorBody struct {
	Type    string
	Code    string
	Message string
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(errorResponse{Xmlns: rdsNamespace, Error: errorBody{Type: typ, Code: e.Code, Message: e.Message}, RequestID: reqID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

// ---- request helpers ----

// list reads an awsQuery list: Name.member.1, Name.member.2, … (or another
// member element name such as Filter or Value).
func list(form url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		k := prefix + "." + strconv.Itoa(i)
		v, ok := form[k]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// filters reads Filters.Filter.N.Name / Values.Value.M into name → values.
func filters(form url.Values) map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		p := "Filters.Filter." + strconv.Itoa(i)
		name := form.Get(p + ".Name")
		if name == "" {
			return out
		}
		out[name] = append(out[name], list(form, p+".Values.Value")...)
	}
}

func boolParam(form url.Values, name string) (value, set bool, err *apiError) {
	v := form.Get(name)
	if v == "" {
		return false, false, nil
	}
	b, perr := strconv.ParseBool(v)
	if perr != nil {
		return false, true, fail(codeInvalidParameterValue, "Invalid boolean value for %s: %q", name, v)
	}
	return b, true, nil
}

// filtersFor reads the filters of an operation that accepts the named
// ones: any other name is refused as RDS does, InvalidParameterValue
// "Unrecognized filter name" (docs/simulator.md, "Differences fixed").
func filtersFor(form url.Values, allowed ...string) (map[string][]string, *apiError) {
	f := filters(form)
	for name := range f {
		known := false
		for _, a := range allowed {
			if name == a {
				known = true
				break
			}
		}
		if !known {
			return nil, fail(codeInvalidParameterValue, "Unrecognized filter name: %s", name)
		}
	}
	return f, nil
}

// matchesAny compares filter values as RDS does: case-sensitively.
func matchesAny(value string, wanted []string) bool {
	for _, w := range wanted {
		if w == value {
			return true
		}
	}
	return false
}

// paginate applies Marker/MaxRecords (20–100, default 100). The marker is
// the offset of the next item.
func paginate[T any](form url.Values, items []T) ([]T, string, *apiError) {
	max := 100
	if v := form.Get("MaxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 20 || n > 100 {
			return nil, "", fail(codeInvalidParameterValue, "Invalid value %q for MaxRecords: must be between 20 and 100.", v)
		}
		max = n
	}
	start := 0
	if m := form.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", fail(codeInvalidParameterValue, "Invalid Marker %q.", m)
		}
		start = n
	}
	end := start + max
	if end >= len(items) {
		return items[start:], "", nil
	}
	return items[start:end], strconv.Itoa(end), nil
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
