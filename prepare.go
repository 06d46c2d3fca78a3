package main

import (
	"context"

	"github.com/rdsbg/rdsbg/steps"
)

// prepareCommand is the set-up `plan` and `iam-policy` share: the AWS
// configuration loaded, the run prepared (steps.Prepare, which checks the
// flags before any AWS call) without changing anything. The environment
// is returned for the reads that follow (the IAM policy's target groups).
func prepareCommand(ctx context.Context, g globalFlags, c createFlags, checks steps.PreflightChoice) (steps.Prepared, *environment, error) {
	opts := c.options()
	opts.DB = g.dbOptions()
	env, err := newEnvironment(ctx, g, nil)
	if err != nil {
		return steps.Prepared{}, nil, err
	}
	prep, err := steps.Prepare(ctx, env.api, opts, env.clock.Now, checks)
	if err != nil {
		return steps.Prepared{}, nil, exitFor(err)
	}
	return prep, env, nil
}
