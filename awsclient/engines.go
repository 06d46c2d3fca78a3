package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// DescribeEngineVersion returns one engine version with its valid upgrade
// targets. IncludeAll is set because the blue may run a version that is no
// longer offered for new databases, and its upgrade targets matter most
// then. DescribeDBEngineVersions has no not-found fault: an empty answer is
// turned into a *NotFoundError (KindNotFound).
func (c *Client) DescribeEngineVersion(ctx context.Context, engine, version string) (EngineVersion, error) {
	p := rds.NewDescribeDBEngineVersionsPaginator(c.rds, &rds.DescribeDBEngineVersionsInput{
		Engine:        aws.String(engine),
		EngineVersion: aws.String(version),
		IncludeAll:    aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return EngineVersion{}, err
		}
		for _, v := range page.DBEngineVersions {
			// EngineVersion may be a prefix match on some endpoints; insist
			// on the exact version asked for.
			if aws.ToString(v.EngineVersion) == version && aws.ToString(v.Engine) == engine {
				return toEngineVersion(v), nil
			}
		}
	}
	return EngineVersion{}, &NotFoundError{What: "engine version", ID: engine + " " + version}
}

// ListEngineVersions returns every available version of an engine.
func (c *Client) ListEngineVersions(ctx context.Context, engine string) ([]EngineVersion, error) {
	var all []EngineVersion
	p := rds.NewDescribeDBEngineVersionsPaginator(c.rds, &rds.DescribeDBEngineVersionsInput{Engine: aws.String(engine)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.DBEngineVersions {
			all = append(all, toEngineVersion(v))
		}
	}
	return all, nil
}
