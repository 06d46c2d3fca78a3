package awsclient

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// RDSARN is an RDS resource's ARN, arn:<partition>:rds:<region>:<account>:
// <type>:<name> (db, cluster, db-proxy, deployment, …), parsed with the
// SDK's aws/arn rather than by hand.
type RDSARN struct {
	Partition, Region, Account string
	Type, Name                 string
}

// ParseRDSARN parses s; ok is false when s is not an ARN of the rds
// service with a <type>:<name> resource.
func ParseRDSARN(s string) (RDSARN, bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "rds" {
		return RDSARN{}, false
	}
	typ, name, found := strings.Cut(a.Resource, ":")
	if !found || typ == "" || name == "" {
		return RDSARN{}, false
	}
	return RDSARN{Partition: a.Partition, Region: a.Region, Account: a.AccountID, Type: typ, Name: name}, true
}

// String is the ARN in its wire form.
func (r RDSARN) String() string {
	return arn.ARN{Partition: r.Partition, Service: "rds", Region: r.Region, AccountID: r.Account, Resource: r.Type + ":" + r.Name}.String()
}
