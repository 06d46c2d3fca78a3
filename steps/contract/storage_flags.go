package contract

import "fmt"

// StorageTypes are TargetStorageType's valid values (SDK docs).
var StorageTypes = []string{"gp2", "gp3", "io1", "io2"}

// storageFlag names each option by its flag, in flag order.
var storageFlags = [...]string{"--target-storage-type", "--target-allocated-storage", "--target-iops", "--target-storage-throughput"}

// HasStorageOptions reports whether any of the four is set.
func (o Options) HasStorageOptions() bool {
	return o.TargetStorageType != "" || o.TargetAllocatedStorage != 0 || o.TargetIops != 0 || o.TargetStorageThroughput != 0
}

// validateStorageOptions checks the four flags alone, before any AWS call
// (exit 2).
func validateStorageOptions(o Options) error {
	if t := o.TargetStorageType; t != "" && indexOfString(StorageTypes, t) < 0 {
		return UsageError("--target-storage-type", "--target-storage-type %q is not a storage type: use gp2, gp3, io1 or io2", t)
	}
	for _, n := range []struct {
		flag, unit string
		v          int32
	}{
		{"--target-allocated-storage", "GiB", o.TargetAllocatedStorage},
		{"--target-iops", "IOPS", o.TargetIops},
		{"--target-storage-throughput", "MiB/s", o.TargetStorageThroughput},
	} {
		if n.v < 0 {
			return UsageError(n.flag, "%s %d is negative: pass a size in %s, or leave the flag out to keep blue's", n.flag, n.v, n.unit)
		}
	}
	if o.TargetStorageThroughput != 0 && o.TargetStorageType != "" && o.TargetStorageType != "gp3" {
		return UsageError("--target-storage-throughput", "--target-storage-throughput applies to gp3 storage only, and --target-storage-type is %s", o.TargetStorageType)
	}
	if o.TargetIops != 0 && o.TargetStorageType == "gp2" {
		return UsageError("--target-iops", "--target-iops does not apply to gp2 storage (its IOPS follow its size): use --target-storage-type gp3, io1 or io2, or leave --target-iops out")
	}
	return nil
}

// StorageFlagValues are the options set, as (flag, value) pairs in flag
// order: the plan's rows, the create line's arguments and the wizard's
// flag line all come from here.
func StorageFlagValues(o Options) [][2]string {
	var rows [][2]string
	for i, v := range []string{o.TargetStorageType, num(o.TargetAllocatedStorage), num(o.TargetIops), num(o.TargetStorageThroughput)} {
		if v != "" {
			rows = append(rows, [2]string{storageFlags[i], v})
		}
	}
	return rows
}

// storageOptionLines are the options as plan rows ("flag value").
func storageOptionLines(o Options) [][2]string { return StorageFlagValues(o) }

func num(n int32) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func indexOfString(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
