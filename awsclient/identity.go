package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CallerIdentity asks STS who the credentials belong to. It is the
// cheapest call that proves the credentials work, so the wizard makes it
// first and shows the account before anything else.
func (c *Client) CallerIdentity(ctx context.Context) (Identity, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, err
	}
	return Identity{
		Account:   str(out.Account),
		ARN:       str(out.Arn),
		UserID:    str(out.UserId),
		Partition: PartitionOf(str(out.Arn)),
	}, nil
}

// PartitionOf is the partition of an ARN ("aws", "aws-cn", "aws-us-gov",
// …), read with the SDK's ARN parser; "" when arn is not an ARN. The
// caller's own ARN says which partition every ARN of the account lives in
// (the IAM policy rdsbg prints is built on it).
func PartitionOf(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.Partition
}
