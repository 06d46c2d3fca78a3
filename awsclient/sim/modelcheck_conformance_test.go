//go:build conformance

package sim_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// The strict model check: every answer the simulator gives the SDK is
// validated against the AWS CLI's own service model (botocore's
// rds/2014-10-31 and sts/2011-06-15 service-2.json, installed with the
// CLI), element by element. The CLI and the SDK both skip what they do not
// know, so a simulator could drift from AWS without any client noticing;
// this check does not skip: an element the model does not have, a list
// item under the wrong name, a value that is not of its type or enum, a
// Result element an operation does not have, an error code the operation
// does not model (or with another HTTP status) are each a violation.

// botocoreModel is what the check needs of a service-2.json.
type botocoreModel struct {
	Operations map[string]struct {
		Output *struct {
			Shape         string `json:"shape"`
			ResultWrapper string `json:"resultWrapper"`
		} `json:"output"`
		Errors []struct {
			Shape string `json:"shape"`
		} `json:"errors"`
	} `json:"operations"`
	Shapes map[string]modelShape `json:"shapes"`
}

type modelShape struct {
	Type      string                 `json:"type"`
	Members   map[string]modelMember `json:"members"`
	Member    *modelMember           `json:"member"`
	Flattened bool                   `json:"flattened"`
	Enum      []string               `json:"enum"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
	} `json:"error"`
}

type modelMember struct {
	Shape        string `json:"shape"`
	LocationName string `json:"locationName"`
	Flattened    bool   `json:"flattened"`
}

// botocoreDir is where the installed AWS CLI's botocore keeps its models.
func botocoreDir(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "python"} {
		out, err := exec.Command(py, "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
		if err == nil {
			return filepath.Join(strings.TrimSpace(string(out)), "data")
		}
	}
	t.Fatal("botocore (the AWS CLI's model) is not importable by python3: it is on the machine image with the AWS CLI, and .ci/run installs the CLI where it is missing")
	return ""
}

func loadModel(t *testing.T, dir, service, version string) *botocoreModel {
	t.Helper()
	base := filepath.Join(dir, service, version, "service-2.json")
	var r io.Reader
	if f, err := os.Open(base + ".gz"); err == nil {
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	} else if f, err := os.Open(base); err == nil {
		defer f.Close()
		r = f
	} else {
		t.Fatalf("no model at %s(.gz)", base)
	}
	var m botocoreModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("%s: %v", base, err)
	}
	return &m
}

// xmlNode is a parsed answer: element name, children, text.
type xmlNode struct {
	name     string
	children []*xmlNode
	text     string
}

func parseXML(body []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: tk.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
}

// commonErrors are the codes any Query operation may answer besides its
// modeled faults (AWS's "Common Errors"), with their HTTP status.
var commonErrors = map[string]int{
	"AccessDenied": 403, "Throttling": 400, "InvalidParameterValue": 400, "InvalidParameterCombination": 400,
	"MissingParameter": 400, "InvalidAction": 400, "MissingAction": 400, "MalformedQueryString": 404,
	"InternalFailure": 500, "ServiceUnavailable": 503, "RequestTimeout": 408, "ValidationError": 400,
}

// modelCheck validates answers and counts what it checked.
type modelCheck struct {
	models     map[string]*botocoreModel // by the answer's namespace
	elements   int
	violations map[string]int // distinct violation → occurrences
	answered   map[string]int // successful answers per operation
}

func (mc *modelCheck) violate(format string, args ...any) {
	mc.violations[fmt.Sprintf(format, args...)]++
}

// answer checks one response of op.
func (mc *modelCheck) answer(service, op string, status int, body []byte) {
	m := mc.models[service]
	spec, ok := m.Operations[op]
	if !ok {
		mc.violate("%s: not an operation of the %s model", op, service)
		return
	}
	root, err := parseXML(body)
	if err != nil || root == nil {
		if len(bytes.TrimSpace(body)) == 0 && status == 200 {
			return // an empty body is a valid empty output
		}
		mc.violate("%s: body is not XML: %v", op, err)
		return
	}
	mc.elements++
	if status >= 300 {
		mc.errorAnswer(m, op, status, root)
		return
	}
	mc.answered[op]++
	if root.name != op+"Response" {
		mc.violate("%s: root element %s", op, root.name)
	}
	sawResult := false
	for _, c := range root.children {
		mc.elements++
		switch {
		case c.name == "ResponseMetadata":
			if len(c.children) != 1 || c.children[0].name != "RequestId" || strings.TrimSpace(c.children[0].text) == "" {
				mc.violate("%s: ResponseMetadata must hold one RequestId", op)
			}
			mc.elements += len(c.children)
		case spec.Output != nil && spec.Output.ResultWrapper != "" && c.name == spec.Output.ResultWrapper:
			sawResult = true
			mc.structure(m, op, op+"/"+c.name, c, spec.Output.Shape)
		default:
			mc.violate("%s: element %s under %sResponse (the model's output has %s)", op, c.name, op, outputName(spec.Output))
		}
	}
	if spec.Output != nil && spec.Output.ResultWrapper != "" && !sawResult {
		mc.violate("%s: no %s element", op, spec.Output.ResultWrapper)
	}
}

func outputName(o *struct {
	Shape         string `json:"shape"`
	ResultWrapper string `json:"resultWrapper"`
}) string {
	if o == nil || o.ResultWrapper == "" {
		return "no result element"
	}
	return o.ResultWrapper
}

func (mc *modelCheck) errorAnswer(m *botocoreModel, op string, status int, root *xmlNode) {
	if root.name != "ErrorResponse" {
		mc.violate("%s: error root %s", op, root.name)
		return
	}
	code := ""
	for _, c := range root.children {
		mc.elements++
		switch c.name {
		case "Error":
			for _, e := range c.children {
				mc.elements++
				switch e.name {
				case "Code":
					code = e.text
				case "Type":
					if e.text != "Sender" && e.text != "Receiver" {
						mc.violate("%s: error Type %q", op, e.text)
					}
				case "Message":
				default:
					mc.violate("%s: element %s in Error", op, e.name)
				}
			}
		case "RequestId":
		default:
			mc.violate("%s: element %s in ErrorResponse", op, c.name)
		}
	}
	for _, e := range m.Operations[op].Errors {
		sh := m.Shapes[e.Shape]
		wire := e.Shape
		want := 400
		if sh.Error != nil {
			if sh.Error.Code != "" {
				wire = sh.Error.Code
			}
			if sh.Error.HTTPStatusCode != 0 {
				want = sh.Error.HTTPStatusCode
			}
		}
		if wire == code {
			if status != want {
				mc.violate("%s: %s answered with HTTP %d, the model says %d", op, code, status, want)
			}
			return
		}
	}
	if want, ok := commonErrors[code]; ok {
		if status != want {
			mc.violate("%s: common error %s answered with HTTP %d, want %d", op, code, status, want)
		}
		return
	}
	mc.violate("%s: error code %s is neither one of the operation's modeled faults nor a common error", op, code)
}

// structure checks n against a structure shape.
func (mc *modelCheck) structure(m *botocoreModel, op, path string, n *xmlNode, shapeName string) {
	sh := m.Shapes[shapeName]
	byName := map[string]modelMember{}
	for name, mem := range sh.Members {
		if mem.LocationName != "" {
			name = mem.LocationName
		}
		byName[name] = mem
	}
	seen := map[string]bool{}
	for _, c := range n.children {
		mc.elements++
		mem, ok := byName[c.name]
		if !ok {
			mc.violate("%s: %s has no member %s (shape %s)", op, stripOp(path), c.name, shapeName)
			continue
		}
		if seen[c.name] {
			mc.violate("%s: %s repeats %s", op, stripOp(path), c.name)
		}
		seen[c.name] = true
		mc.value(m, op, path+"/"+c.name, c, mem.Shape)
	}
}

func stripOp(path string) string {
	if i := strings.Index(path, "/"); i >= 0 {
		return path[i+1:]
	}
	return path
}

// value checks n against any shape.
func (mc *modelCheck) value(m *botocoreModel, op, path string, n *xmlNode, shapeName string) {
	sh := m.Shapes[shapeName]
	if sh.Type != "structure" && sh.Type != "list" && sh.Type != "map" && len(n.children) > 0 {
		mc.violate("%s: %s is a %s but has child elements", op, stripOp(path), sh.Type)
		return
	}
	text := strings.TrimSpace(n.text)
	switch sh.Type {
	case "structure":
		mc.structure(m, op, path, n, shapeName)
	case "list":
		item := "member"
		if sh.Member.LocationName != "" {
			item = sh.Member.LocationName
		}
		for _, c := range n.children {
			mc.elements++
			if c.name != item {
				mc.violate("%s: %s item <%s>, the model's is <%s> (the SDK drops it)", op, stripOp(path), c.name, item)
				continue
			}
			mc.value(m, op, path+"/"+item, c, sh.Member.Shape)
		}
	case "string":
		if len(sh.Enum) > 0 {
			for _, e := range sh.Enum {
				if e == text {
					return
				}
			}
			mc.violate("%s: %s = %q is not in enum %s", op, stripOp(path), text, shapeName)
		}
	case "integer", "long":
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			mc.violate("%s: %s = %q is not an integer", op, stripOp(path), text)
		}
	case "double", "float":
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			mc.violate("%s: %s = %q is not a number", op, stripOp(path), text)
		}
	case "boolean":
		if text != "true" && text != "false" {
			mc.violate("%s: %s = %q is not a boolean", op, stripOp(path), text)
		}
	case "timestamp":
		if _, err := time.Parse(time.RFC3339Nano, text); err != nil {
			mc.violate("%s: %s = %q is not an ISO 8601 timestamp", op, stripOp(path), text)
		}
	case "map":
		mc.violate("%s: %s is a map, which no RDS output the simulator serves should hold", op, stripOp(path))
	default:
		mc.violate("%s: %s has unknown shape type %s", op, stripOp(path), sh.Type)
	}
}

// recording is an http.RoundTripper that hands every answer to the check.
type recording struct {
	next http.RoundTripper
	mu   sync.Mutex
	mc   *modelCheck
}

func (r *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil || strings.HasPrefix(req.URL.Path, "/service/") { // CloudWatch speaks CBOR, not Query
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, err
	}
	form, _ := url.ParseQuery(string(reqBody))
	service := "rds"
	if form.Get("Version") == "2011-06-15" {
		service = "sts"
	}
	r.mu.Lock()
	r.mc.answer(service, form.Get("Action"), resp.StatusCode, body)
	r.mu.Unlock()
	return resp, err
}

// report fails the test on any violation and logs the figures.
func (mc *modelCheck) report(t *testing.T) {
	t.Helper()
	total := 0
	var lines []string
	for v, n := range mc.violations {
		total += n
		lines = append(lines, fmt.Sprintf("%6d × %s", n, v))
	}
	sort.Strings(lines)
	t.Logf("strict model check: %d elements checked, %d violations (%d distinct), %d operations answered", mc.elements, total, len(lines), len(mc.answered))
	if total > 0 {
		t.Errorf("violations of the AWS CLI's model:\n%s", strings.Join(lines, "\n"))
	}
}

// recorded is env with its SDK clients answering through the check.
func recorded(t *testing.T, mc *modelCheck, o sim.Options) *env {
	t.Helper()
	e := newEnv(t, o)
	hc := &http.Client{Transport: &recording{next: e.srv.Client().Transport, mc: mc}}
	creds := credentials.NewStaticCredentialsProvider("x", "y", "")
	e.rds = rds.New(rds.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL), Credentials: creds, HTTPClient: hc, RetryMaxAttempts: 1})
	e.sts = sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL), Credentials: creds, HTTPClient: hc, RetryMaxAttempts: 1})
	return e
}

// readAll reads everything rdsbg reads about a world, in whatever state it
// is: each answer goes through the check.
func (e *env) readAll(deployment string) {
	c := ctx()
	_, _ = e.rds.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{})
	_, _ = e.rds.DescribeDBClusters(c, &rds.DescribeDBClustersInput{})
	_, _ = e.rds.DescribeBlueGreenDeployments(c, &rds.DescribeBlueGreenDeploymentsInput{})
	if deployment != "" {
		_, _ = e.rds.DescribeBlueGreenDeployments(c, &rds.DescribeBlueGreenDeploymentsInput{BlueGreenDeploymentIdentifier: aws.String(deployment)})
	}
	proxies, _ := e.rds.DescribeDBProxies(c, &rds.DescribeDBProxiesInput{})
	if proxies != nil {
		for _, p := range proxies.DBProxies {
			_, _ = e.rds.DescribeDBProxyTargets(c, &rds.DescribeDBProxyTargetsInput{DBProxyName: p.DBProxyName})
			_, _ = e.rds.DescribeDBProxyTargetGroups(c, &rds.DescribeDBProxyTargetGroupsInput{DBProxyName: p.DBProxyName})
			_, _ = e.rds.ListTagsForResource(c, &rds.ListTagsForResourceInput{ResourceName: p.DBProxyArn})
		}
	}
	for _, st := range []types.SourceType{types.SourceTypeBlueGreenDeployment, types.SourceTypeDbInstance, types.SourceTypeDbCluster, types.SourceTypeDbProxy} {
		_, _ = e.rds.DescribeEvents(c, &rds.DescribeEventsInput{SourceType: st, Duration: aws.Int32(24 * 60)})
	}
	_, _ = e.rds.DescribeDBSnapshots(c, &rds.DescribeDBSnapshotsInput{})
	_, _ = e.rds.DescribeDBClusterSnapshots(c, &rds.DescribeDBClusterSnapshotsInput{})
}

// untilStatus reads the whole world every 30 s of AWS time until the
// deployment reaches want, so that every intermediate state is checked.
func (e *env) untilStatus(id, want string) {
	for i := 0; i < 400; i++ {
		e.readAll(id)
		if aws.ToString(e.deployment(id).Status) == want {
			return
		}
		e.advance(30 * time.Second)
	}
	e.t.Fatalf("deployment %s never %s", id, want)
}

// Every operation rdsbg calls, driven through the whole life of an RDS
// PostgreSQL deployment in the native regime (with an upgrade, replicas,
// tags, events, parameter groups, snapshots and cleanup), an Aurora one
// in the legacy regime (members, custom endpoint, cluster snapshots), the
// refusals and faults rdsbg meets, and STS: every answer, success or
// error, checked against the AWS CLI's own model.
func TestConformanceModelCheckEveryOperation(t *testing.T) {
	dir := botocoreDir(t)
	mc := &modelCheck{models: map[string]*botocoreModel{"rds": loadModel(t, dir, "rds", "2014-10-31"), "sts": loadModel(t, dir, "sts", "2011-06-15")},
		violations: map[string]int{}, answered: map[string]int{}}
	c := ctx()

	// The check itself catches what issue 23 found and what the SDK would
	// silently drop: a Result element the model lacks, a list item under
	// the wrong name, a value outside its enum, a fault with another
	// status, an element the shape does not have.
	self := &modelCheck{models: mc.models, violations: map[string]int{}, answered: map[string]int{}}
	for _, bad := range []struct {
		op     string
		status int
		body   string
	}{
		{"AddTagsToResource", 200, `<AddTagsToResourceResponse><AddTagsToResourceResult/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AddTagsToResourceResponse>`},
		{"DescribeBlueGreenDeployments", 200, `<DescribeBlueGreenDeploymentsResponse><DescribeBlueGreenDeploymentsResult><BlueGreenDeployments><BlueGreenDeployment/></BlueGreenDeployments></DescribeBlueGreenDeploymentsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeBlueGreenDeploymentsResponse>`},
		{"DescribeDBProxyTargets", 200, `<DescribeDBProxyTargetsResponse><DescribeDBProxyTargetsResult><Targets><member><TargetHealth><State>HEALTHY</State></TargetHealth></member></Targets></DescribeDBProxyTargetsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBProxyTargetsResponse>`},
		{"DescribeDBInstances", 400, `<ErrorResponse><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`},
		{"DescribeDBInstances", 200, `<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance><Colour>blue</Colour></DBInstance></DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`},
	} {
		before := len(self.violations)
		self.answer("rds", bad.op, bad.status, []byte(bad.body))
		if len(self.violations) == before {
			t.Errorf("the check let this %s answer pass: %s", bad.op, bad.body)
		}
	}

	// RDS PostgreSQL, native regime (today's AWS).
	e := recorded(t, mc, sim.Options{})
	_, _ = e.sts.GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	e.readAll("")
	_, _ = e.rds.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("ghost-db")})
	_, _ = e.rds.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
	_, _ = e.rds.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(20), Filters: []types.Filter{{Name: aws.String("db-instance-id"), Values: []string{"orders-db"}}}})
	_, _ = e.rds.DescribeDBProxies(c, &rds.DescribeDBProxiesInput{DBProxyName: aws.String("ghost-proxy")})
	_, _ = e.rds.DescribeDBProxyTargets(c, &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String("ghost-proxy")})
	_, _ = e.rds.DescribeDBProxyTargetGroups(c, &rds.DescribeDBProxyTargetGroupsInput{DBProxyName: aws.String("ghost-proxy")})
	for _, in := range []*rds.DescribeDBEngineVersionsInput{
		{Engine: aws.String("postgres"), EngineVersion: aws.String("15.7"), IncludeAll: aws.Bool(true)},
		{Engine: aws.String("postgres")}, {Engine: aws.String("postgres"), DefaultOnly: aws.Bool(true)},
		{Engine: aws.String("mariadb"), EngineVersion: aws.String("12.3.1")}, {DBParameterGroupFamily: aws.String("postgres16")},
	} {
		_, _ = e.rds.DescribeDBEngineVersions(c, in)
	}
	_, _ = e.rds.DescribeDBParameterGroups(c, &rds.DescribeDBParameterGroupsInput{})
	_, _ = e.rds.DescribeDBParameterGroups(c, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String("orders-pg16")})
	_, _ = e.rds.DescribeDBParameterGroups(c, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String("ghost-group")})
	_, _ = e.rds.DescribeDBParameters(c, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("orders-pg15")})
	_, _ = e.rds.DescribeDBParameters(c, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("orders-pg16"), Source: aws.String("user")})
	_, _ = e.rds.DescribeDBParameters(c, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("ghost-group")})
	_, _ = e.rds.DescribeDBClusterParameterGroups(c, &rds.DescribeDBClusterParameterGroupsInput{})
	_, _ = e.rds.DescribeDBClusterParameters(c, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("default.aurora-postgresql15")})
	_, _ = e.rds.DescribeDBClusterParameters(c, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("ghost-group")})
	ordersARN := arn("db", "orders-db")
	tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("orders")}}
	_, _ = e.rds.AddTagsToResource(c, &rds.AddTagsToResourceInput{ResourceName: aws.String(ordersARN), Tags: tags})
	_, _ = e.rds.AddTagsToResource(c, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn("db", "ghost-db")), Tags: tags})
	_, _ = e.rds.AddTagsToResource(c, &rds.AddTagsToResourceInput{ResourceName: aws.String(ordersARN), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
	_, _ = e.rds.ListTagsForResource(c, &rds.ListTagsForResourceInput{ResourceName: aws.String(ordersARN)})
	_, _ = e.rds.RegisterDBProxyTargets(c, &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	_, _ = e.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("bad name!"), Source: aws.String(ordersARN)})
	out, err := e.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("orders-bg"), Source: aws.String(ordersARN),
		TargetEngineVersion: aws.String("16.4"), TargetDBParameterGroupName: aws.String("orders-pg16"), Tags: []types.Tag{{Key: aws.String("rdsbg:run"), Value: aws.String("20261121T220000Z")}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.BlueGreenDeployment.BlueGreenDeploymentIdentifier)
	depARN := "arn:aws:rds:us-east-1:123456789012:deployment:" + id
	_, _ = e.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("orders-bg"), Source: aws.String(ordersARN)})
	_, _ = e.rds.RegisterDBProxyTargets(c, &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	_, _ = e.rds.AddTagsToResource(c, &rds.AddTagsToResourceInput{ResourceName: aws.String(depARN), Tags: []types.Tag{{Key: aws.String("rdsbg:owner"), Value: aws.String("host=a pid=1")}}})
	_, _ = e.rds.ListTagsForResource(c, &rds.ListTagsForResourceInput{ResourceName: aws.String(depARN)})
	_, _ = e.rds.SwitchoverBlueGreenDeployment(c, &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	e.untilStatus(id, "AVAILABLE")
	_, _ = e.rds.SwitchoverBlueGreenDeployment(c, &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), SwitchoverTimeout: aws.Int32(10)})
	_, _ = e.rds.ModifyDBInstance(c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db"), EngineVersion: aws.String("17.4"), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	if _, err := e.rds.SwitchoverBlueGreenDeployment(c, &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), SwitchoverTimeout: aws.Int32(300)}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60 && aws.ToString(e.deployment(id).Status) != "SWITCHOVER_COMPLETED"; i++ {
		e.readAll(id)
		e.advance(time.Second)
	}
	e.untilStatus(id, "SWITCHOVER_COMPLETED")
	_, _ = e.rds.DeleteBlueGreenDeployment(c, &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), DeleteTarget: aws.Bool(true)})
	_, _ = e.rds.ModifyDBInstance(c, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db-old1"), DeletionProtection: aws.Bool(false), ApplyImmediately: aws.Bool(true)})
	_, _ = e.rds.CreateDBSnapshot(c, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders-db-old1"), DBSnapshotIdentifier: aws.String("orders-db-old1-final")})
	_, _ = e.rds.CreateDBSnapshot(c, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders-db-old1"), DBSnapshotIdentifier: aws.String("orders-db-old1-final")})
	_, _ = e.rds.DescribeDBSnapshots(c, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("orders-db-old1-final")})
	_, _ = e.rds.DescribeDBSnapshots(c, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("ghost-snap")})
	_, _ = e.rds.DeleteBlueGreenDeployment(c, &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	_, _ = e.rds.DeleteDBInstance(c, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db-old1"), SkipFinalSnapshot: aws.Bool(true)})
	_, _ = e.rds.DeleteDBInstance(c, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db-replica-1-old1"), SkipFinalSnapshot: aws.Bool(true)})
	_, _ = e.rds.DeleteDBInstance(c, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("ghost-db"), SkipFinalSnapshot: aws.Bool(true)})
	_, _ = e.rds.RemoveTagsFromResource(c, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String(ordersARN), TagKeys: []string{"team"}})
	_, _ = e.rds.DeregisterDBProxyTargets(c, &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("billing-proxy"), DBInstanceIdentifiers: []string{"billing-db"}})
	_, _ = e.rds.DeregisterDBProxyTargets(c, &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("billing-proxy"), DBInstanceIdentifiers: []string{"billing-db"}})
	_, _ = e.rds.RegisterDBProxyTargets(c, &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("billing-proxy"), DBInstanceIdentifiers: []string{"billing-db"}})
	for i := 0; i < 12; i++ { // REGISTERING, UNAVAILABLE, AVAILABLE
		e.readAll("")
		e.advance(5 * time.Second)
	}
	for i := 0; i < 8; i++ {
		e.advance(30 * time.Second)
		e.readAll(id)
	}
	_, _ = e.rds.DescribeBlueGreenDeployments(c, &rds.DescribeBlueGreenDeploymentsInput{BlueGreenDeploymentIdentifier: aws.String(id)})

	// The legacy regime's refusal, a failed creation, a rolled-back
	// switchover, throttling and a denied action.
	l := recorded(t, mc, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Switchover: "fail"}}})
	_, _ = l.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(ordersARN)})
	_, _ = l.rds.DeregisterDBProxyTargets(c, &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	lout, err := l.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(ordersARN)})
	if err != nil {
		t.Fatal(err)
	}
	lid := aws.ToString(lout.BlueGreenDeployment.BlueGreenDeploymentIdentifier)
	_, _ = l.rds.RegisterDBProxyTargets(c, &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	l.untilStatus(lid, "AVAILABLE")
	_, _ = l.rds.SwitchoverBlueGreenDeployment(c, &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(lid)})
	l.untilStatus(lid, "AVAILABLE")
	l.sim.AddFault(sim.Fault{Operation: "DescribeDBInstances", ThrottleRate: 1})
	l.sim.AddFault(sim.Fault{AllowOnly: []string{"rds:DescribeDBInstances"}})
	_, _ = l.rds.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{})
	_, _ = l.rds.DeleteBlueGreenDeployment(c, &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(lid), DeleteTarget: aws.Bool(true)})
	l.sim.ClearFaults()
	_, _ = l.rds.DeleteBlueGreenDeployment(c, &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(lid), DeleteTarget: aws.Bool(true)})
	for i := 0; i < 10; i++ {
		l.readAll(lid)
		l.advance(time.Minute)
	}
	f := recorded(t, mc, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{CreationFail: "the snapshot could not be restored"}}})
	fout, err := f.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))})
	if err != nil {
		t.Fatal(err)
	}
	f.untilStatus(aws.ToString(fout.BlueGreenDeployment.BlueGreenDeploymentIdentifier), "INVALID_CONFIGURATION")

	// Aurora PostgreSQL (legacy regime): members, a custom endpoint,
	// cluster parameter groups, cluster snapshots and deletion.
	a := recorded(t, mc, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	ledgerARN := arn("cluster", "ledger-cluster")
	a.readAll("")
	_, _ = a.rds.DescribeDBClusters(c, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("ledger-cluster")})
	_, _ = a.rds.DescribeDBClusters(c, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("ghost-cluster")})
	_, _ = a.rds.DescribeDBClusterParameterGroups(c, &rds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String("ledger-apg16-cluster")})
	_, _ = a.rds.DescribeDBClusterParameters(c, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("ledger-apg15-cluster")})
	_, _ = a.rds.AddTagsToResource(c, &rds.AddTagsToResourceInput{ResourceName: aws.String(ledgerARN), Tags: tags})
	_, _ = a.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("l"), Source: aws.String(ledgerARN)})
	_, _ = a.rds.DeregisterDBProxyTargets(c, &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("ledger-proxy"), DBClusterIdentifiers: []string{"ledger-cluster"}})
	aout, err := a.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("l"), Source: aws.String(ledgerARN),
		TargetEngineVersion: aws.String("16.4"), TargetDBClusterParameterGroupName: aws.String("ledger-apg16-cluster"), TargetDBParameterGroupName: aws.String("ledger-apg16")})
	if err != nil {
		t.Fatal(err)
	}
	aid := aws.ToString(aout.BlueGreenDeployment.BlueGreenDeploymentIdentifier)
	_, _ = a.rds.RegisterDBProxyTargets(c, &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ledger-proxy"), DBClusterIdentifiers: []string{"ledger-cluster"}})
	a.untilStatus(aid, "AVAILABLE")
	_, _ = a.rds.DeregisterDBProxyTargets(c, &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("ledger-proxy"), DBClusterIdentifiers: []string{"ledger-cluster"}})
	_, _ = a.rds.SwitchoverBlueGreenDeployment(c, &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(aid)})
	a.untilStatus(aid, "SWITCHOVER_COMPLETED")
	_, _ = a.rds.RegisterDBProxyTargets(c, &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ledger-proxy"), DBClusterIdentifiers: []string{"ledger-cluster"}})
	_, _ = a.rds.DeleteBlueGreenDeployment(c, &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(aid)})
	_, _ = a.rds.ModifyDBCluster(c, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster-old1"), DeletionProtection: aws.Bool(false), ApplyImmediately: aws.Bool(true)})
	_, _ = a.rds.ModifyDBCluster(c, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ghost-cluster"), DeletionProtection: aws.Bool(false)})
	_, _ = a.rds.CreateDBClusterSnapshot(c, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger-cluster-old1"), DBClusterSnapshotIdentifier: aws.String("ledger-old1-final")})
	_, _ = a.rds.DescribeDBClusterSnapshots(c, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("ledger-old1-final")})
	_, _ = a.rds.DeleteDBCluster(c, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster-old1"), SkipFinalSnapshot: aws.Bool(true)})
	for _, m := range []string{"ledger-instance-1-old1", "ledger-instance-2-old1", "ledger-instance-3-old1"} {
		_, _ = a.rds.DeleteDBInstance(c, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(m), SkipFinalSnapshot: aws.Bool(true)})
	}
	for i := 0; i < 8; i++ {
		a.readAll(aid)
		a.advance(time.Minute)
	}
	_, _ = a.rds.DeleteDBCluster(c, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster-old1"), SkipFinalSnapshot: aws.Bool(true)})
	a.readAll("")

	// Aurora MySQL in a global database.
	g := recorded(t, mc, sim.Options{Scenario: sim.ScenarioAuroraGlobal})
	g.readAll("")
	_, _ = g.rds.CreateBlueGreenDeployment(c, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("p"), Source: aws.String(arn("cluster", "payments-cluster"))})

	mc.report(t)
	for _, op := range sim.OperationNames() {
		if mc.answered[op] == 0 {
			t.Errorf("%s was never answered successfully: the check did not drive it", op)
		}
	}
}
