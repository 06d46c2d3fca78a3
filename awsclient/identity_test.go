package awsclient

import "testing"

// The IAM policy's ARNs take the caller's partition: China and GovCloud
// accounts are not "aws".
func TestPartitionOfTheCallerARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::123456789012:user/dba":                    "aws",
		"arn:aws-cn:sts::123456789012:assumed-role/dba/session": "aws-cn",
		"arn:aws-us-gov:sts::123456789012:assumed-role/dba/s":   "aws-us-gov",
		"arn:aws-iso-b:iam::123456789012:role/dba":              "aws-iso-b",
		"not an arn": "",
		"":           "",
	} {
		if got := PartitionOf(arn); got != want {
			t.Errorf("PartitionOf(%q) = %q, want %q", arn, got, want)
		}
	}
}
