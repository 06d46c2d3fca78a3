package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// DescribeDBParameters returns the named parameters of a DB parameter
// group, in the API's order (all of them when names is empty). The names
// are filtered here rather than with the API's parameter-name filter, which
// not every AWS-compatible endpoint supports; a group has a few hundred
// parameters, a handful of pages. Unknown group ⇒ KindNotFound.
func (c *Client) DescribeDBParameters(ctx context.Context, group string, names ...string) ([]Parameter, error) {
	want := nameSet(names)
	all := []Parameter{}
	p := rds.NewDescribeDBParametersPaginator(c.rds, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = appendParameters(all, page.Parameters, want)
	}
	return all, nil
}

// DescribeClusterParameters is DescribeDBParameters for a DB cluster
// parameter group.
func (c *Client) DescribeClusterParameters(ctx context.Context, group string, names ...string) ([]Parameter, error) {
	want := nameSet(names)
	all := []Parameter{}
	p := rds.NewDescribeDBClusterParametersPaginator(c.rds, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = appendParameters(all, page.Parameters, want)
	}
	return all, nil
}

// nameSet is nil when every parameter is wanted.
func nameSet(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

func appendParameters(dst []Parameter, src []rdstypes.Parameter, want map[string]bool) []Parameter {
	for _, p := range src {
		if want == nil || want[aws.ToString(p.ParameterName)] {
			dst = append(dst, toParameter(p))
		}
	}
	return dst
}

// ParameterGroup is one DB or DB cluster parameter group
// (DescribeDBParameterGroups / DescribeDBClusterParameterGroups).
type ParameterGroup struct {
	Name        string `json:"name"`
	Family      string `json:"family"` // DBParameterGroupFamily
	Description string `json:"description,omitempty"`
	Cluster     bool   `json:"cluster,omitempty"`
}

// ListParameterGroups returns every DB parameter group of the account and
// Region, or every DB cluster parameter group with cluster set. The API's
// Filters are documented as not supported, so the family is chosen by the
// caller.
func (c *Client) ListParameterGroups(ctx context.Context, cluster bool) ([]ParameterGroup, error) {
	var all []ParameterGroup
	if cluster {
		p := rds.NewDescribeDBClusterParameterGroupsPaginator(c.rds, &rds.DescribeDBClusterParameterGroupsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, g := range page.DBClusterParameterGroups {
				all = append(all, ParameterGroup{Name: aws.ToString(g.DBClusterParameterGroupName), Family: aws.ToString(g.DBParameterGroupFamily),
					Description: Sanitize(aws.ToString(g.Description)), Cluster: true})
			}
		}
		return all, nil
	}
	p := rds.NewDescribeDBParameterGroupsPaginator(c.rds, &rds.DescribeDBParameterGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.DBParameterGroups {
			all = append(all, ParameterGroup{Name: aws.ToString(g.DBParameterGroupName), Family: aws.ToString(g.DBParameterGroupFamily),
				Description: Sanitize(aws.ToString(g.Description))})
		}
	}
	return all, nil
}
