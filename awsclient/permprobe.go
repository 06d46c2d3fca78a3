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
// the SDK's validation requires the member, the wire carries no tag. AWS
// answers MissingParameter: the call log records it as the probe's
// expected answer, not as an error (WithProbe).
func (c *Client) ProbeAddTags(ctx context.Context, arn string) error {
	_, err := c.rds.AddTagsToResource(WithProbe(ctx), &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []rdstypes.Tag{}})
	return err
}

type probeKey struct{}

// WithProbe marks the calls made with ctx as a permission probe's
// deliberate calls: a client error other than AccessDenied is the answer
// the probe asked for (IAM authorized the request, then the service
// refused it without acting), and the call log says so in Call.Expected
// instead of showing it as a failure.
func WithProbe(ctx context.Context) context.Context {
	return context.WithValue(ctx, probeKey{}, true)
}

// probeExpected is Call.Expected for a probe's answer err, or "".
func probeExpected(ctx context.Context, err error, status int) string {
	if on, _ := ctx.Value(probeKey{}).(bool); !on || err == nil || status < 400 || status >= 500 || Classify(err) == KindAccessDenied {
		return ""
	}
	return "permission probe: IAM allowed the action; nothing changed"
}
