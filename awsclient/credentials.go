package awsclient

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// CredentialsError means no usable credentials could be found or refreshed
// (no profile credentials, an expired SSO session, a failing
// credential_process…). No request was sent. Classify reports it as
// KindAccessDenied: the operator has to act before anything can run.
type CredentialsError struct {
	Profile string // "" when none was named
	Err     error
}

func (e *CredentialsError) Error() string {
	profile, login := "", "aws sso login"
	if e.Profile != "" {
		profile = fmt.Sprintf(" for profile %q", e.Profile)
		login = "aws sso login --profile " + e.Profile
	}
	return fmt.Sprintf("no usable AWS credentials%s (for an SSO profile run `%s`; otherwise check --profile, AWS_PROFILE, "+
		"AWS_ACCESS_KEY_ID or the AWS credentials file): %v", profile, login, e.Err)
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// explainingCredentials turns a failure to get credentials into a
// *CredentialsError that says what to do, instead of the SDK's chain of
// provider internals.
type explainingCredentials struct {
	inner   aws.CredentialsProvider
	profile string
}

func (p explainingCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := p.inner.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return creds, &CredentialsError{Profile: p.profile, Err: err}
	}
	return creds, err
}

// ProviderSources keeps the SDK's credential-source metrics intact.
func (p explainingCredentials) ProviderSources() []aws.CredentialSource {
	if src, ok := p.inner.(aws.CredentialProviderSource); ok {
		return src.ProviderSources()
	}
	return nil
}
