package awsclient

import (
	"context"

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
		Account: str(out.Account),
		ARN:     str(out.Arn),
		UserID:  str(out.UserId),
	}, nil
}
