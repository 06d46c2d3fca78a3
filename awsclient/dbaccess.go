package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The credentials of the database checks (issue 22): the secret the RDS
// Proxy itself uses (DescribeDBProxies' Auth[].SecretArn, read with
// secretsmanager:GetSecretValue) and IAM database authentication tokens
// (rds-db:connect). Secrets are returned to the caller only: never logged,
// never put into an error.

// ProxyAuth is one DescribeDBProxies Auth entry.
type ProxyAuth struct {
	AuthScheme string `json:"auth_scheme,omitempty"` // SECRETS
	SecretARN  string `json:"secret_arn,omitempty"`
	IAMAuth    string `json:"iam_auth,omitempty"` // DISABLED, REQUIRED, ENABLED
	UserName   string `json:"user_name,omitempty"`
}

// Secrets reads Secrets Manager.
type Secrets interface {
	// GetSecretString returns the secret's current SecretString.
	GetSecretString(ctx context.Context, secretID string) (string, error)
}

// DBAuth makes IAM database authentication tokens.
type DBAuth interface {
	// DBAuthToken signs a token for user at endpoint (host:port) with the
	// client's credentials and Region; it is valid for 15 minutes.
	DBAuthToken(ctx context.Context, endpoint, user string) (string, error)
}

// GetSecretString implements Secrets. The error names the secret, never
// its value.
func (c *Client) GetSecretString(ctx context.Context, secretID string) (string, error) {
	out, err := c.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secret %s has no SecretString (a binary secret cannot hold database credentials)", secretID)
	}
	return *out.SecretString, nil
}

// DBAuthToken implements DBAuth.
func (c *Client) DBAuthToken(ctx context.Context, endpoint, user string) (string, error) {
	if _, port, err := net.SplitHostPort(endpoint); err != nil || port == "" {
		return "", errors.New("an IAM token needs the endpoint as host:port")
	} else if _, err := strconv.Atoi(port); err != nil {
		return "", errors.New("an IAM token needs a numeric port")
	}
	return auth.BuildAuthToken(ctx, endpoint, c.region, user, c.creds)
}
