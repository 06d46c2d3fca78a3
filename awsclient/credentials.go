package awsclient

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Credentials are their own class of failure (issue 20): an expired
// assumed-role or SSO session, a credential_process that fails, a key AWS
// no longer knows. No IAM change helps; the operator refreshes them, and a
// run that waits or compensates keeps going and picks the fresh ones up
// without a restart: on every such failure the credentials are resolved
// again from scratch (the profile, the environment, the SSO cache, the
// credentials file), not served from the SDK's cache.

// CredentialsError means AWS refused the credentials (Refused: ExpiredToken,
// InvalidClientTokenId, …) or none could be found or refreshed (no profile
// credentials, an expired SSO session, a failing credential_process…).
// Classify reports it as KindCredentials.
type CredentialsError struct {
	Profile string // "" when none was named
	Refused bool   // AWS answered: the request was sent and refused
	Err     error
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("%s: %v", e.Advice(), e.Err)
}

// Advice says what the operator does about it, in one sentence.
func (e *CredentialsError) Advice() string {
	profile, login := "", "aws sso login"
	if e.Profile != "" {
		profile = fmt.Sprintf(" for profile %q", e.Profile)
		login = "aws sso login --profile " + e.Profile
	}
	if e.Refused {
		return fmt.Sprintf("AWS refused the credentials%s: the session expired or the keys are no longer valid (not a missing IAM permission). Refresh them: `%s` for an SSO profile, or assume the role again / put fresh keys in the environment or the credentials file; rdsbg keeps trying and picks them up without a restart", profile, login)
	}
	return fmt.Sprintf("no usable AWS credentials%s (for an SSO profile run `%s`; otherwise check --profile, AWS_PROFILE, "+
		"AWS_ACCESS_KEY_ID or the AWS credentials file; rdsbg picks refreshed credentials up without a restart)", profile, login)
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// credentialCodes are the wire codes that refuse the credentials
// themselves.
func credentialCode(code string) bool {
	return kindOfCode(code) == KindCredentials
}

// refreshingCredentials resolves credentials through the provider the
// configuration loader built, and builds that provider again (reload)
// after AWS refused what it gave: a static key read once from the
// environment or the credentials file, or a role session, is then read
// afresh.
type refreshingCredentials struct {
	profile string
	reload  func(ctx context.Context) (aws.CredentialsProvider, error)

	mu    sync.Mutex
	inner aws.CredentialsProvider
	stale bool
}

func (p *refreshingCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	if p.stale && p.reload != nil {
		if fresh, err := p.reload(ctx); err == nil && fresh != nil {
			p.inner = fresh
		}
		p.stale = false
	}
	inner := p.inner
	p.mu.Unlock()
	creds, err := inner.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		p.invalidate() // a failing credential_process or SSO token: build it again next time
		return creds, &CredentialsError{Profile: p.profile, Err: err}
	}
	return creds, err
}

// invalidate makes the next Retrieve build the provider again.
func (p *refreshingCredentials) invalidate() {
	p.mu.Lock()
	p.stale = true
	p.mu.Unlock()
}

// ProviderSources keeps the SDK's credential-source metrics intact.
func (p *refreshingCredentials) ProviderSources() []aws.CredentialSource {
	p.mu.Lock()
	defer p.mu.Unlock()
	if src, ok := p.inner.(aws.CredentialProviderSource); ok {
		return src.ProviderSources()
	}
	return nil
}

// credentialRefresh is the client's hold on its credentials: the cache
// every service client shares, and the provider under it.
type credentialRefresh struct {
	cache    *aws.CredentialsCache
	provider *refreshingCredentials
	profile  string // the profile the loader used, for the advice
}

// refused is called when AWS refused the credentials: the cache is
// dropped and the provider built again before the next request.
func (c *credentialRefresh) refused() {
	if c == nil || c.cache == nil {
		return
	}
	c.provider.invalidate()
	c.cache.Invalidate()
}

// credentialsAPIOptions installs the middleware that turns a refusal of
// the credentials into a *CredentialsError with the way to refresh them,
// and drops the cached credentials so the next call resolves them again.
func credentialsAPIOptions(c *credentialRefresh) []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Initialize.Add(credentialsMiddleware{refresh: c}, middleware.After)
	}}
}

type credentialsMiddleware struct {
	refresh *credentialRefresh
}

func (credentialsMiddleware) ID() string { return "rdsbgCredentials" }

func (m credentialsMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleInitialize(ctx, in)
	var apiErr smithy.APIError
	var credErr *CredentialsError
	switch {
	case err == nil || errors.As(err, &credErr):
	case errors.As(err, &apiErr) && credentialCode(apiErr.ErrorCode()):
		m.refresh.refused()
		err = &CredentialsError{Profile: m.refresh.profile, Refused: true, Err: err}
	}
	return out, md, err
}

// CredentialsAdvice is the way to refresh the credentials for an error of
// KindCredentials, "" for any other error.
func CredentialsAdvice(err error) string {
	var ce *CredentialsError
	if errors.As(err, &ce) {
		return ce.Advice()
	}
	if Classify(err) == KindCredentials {
		return (&CredentialsError{Refused: true}).Advice()
	}
	return ""
}
