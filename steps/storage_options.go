package steps

import (
	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// The newer storage options of CreateBlueGreenDeployment (SDK v1.91.0,
// rds-facts §1.1): TargetIops, TargetStorageType, TargetAllocatedStorage,
// TargetStorageThroughput. They change the green primary's storage and
// apply to RDS DB instances only ("This setting doesn't apply to Amazon
// Aurora blue/green deployments", SDK docs). rdsbg checks here only what
// the model and the SDK documentation state; sizes and IOPS ratios are
// AWS's to judge at creation.

// checkStorageOptionsApply refuses the options where they mean nothing:
// on an Aurora cluster, whose storage is the cluster volume.
func checkStorageOptionsApply(d preflight.Discovery, o contract.Options) error {
	if d.Source.Kind != contract.KindCluster || !o.HasStorageOptions() {
		return nil
	}
	flag := contract.StorageFlagValues(o)[0][0] // the first set, in flag order
	return contract.UsageError(flag, "%s applies to RDS DB instances only, and %s is an Aurora cluster (its storage is the cluster volume): leave the storage flags out", flag, d.Source.ID)
}

// withStorageOptions copies the four options into the create call.
func withStorageOptions(in awsclient.CreateDeploymentInput, o contract.Options) awsclient.CreateDeploymentInput {
	in.TargetStorageType = o.TargetStorageType
	in.TargetAllocatedStorage = o.TargetAllocatedStorage
	in.TargetIops = o.TargetIops
	in.TargetStorageThroughput = o.TargetStorageThroughput
	return in
}

// storageCLIArgs are the options as create-blue-green-deployment flags
// (the AWS CLI's names are rdsbg's).
func storageCLIArgs(o contract.Options) []string {
	var args []string
	for _, fv := range contract.StorageFlagValues(o) {
		args = append(args, fv[0], contract.ShellQuote(fv[1]))
	}
	return args
}
