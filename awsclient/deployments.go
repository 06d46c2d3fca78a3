package awsclient

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// CreateDeployment starts a blue/green deployment. Empty strings and false
// are not sent, so the service applies its own defaults.
func (c *Client) CreateDeployment(ctx context.Context, in CreateDeploymentInput) (Deployment, error) {
	req := &rds.CreateBlueGreenDeploymentInput{
		BlueGreenDeploymentName:           aws.String(in.Name),
		Source:                            aws.String(in.SourceARN),
		TargetEngineVersion:               optString(in.TargetEngineVersion),
		TargetDBParameterGroupName:        optString(in.TargetDBParameterGroupName),
		TargetDBClusterParameterGroupName: optString(in.TargetDBClusterParameterGroupName),
		TargetDBInstanceClass:             optString(in.TargetDBInstanceClass),
		TargetStorageType:                 optString(in.TargetStorageType),
		TargetIops:                        optInt32(in.TargetIops),
		TargetAllocatedStorage:            optInt32(in.TargetAllocatedStorage),
		TargetStorageThroughput:           optInt32(in.TargetStorageThroughput),
	}
	if in.UpgradeTargetStorageConfig {
		req.UpgradeTargetStorageConfig = aws.Bool(true)
	}
	// Sorted keys: the same input always makes the same request.
	keys := make([]string, 0, len(in.Tags))
	for k := range in.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req.Tags = append(req.Tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(in.Tags[k])})
	}
	out, err := c.rds.CreateBlueGreenDeployment(ctx, req)
	if err != nil {
		return Deployment{}, err
	}
	return deploymentOf("CreateBlueGreenDeployment", out.BlueGreenDeployment)
}

// DescribeDeployment takes the bgd- identifier. Not found ⇒
// *types.BlueGreenDeploymentNotFoundFault (KindNotFound).
func (c *Client) DescribeDeployment(ctx context.Context, id string) (Deployment, error) {
	out, err := c.rds.DescribeBlueGreenDeployments(ctx, &rds.DescribeBlueGreenDeploymentsInput{
		BlueGreenDeploymentIdentifier: aws.String(id),
	})
	if err != nil {
		return Deployment{}, err
	}
	if len(out.BlueGreenDeployments) == 0 {
		return Deployment{}, &NotFoundError{What: "blue/green deployment", ID: id}
	}
	return toDeployment(out.BlueGreenDeployments[0]), nil
}

// ListDeployments returns every deployment, or with sourceARN set only
// those whose Source is that ARN (server-side "source" filter).
func (c *Client) ListDeployments(ctx context.Context, sourceARN string) ([]Deployment, error) {
	req := &rds.DescribeBlueGreenDeploymentsInput{}
	if sourceARN != "" {
		req.Filters = []rdstypes.Filter{{Name: aws.String("source"), Values: []string{sourceARN}}}
	}
	var all []Deployment
	p := rds.NewDescribeBlueGreenDeploymentsPaginator(c.rds, req)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range page.BlueGreenDeployments {
			all = append(all, toDeployment(d))
		}
	}
	return all, nil
}

// SwitchoverDeployment starts the switchover. timeout is rounded down to
// whole seconds; 0 leaves the service default (300 s).
func (c *Client) SwitchoverDeployment(ctx context.Context, id string, timeout time.Duration) (Deployment, error) {
	req := &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}
	if secs := int32(timeout / time.Second); secs > 0 {
		req.SwitchoverTimeout = aws.Int32(secs)
	}
	out, err := c.rds.SwitchoverBlueGreenDeployment(ctx, req)
	if err != nil {
		return Deployment{}, err
	}
	return deploymentOf("SwitchoverBlueGreenDeployment", out.BlueGreenDeployment)
}

// DeleteDeployment deletes the deployment object; deleteTarget also deletes
// green (refused by the service after switchover).
func (c *Client) DeleteDeployment(ctx context.Context, id string, deleteTarget bool) (Deployment, error) {
	req := &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}
	if deleteTarget {
		req.DeleteTarget = aws.Bool(true)
	}
	out, err := c.rds.DeleteBlueGreenDeployment(ctx, req)
	if err != nil {
		return Deployment{}, err
	}
	return deploymentOf("DeleteBlueGreenDeployment", out.BlueGreenDeployment)
}

func deploymentOf(operation string, d *rdstypes.BlueGreenDeployment) (Deployment, error) {
	if d == nil {
		return Deployment{}, errors.New(operation + " answered without a BlueGreenDeployment")
	}
	return toDeployment(*d), nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// optInt32 sends 0 as "not set": none of the storage sizes rdsbg passes
// can be 0 on AWS.
func optInt32(n int32) *int32 {
	if n == 0 {
		return nil
	}
	return aws.Int32(n)
}
