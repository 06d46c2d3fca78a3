package sim

import (
	"net/url"
	"strconv"
)

// The newer storage parameters of CreateBlueGreenDeployment (TargetIops,
// TargetStorageType, TargetAllocatedStorage, TargetStorageThroughput;
// rds-facts §1.1). They apply to the green primary of an RDS DB instance
// only. The checks are those the SDK documentation states; the fault
// codes AWS uses for them are not documented: InvalidParameterValue for a
// bad value and InvalidParameterCombination for a parameter that does not
// fit the source are the common query errors (rds-facts §3) [unverified].

// targetStorage is what the request asked for; zero values keep blue's.
type targetStorage struct {
	StorageType string
	Allocated   int
	Iops        int
	Throughput  int
}

func (t targetStorage) set() bool {
	return t.StorageType != "" || t.Allocated != 0 || t.Iops != 0 || t.Throughput != 0
}

// apply gives green's primary the requested storage.
func (t targetStorage) apply(green *Instance) {
	if t.StorageType != "" {
		green.StorageType = t.StorageType
	}
	if t.Allocated != 0 {
		green.AllocatedStorage = t.Allocated
	}
	if t.Iops != 0 {
		green.Iops = t.Iops
	}
	if t.Throughput != 0 {
		green.StorageThroughput = t.Throughput
	}
}

// targetStorageParams reads and checks the four parameters.
func targetStorageParams(form url.Values, cluster bool) (targetStorage, *apiError) {
	var t targetStorage
	t.StorageType = form.Get("TargetStorageType")
	switch t.StorageType {
	case "", "gp2", "gp3", "io1", "io2":
	default:
		return t, fail(codeInvalidParameterValue, "Invalid storage type: %s. Valid values: gp2, gp3, io1, io2.", t.StorageType)
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"TargetAllocatedStorage", &t.Allocated}, {"TargetIops", &t.Iops}, {"TargetStorageThroughput", &t.Throughput}} {
		v := form.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return t, fail(codeInvalidParameterValue, "Invalid value for %s: %q.", p.name, v)
		}
		*p.dst = n
	}
	if cluster && t.set() {
		return t, fail(codeInvalidParameterCombination, "TargetIops, TargetStorageType, TargetAllocatedStorage and TargetStorageThroughput don't apply to Aurora blue/green deployments.")
	}
	if t.Throughput != 0 && t.StorageType != "" && t.StorageType != "gp3" {
		return t, fail(codeInvalidParameterCombination, "TargetStorageThroughput applies only to the gp3 storage type, not %s.", t.StorageType)
	}
	return t, nil
}
