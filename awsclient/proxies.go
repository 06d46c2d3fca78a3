package awsclient

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// ListProxies returns every RDS Proxy in the Region. The API has no
// "proxies in front of DB X" query: callers list all proxies and read each
// one's targets.
func (c *Client) ListProxies(ctx context.Context) ([]Proxy, error) {
	var all []Proxy
	p := rds.NewDescribeDBProxiesPaginator(c.rds, &rds.DescribeDBProxiesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, px := range page.DBProxies {
			all = append(all, toProxy(px))
		}
	}
	return all, nil
}

// DescribeProxyTargets returns the targets of the proxy's default target
// group. An Aurora cluster shows as one TRACKED_CLUSTER entry plus one
// RDS_INSTANCE entry per member.
func (c *Client) DescribeProxyTargets(ctx context.Context, proxyName string) ([]ProxyTarget, error) {
	all := []ProxyTarget{}
	p := rds.NewDescribeDBProxyTargetsPaginator(c.rds, &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String(proxyName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, toProxyTargets(proxyName, page.Targets)...)
	}
	return all, nil
}

// DescribeTargetGroups returns the proxy's target groups ("default" only,
// today).
func (c *Client) DescribeTargetGroups(ctx context.Context, proxyName string) ([]TargetGroup, error) {
	var all []TargetGroup
	p := rds.NewDescribeDBProxyTargetGroupsPaginator(c.rds, &rds.DescribeDBProxyTargetGroupsInput{DBProxyName: aws.String(proxyName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, tg := range page.TargetGroups {
			all = append(all, toTargetGroup(tg))
		}
	}
	return all, nil
}

// RegisterTargets registers one instance or one cluster with the proxy's
// default target group and returns the targets the API created.
func (c *Client) RegisterTargets(ctx context.Context, proxyName string, target TargetRef) ([]ProxyTarget, error) {
	req := &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String(proxyName)}
	if err := setTargetRef(target, &req.DBInstanceIdentifiers, &req.DBClusterIdentifiers); err != nil {
		return nil, err
	}
	out, err := c.rds.RegisterDBProxyTargets(ctx, req)
	if err != nil {
		return nil, err
	}
	return toProxyTargets(proxyName, out.DBProxyTargets), nil
}

// DeregisterTargets removes one instance or one cluster (with all its
// instance entries) from the proxy's default target group.
func (c *Client) DeregisterTargets(ctx context.Context, proxyName string, target TargetRef) error {
	req := &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String(proxyName)}
	if err := setTargetRef(target, &req.DBInstanceIdentifiers, &req.DBClusterIdentifiers); err != nil {
		return err
	}
	_, err := c.rds.DeregisterDBProxyTargets(ctx, req)
	return err
}

// setTargetRef fills exactly one identifier list: a nil list is not sent,
// while an empty one would go on the wire as a bare key.
func setTargetRef(t TargetRef, instances, clusters *[]string) error {
	switch {
	case t.InstanceID != "" && t.ClusterID != "":
		return errors.New("proxy target: give an instance or a cluster, not both")
	case t.ClusterID != "":
		*clusters = []string{t.ClusterID}
	case t.InstanceID != "":
		*instances = []string{t.InstanceID}
	default:
		return errors.New("proxy target: no instance or cluster identifier given")
	}
	return nil
}
