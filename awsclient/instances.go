package awsclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// DescribeInstance takes an identifier or an ARN (DescribeDBInstances
// accepts both). Not found ⇒ *types.DBInstanceNotFoundFault (KindNotFound).
func (c *Client) DescribeInstance(ctx context.Context, id string) (Instance, error) {
	out, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return Instance{}, err
	}
	if len(out.DBInstances) == 0 {
		// The service answers not found with a fault; an empty answer from
		// an AWS-compatible endpoint means the same thing.
		return Instance{}, &NotFoundError{What: "DB instance", ID: id}
	}
	return toInstance(out.DBInstances[0]), nil
}

// ListInstances returns every DB instance in the Region.
func (c *Client) ListInstances(ctx context.Context) ([]Instance, error) {
	var all []Instance
	p := rds.NewDescribeDBInstancesPaginator(c.rds, &rds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, in := range page.DBInstances {
			all = append(all, toInstance(in))
		}
	}
	return all, nil
}

// ModifyInstance sends only the parameters that are set; ApplyImmediately
// is always sent so that the request says what it means.
func (c *Client) ModifyInstance(ctx context.Context, in ModifyInstanceInput) (Instance, error) {
	req := &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(in.ID),
		ApplyImmediately:     aws.Bool(in.ApplyImmediately),
		DeletionProtection:   in.DeletionProtection,
	}
	if in.EngineVersion != "" {
		req.EngineVersion = aws.String(in.EngineVersion)
	}
	if in.AllowMajorVersionUpgrade {
		req.AllowMajorVersionUpgrade = aws.Bool(true)
	}
	if in.DBParameterGroupName != "" {
		req.DBParameterGroupName = aws.String(in.DBParameterGroupName)
	}
	out, err := c.rds.ModifyDBInstance(ctx, req)
	if err != nil {
		return Instance{}, err
	}
	if out.DBInstance == nil {
		return Instance{}, errors.New("ModifyDBInstance answered without a DBInstance")
	}
	return toInstance(*out.DBInstance), nil
}

// DeleteInstance deletes a DB instance with either no final snapshot or
// the named one; asking for both or neither is refused before any call,
// because guessing would either lose data or leave an unplanned snapshot.
func (c *Client) DeleteInstance(ctx context.Context, in DeleteInput) error {
	if err := in.check("DB instance"); err != nil {
		return err
	}
	req := &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(in.ID)}
	if in.SkipFinalSnapshot {
		req.SkipFinalSnapshot = aws.Bool(true)
	} else {
		req.FinalDBSnapshotIdentifier = aws.String(in.FinalSnapshotID)
	}
	_, err := c.rds.DeleteDBInstance(ctx, req)
	return err
}

func (in DeleteInput) check(what string) error {
	switch {
	case in.ID == "":
		return fmt.Errorf("delete %s: no identifier given", what)
	case in.SkipFinalSnapshot && in.FinalSnapshotID != "":
		return fmt.Errorf("delete %s %s: SkipFinalSnapshot and FinalSnapshotID %q are both set; choose one", what, in.ID, in.FinalSnapshotID)
	case !in.SkipFinalSnapshot && in.FinalSnapshotID == "":
		return fmt.Errorf("delete %s %s: set SkipFinalSnapshot or a FinalSnapshotID", what, in.ID)
	}
	return nil
}

// CreateInstanceSnapshot starts a manual DB snapshot; poll
// DescribeInstanceSnapshot until Status is "available".
func (c *Client) CreateInstanceSnapshot(ctx context.Context, instanceID, snapshotID string) (Snapshot, error) {
	out, err := c.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String(instanceID),
		DBSnapshotIdentifier: aws.String(snapshotID),
	})
	if err != nil {
		return Snapshot{}, err
	}
	if out.DBSnapshot == nil {
		return Snapshot{}, errors.New("CreateDBSnapshot answered without a DBSnapshot")
	}
	return toInstanceSnapshot(*out.DBSnapshot), nil
}

// DescribeInstanceSnapshot: not found ⇒ KindNotFound.
func (c *Client) DescribeInstanceSnapshot(ctx context.Context, snapshotID string) (Snapshot, error) {
	out, err := c.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(snapshotID)})
	if err != nil {
		return Snapshot{}, err
	}
	if len(out.DBSnapshots) == 0 {
		return Snapshot{}, &NotFoundError{What: "DB snapshot", ID: snapshotID}
	}
	return toInstanceSnapshot(out.DBSnapshots[0]), nil
}
