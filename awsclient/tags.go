package awsclient

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Tags are where rdsbg keeps the facts that must outlive its journal
// (rds-facts §5.5 end): which proxy it emptied, which deployment it made.
// Every call takes the resource's ARN.

// AddTagsToResource adds (or overwrites) tags on one resource. Keys are
// sent sorted, so the same input always makes the same request.
func (c *Client) AddTagsToResource(ctx context.Context, arn string, tags map[string]string) error {
	req := &rds.AddTagsToResourceInput{ResourceName: aws.String(arn)}
	for _, k := range sortedTagKeys(tags) {
		req.Tags = append(req.Tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	_, err := c.rds.AddTagsToResource(ctx, req)
	return err
}

// RemoveTagsFromResource removes the named tag keys; a key the resource
// does not carry is not an error.
func (c *Client) RemoveTagsFromResource(ctx context.Context, arn string, keys ...string) error {
	_, err := c.rds.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String(arn), TagKeys: keys})
	return err
}

// ListTagsForResource returns the resource's tags as key → value.
func (c *Client) ListTagsForResource(ctx context.Context, arn string) (map[string]string, error) {
	out, err := c.rds.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	return tagMap(out.TagList), nil
}

func tagMap(list []rdstypes.Tag) map[string]string {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]string, len(list))
	for _, t := range list {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func sortedTagKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// DeploymentARN names a blue/green deployment for the tagging calls:
// arn:<partition>:rds:<region>:<account>:deployment:<bgd-id>. The API does
// not return it, so it is built from the source's ARN (same partition,
// Region and account). "" when sourceARN is not an ARN.
func DeploymentARN(sourceARN, deploymentID string) string {
	a, ok := ParseRDSARN(sourceARN)
	if !ok || deploymentID == "" {
		return ""
	}
	a.Type, a.Name = "deployment", deploymentID
	return a.String()
}
