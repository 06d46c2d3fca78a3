// Package simtruth reads what AWS (the simulator, through the real SDK
// client) holds for one source at one moment, independently of the engine
// and of its world view: the truth oracle's side of every comparison
// (docs/truth.md). Tests only.
package simtruth

import (
	"context"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// Reader is the reads Read makes (*awsclient.Client).
type Reader interface {
	ListDeployments(ctx context.Context, sourceARN string) ([]awsclient.Deployment, error)
	ListInstances(ctx context.Context) ([]awsclient.Instance, error)
	ListClusters(ctx context.Context) ([]awsclient.Cluster, error)
	DescribeProxyTargets(ctx context.Context, proxyName string) ([]awsclient.ProxyTarget, error)
}

// Truth is one reading.
type Truth struct {
	// Deployment is the source's blue/green deployment (by name in its
	// source or target ARN), nil when AWS lists none.
	Deployment *awsclient.Deployment
	// Switched: green is production (the deployment says
	// SWITCHOVER_COMPLETED, or the resource carrying the source's name is
	// not blue any more).
	Switched bool
	// Production is the resource carrying the source's name ("" if none).
	Production awsclient.Instance
	// Resources are every instance and cluster by identifier, with status.
	Resources map[string]string
	// Proxies are the asked proxies' entries for the source.
	Proxies map[string]Proxy
}

// Proxy is one proxy's entries for the source.
type Proxy struct {
	Entries []awsclient.ProxyTarget
	// Serving: the source is registered and every entry AVAILABLE.
	Serving bool
	// Registered: the source has an entry at all.
	Registered bool
}

// Read reads the truth for source (identifier), whose blue resource id
// (DbiResourceId or DbClusterResourceId) was blueID before any change.
func Read(ctx context.Context, api Reader, source, blueID string, proxies []string) (Truth, error) {
	t := Truth{Resources: map[string]string{}, Proxies: map[string]Proxy{}}
	ins, err := api.ListInstances(ctx)
	if err != nil {
		return t, err
	}
	prodID := ""
	for _, in := range ins {
		t.Resources[in.ID] = in.Status
		if strings.EqualFold(in.ID, source) {
			t.Production, prodID = in, in.ResourceID
		}
	}
	cls, err := api.ListClusters(ctx)
	if err != nil {
		return t, err
	}
	for _, c := range cls {
		t.Resources[c.ID] = c.Status
		if strings.EqualFold(c.ID, source) {
			t.Production.ID, prodID = c.ID, c.ResourceID
		}
	}
	deps, err := api.ListDeployments(ctx, "")
	if err != nil {
		return t, err
	}
	for i := range deps {
		d := deps[i]
		if names(d.Source, source) || names(d.Target, source) {
			t.Deployment = &d
			break
		}
	}
	t.Switched = (t.Deployment != nil && t.Deployment.Status == "SWITCHOVER_COMPLETED") ||
		(blueID != "" && prodID != "" && prodID != blueID)
	for _, p := range proxies {
		ts, err := api.DescribeProxyTargets(ctx, p)
		if err != nil {
			return t, err
		}
		var mine []awsclient.ProxyTarget
		for _, e := range ts {
			if strings.EqualFold(e.RdsResourceID, source) || strings.EqualFold(e.TrackedClusterID, source) {
				mine = append(mine, e)
			}
		}
		px := Proxy{Entries: mine, Registered: len(mine) > 0}
		px.Serving = px.Registered
		health := 0
		for _, e := range mine {
			if e.Type == "TRACKED_CLUSTER" {
				continue
			}
			health++
			if e.Health.State != "AVAILABLE" {
				px.Serving = false
			}
		}
		if health == 0 {
			px.Serving = false
		}
		t.Proxies[p] = px
	}
	return t, nil
}

// names: an ARN (or identifier) names source, or one of its -oldN / green
// copies' deployment, by its last field.
func names(arn, source string) bool {
	id := arn
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		id = arn[i+1:]
	}
	if strings.EqualFold(id, source) {
		return true
	}
	l := strings.ToLower(id)
	s := strings.ToLower(source)
	return strings.HasPrefix(l, s+"-old") || strings.HasPrefix(l, s+"-green-")
}

// Empty: some asked proxy does not serve the source.
func (t Truth) Empty() bool {
	for _, p := range t.Proxies {
		if !p.Serving {
			return true
		}
	}
	return false
}
