package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Permission probes: calls of a mutating action built so that they cannot
// change anything, made before a run's first change to learn whether IAM
// allows the action. IAM authorizes a request before the service acts on
// it (IAM User Guide, "How IAM works": AWS approves the operations of a
// request only after it is authenticated and authorized), so AccessDenied
// means "not allowed" and any other answer means "allowed". IAM has no dry
// run for RDS; these are the nearest thing. (Registering an already
// registered target, the other probe, is a plain RegisterTargets call.)

// PermissionProber makes the probes. *Client implements it; the engine asks
// for it with a type assertion so that the narrow API interfaces stay as
// they are.
type PermissionProber interface {
	// ProbeAddTags calls AddTagsToResource with an empty tag list: nothing
	// can be written.
	ProbeAddTags(ctx context.Context, arn string) error
}

// ProbeAddTags implements PermissionProber. The list is empty but not nil:
// the SDK's validation requires the member, the wire carries no tag.
func (c *Client) ProbeAddTags(ctx context.Context, arn string) error {
	_, err := c.rds.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []rdstypes.Tag{}})
	return err
}
