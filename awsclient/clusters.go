package awsclient

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// DescribeCluster takes an identifier or an ARN. Not found ⇒
// *types.DBClusterNotFoundFault (KindNotFound).
func (c *Client) DescribeCluster(ctx context.Context, id string) (Cluster, error) {
	out, err := c.rds.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil {
		return Cluster{}, err
	}
	if len(out.DBClusters) == 0 {
		return Cluster{}, &NotFoundError{What: "DB cluster", ID: id}
	}
	return toCluster(out.DBClusters[0]), nil
}

// ListClusters returns every DB cluster in the Region.
func (c *Client) ListClusters(ctx context.Context) ([]Cluster, error) {
	var all []Cluster
	p := rds.NewDescribeDBClustersPaginator(c.rds, &rds.DescribeDBClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, cl := range page.DBClusters {
			all = append(all, toCluster(cl))
		}
	}
	return all, nil
}

// ModifyCluster sends only the parameters that are set, plus
// ApplyImmediately.
func (c *Client) ModifyCluster(ctx context.Context, in ModifyClusterInput) (Cluster, error) {
	req := &rds.ModifyDBClusterInput{
		DBClusterIdentifier: aws.String(in.ID),
		ApplyImmediately:    aws.Bool(in.ApplyImmediately),
		DeletionProtection:  in.DeletionProtection,
	}
	if in.EngineVersion != "" {
		req.EngineVersion = aws.String(in.EngineVersion)
	}
	if in.AllowMajorVersionUpgrade {
		req.AllowMajorVersionUpgrade = aws.Bool(true)
	}
	if in.DBClusterParameterGroupName != "" {
		req.DBClusterParameterGroupName = aws.String(in.DBClusterParameterGroupName)
	}
	if in.DBInstanceParameterGroupName != "" {
		req.DBInstanceParameterGroupName = aws.String(in.DBInstanceParameterGroupName)
	}
	out, err := c.rds.ModifyDBCluster(ctx, req)
	if err != nil {
		return Cluster{}, err
	}
	if out.DBCluster == nil {
		return Cluster{}, errors.New("ModifyDBCluster answered without a DBCluster")
	}
	return toCluster(*out.DBCluster), nil
}

// DeleteCluster deletes an Aurora cluster (its instances must be deleted
// first); exactly one of SkipFinalSnapshot and FinalSnapshotID.
func (c *Client) DeleteCluster(ctx context.Context, in DeleteInput) error {
	if err := in.check("DB cluster"); err != nil {
		return err
	}
	req := &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(in.ID)}
	if in.SkipFinalSnapshot {
		req.SkipFinalSnapshot = aws.Bool(true)
	} else {
		req.FinalDBSnapshotIdentifier = aws.String(in.FinalSnapshotID)
	}
	_, err := c.rds.DeleteDBCluster(ctx, req)
	return err
}

// CreateClusterSnapshot starts a manual cluster snapshot.
func (c *Client) CreateClusterSnapshot(ctx context.Context, clusterID, snapshotID string) (Snapshot, error) {
	out, err := c.rds.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
		DBClusterIdentifier:         aws.String(clusterID),
		DBClusterSnapshotIdentifier: aws.String(snapshotID),
	})
	if err != nil {
		return Snapshot{}, err
	}
	if out.DBClusterSnapshot == nil {
		return Snapshot{}, errors.New("CreateDBClusterSnapshot answered without a DBClusterSnapshot")
	}
	return toClusterSnapshot(*out.DBClusterSnapshot), nil
}

// DescribeClusterSnapshot: not found ⇒ KindNotFound.
func (c *Client) DescribeClusterSnapshot(ctx context.Context, snapshotID string) (Snapshot, error) {
	out, err := c.rds.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{
		DBClusterSnapshotIdentifier: aws.String(snapshotID),
	})
	if err != nil {
		return Snapshot{}, err
	}
	if len(out.DBClusterSnapshots) == 0 {
		return Snapshot{}, &NotFoundError{What: "DB cluster snapshot", ID: snapshotID}
	}
	return toClusterSnapshot(out.DBClusterSnapshots[0]), nil
}
