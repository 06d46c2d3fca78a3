// Package awsclient is the only package that imports the AWS SDK. It loads
// the AWS configuration the way the AWS CLI does, talks to RDS and STS (or to
// any AWS-compatible endpoint such as the rdsbg simulator), converts SDK
// shapes to the domain types of types.go, classifies errors and records every
// call in a CallLog.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

const (
	// DefaultMaxAttempts is larger than the SDK's 3 because RDS throttles at
	// 12 requests/s per account and Region, shared with every console, CLI
	// and IaC user: a night-time run must ride out a busy neighbour rather
	// than fail a step.
	DefaultMaxAttempts = 8
	// maxRetryBackoff caps one retry delay (the SDK's own cap, stated here so
	// the wizard's worst-case wait is visible in one place).
	maxRetryBackoff = 20 * time.Second
	// attemptTimeout bounds one HTTP attempt; RDS answers in well under a
	// second, a page of 100 instances in a few.
	attemptTimeout = 60 * time.Second
	// simulatorRegion is used when the simulator is the endpoint and nothing
	// named a region: the simulator does not care, the SDK needs one.
	simulatorRegion = "us-east-1"
	// Static credentials for the simulator. They are not secrets: the
	// simulator ignores signatures, and these never reach AWS.
	simulatorAccessKeyID     = "rdsbg-simulator"
	simulatorSecretAccessKey = "rdsbg-simulator-not-a-secret"
)

// Options configures New.
type Options struct {
	Profile, Region, EndpointURL string
	// Simulator uses static dummy credentials, so no real credentials are
	// needed; main sets it for the demo and for loopback endpoints.
	Simulator bool
	// Clock measures call durations and retry backoff; default clock.Real{}.
	Clock clock.Clock
	// Calls receives one record per operation; may be nil.
	Calls *CallLog
	// MaxAttempts per operation including the first; 0 ⇒ DefaultMaxAttempts.
	MaxAttempts int
	// HTTPClient replaces the SDK's HTTP client (tests pass httptest's); it
	// is used as is: AWS_CA_BUNDLE and the attempt timeout do not apply.
	HTTPClient *http.Client
	// SDKLog receives the SDK's own log lines (retries, credential
	// warnings such as "falling back to IMDSv1"); nil silences them, so
	// they never land on the wizard's screen (main passes stderr with
	// --debug).
	SDKLog io.Writer
	// Pacer, when set, is the RDS and STS budget this client shares with
	// others in the same account and Region (a fleet's runs); nil ⇒ the
	// client's own, MaxRequestsPerSecond. MetricsPacer is the same for
	// CloudWatch.
	Pacer, MetricsPacer *Pacer
}

// Client implements API against RDS and STS, and Metrics against
// CloudWatch.
type Client struct {
	rds    *rds.Client
	sts    *sts.Client
	cw     *cloudwatch.Client
	sm     *secretsmanager.Client  // the database checks' proxy secret (dbaccess.go)
	creds  aws.CredentialsProvider // signs IAM database tokens (dbaccess.go)
	region string
}

var _ API = (*Client)(nil)

// New loads the AWS configuration with the SDK's default loader (profile,
// environment, SSO, shared files, as the AWS CLI does) and builds the RDS and
// STS clients. It makes no network call: credentials are resolved on the
// first request.
func New(ctx context.Context, o Options) (*Client, error) {
	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	maxAttempts := o.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	if o.EndpointURL != "" {
		if err := checkEndpointURL(o.EndpointURL); err != nil {
			return nil, err
		}
	}

	// One pacer for the RDS and STS clients: the rate is the account's,
	// not a service client's. CloudWatch has its own: its quotas are not
	// RDS's (GetMetricData alone allows far more per second), and a
	// metrics read must never push an RDS call of the critical section
	// behind the pacer (issue 11 item 7: the ready-check's last poll with
	// its metrics read, then the section's first calls, made twelve
	// requests within one second, and the switchover request waited a
	// whole second while the proxy was empty).
	pace := newPacer(clk, MaxRequestsPerSecond, MaxUrgentRequestsPerSecond, time.Second)
	cwPace := newPacer(clk, MaxRequestsPerSecond, MaxUrgentRequestsPerSecond, time.Second)
	if o.Pacer != nil {
		pace = o.Pacer.p
	}
	if o.MetricsPacer != nil {
		cwPace = o.MetricsPacer.p
	}
	loadOpts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return pace.retryer(newRetryer(maxAttempts, clk, o.Calls)) }),
		config.WithAPIOptions(callLogAPIOptions(clk, o.Calls)),
		config.WithAPIOptions(sanitizeAPIOptions()),
	}
	if o.SDKLog == nil {
		loadOpts = append(loadOpts, config.WithLogger(logging.Nop{}))
	} else {
		loadOpts = append(loadOpts, config.WithLogger(logging.NewStandardLogger(o.SDKLog)),
			config.WithClientLogMode(aws.LogRetries))
	}
	if o.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(o.Region))
	}
	// The SDK's client has connect and TLS timeouts but no limit on a whole
	// attempt: a half-open connection at night would hang a step for ever.
	// A timed-out attempt is retried like a refused one.
	loadOpts = append(loadOpts, config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(attemptTimeoutFor(clk))))
	if o.Simulator {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(simulatorAccessKeyID, simulatorSecretAccessKey, "")))
	}

	refresh := &credentialRefresh{profile: o.Profile}
	profile := o.Profile
	loadOpts = append(loadOpts, config.WithAPIOptions(credentialsAPIOptions(refresh)))
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, explainConfigError(o.Profile, err)
	}
	if o.HTTPClient != nil {
		// Set after loading, not through the loader: the loader can add
		// AWS_CA_BUNDLE only to the SDK's own client type and refuses any
		// other. An injected client owns its transport and its TLS trust.
		cfg.HTTPClient = o.HTTPClient
	}
	if cfg.Credentials != nil && !o.Simulator {
		if profile == "" && len(cfg.ConfigSources) > 0 {
			profile = profileFromSources(cfg.ConfigSources)
		}
		// One cache for every service client, over a provider that is built
		// again when AWS refuses what it gave (credentials.go).
		reloadOpts := append([]func(*config.LoadOptions) error(nil), loadOpts...)
		provider := &refreshingCredentials{profile: profile, inner: cfg.Credentials, reload: func(ctx context.Context) (aws.CredentialsProvider, error) {
			fresh, err := config.LoadDefaultConfig(ctx, reloadOpts...)
			if err != nil {
				return nil, err
			}
			return fresh.Credentials, nil
		}}
		refresh.provider, refresh.profile = provider, profile
		refresh.cache = aws.NewCredentialsCache(provider)
		cfg.Credentials = refresh.cache
	}
	if cfg.Region == "" {
		if !o.Simulator {
			return nil, errors.New("no AWS region: set --region, AWS_REGION, or region in the AWS profile")
		}
		cfg.Region = simulatorRegion
	}

	// The endpoint applies to every client: the simulator, moto and
	// LocalStack answer STS and CloudWatch on the same URL as RDS.
	endpoint := func(base **string) {
		if o.EndpointURL != "" {
			*base = aws.String(o.EndpointURL)
		}
	}
	return &Client{
		rds: rds.NewFromConfig(cfg, func(ro *rds.Options) { endpoint(&ro.BaseEndpoint) }),
		sts: sts.NewFromConfig(cfg, func(so *sts.Options) { endpoint(&so.BaseEndpoint) }),
		cw: cloudwatch.NewFromConfig(cfg, func(co *cloudwatch.Options) {
			endpoint(&co.BaseEndpoint)
			co.Retryer = cwPace.retryer(newRetryer(maxAttempts, clk))
		}),
		sm:     secretsmanager.NewFromConfig(cfg, func(so *secretsmanager.Options) { endpoint(&so.BaseEndpoint) }),
		creds:  cfg.Credentials,
		region: cfg.Region,
	}, nil
}

// Region is the region the client talks to.
func (c *Client) Region() string { return c.region }

func checkEndpointURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--endpoint-url %q: want an absolute http:// or https:// URL such as http://127.0.0.1:4566", raw)
	}
	return nil
}

// explainConfigError turns the loader's errors into ones that say what to fix.
func explainConfigError(profile string, err error) error {
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		name := missing.Profile
		if name == "" {
			name = profile
		}
		return fmt.Errorf("AWS profile %q not found in the AWS config or credentials file: check --profile, AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE: %w", name, err)
	}
	return fmt.Errorf("loading AWS configuration: %w", err)
}

// newRetryer is the SDK's standard retryer (which already retries
// Throttling, ThrottlingException, 5xx and transport errors) with more
// attempts and without the client-side retry quota: that token bucket
// protects high-volume services from retry storms, while rdsbg makes a few
// calls a minute and would rather keep retrying a throttled poll during
// the switchover than fail it because earlier calls were throttled too.
// Its backoff waits on clk when clk is not the wall clock, so a throttled
// call under a virtual clock costs no wall time and the waited time shows
// up in the call's Duration.
func newRetryer(maxAttempts int, clk clock.Clock, calls ...*CallLog) aws.RetryerV2 {
	var log *CallLog
	if len(calls) > 0 {
		log = calls[0]
	}
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.MaxBackoff = maxRetryBackoff
		so.RateLimiter = ratelimit.None
		jitter := retry.NewExponentialJitterBackoff(maxRetryBackoff)
		switch clk.(type) {
		case clock.Real, *clock.Real:
			so.Backoff = retry.BackoffDelayerFunc(func(attempt int, err error) (time.Duration, error) {
				d, derr := jitter.BackoffDelay(attempt, err)
				if derr == nil {
					log.RecordRetry(retryOf(attempt, maxAttempts, d, err, clk.Now()))
				}
				return d, derr
			})
			return
		}
		so.Backoff = retry.BackoffDelayerFunc(func(attempt int, err error) (time.Duration, error) {
			d, derr := jitter.BackoffDelay(attempt, err)
			if derr != nil {
				return 0, derr
			}
			log.RecordRetry(retryOf(attempt, maxAttempts, d, err, clk.Now()))
			// BackoffDelay has no context; the virtual and scaled clocks
			// return at once or after d/speed, so nothing blocks for long.
			_ = clk.Sleep(context.Background(), d)
			return 0, nil
		})
	})
}

// attemptTimeoutFor scales the attempt timeout with a clock that runs
// faster than the wall (the demo, tests against `rdsbg sim --speed X`), so
// that a black-holed connection costs the same simulated time as in real
// life; never below 2 s of wall time.
func attemptTimeoutFor(clk clock.Clock) time.Duration {
	s, ok := clk.(*clock.Scaled)
	if !ok || s.Speed() <= 1 {
		return attemptTimeout
	}
	return max(2*time.Second, time.Duration(float64(attemptTimeout)/s.Speed()))
}

// profileFromSources finds the profile the loader used (AWS_PROFILE), so
// that a credentials error can name it.
func profileFromSources(sources []any) string {
	for _, src := range sources {
		if env, ok := src.(config.EnvConfig); ok && env.SharedConfigProfile != "" {
			return env.SharedConfigProfile
		}
	}
	return ""
}
