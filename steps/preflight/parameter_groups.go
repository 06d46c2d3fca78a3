package preflight

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// What green's parameter groups become, and which groups can be chosen.
//
// Left empty, CreateBlueGreenDeployment gives each green instance the
// parameter group of its blue instance, and the green cluster blue's DB
// cluster parameter group (RDS and Aurora user guides, "Making changes in
// the green environment", UG2023). A major upgrade changes the parameter
// group family, which blue's group cannot serve: green then gets the
// default group of the new family, default.<family> (AWS re:Post answer on
// blue/green major upgrades; the simulator does the same). The wizard's
// form and the preflight check say it with the same words, from here.

// EmptyGroupMeaning says what AWS does with green's DB parameter group
// (cluster: DB cluster parameter group) when the flag is left empty.
// major is a major upgrade; family, when known, is the new family.
func EmptyGroupMeaning(cluster, major bool, family string) string {
	what, whose := "green", "parameter group"
	if cluster {
		what, whose = "the green cluster", "DB cluster parameter group"
	}
	if major {
		def := "the default " + whose + " of the new family"
		if family != "" {
			def += " (default." + family + ")"
		}
		return fmt.Sprintf("Empty: a major upgrade gives %s %s: custom settings of blue's group do not carry over.", what, def)
	}
	if cluster {
		return "Empty: the green cluster keeps blue's DB cluster parameter group."
	}
	return "Empty: each green instance keeps the parameter group of its blue instance."
}

// ParameterGroupCatalog lists the parameter groups that exist, by family,
// and the family of each engine version: the wizard picks green's groups
// from those of the target version's family.
type ParameterGroupCatalog struct {
	Families map[string]string   `json:"families"` // engine version → DBParameterGroupFamily
	DB       map[string][]string `json:"db"`       // family → DB parameter group names, sorted
	Cluster  map[string][]string `json:"cluster"`  // family → DB cluster parameter group names, sorted
}

// Groups are the groups of version's family (cluster: the cluster-level
// ones) and the family, "" when the catalogue does not know the version.
func (c ParameterGroupCatalog) Groups(version string, cluster bool) (family string, names []string) {
	family = c.Families[version]
	if family == "" {
		return "", nil
	}
	if cluster {
		return family, c.Cluster[family]
	}
	return family, c.DB[family]
}

// LoadParameterGroupCatalog reads the engine's versions (one paginated
// DescribeDBEngineVersions) and every DB parameter group (and, for an
// Aurora cluster, every DB cluster parameter group): two or three reads
// whatever the number of target versions.
func LoadParameterGroupCatalog(ctx context.Context, api interface {
	awsclient.EngineVersions
	awsclient.Parameters
}, engine string, cluster bool) (ParameterGroupCatalog, error) {
	c := ParameterGroupCatalog{Families: map[string]string{}, DB: map[string][]string{}, Cluster: map[string][]string{}}
	versions, err := api.ListEngineVersions(ctx, engine)
	if err != nil {
		return c, fmt.Errorf("list %s engine versions: %w", engine, err)
	}
	for _, v := range versions {
		c.Families[v.Version] = v.Family
	}
	levels := []bool{false}
	if cluster {
		levels = append(levels, true)
	}
	for _, level := range levels {
		groups, err := api.ListParameterGroups(ctx, level)
		if err != nil {
			op := "DescribeDBParameterGroups"
			if level {
				op = "DescribeDBClusterParameterGroups"
			}
			return c, fmt.Errorf("%s: %w", op, err)
		}
		dst := c.DB
		if level {
			dst = c.Cluster
		}
		for _, g := range groups {
			dst[g.Family] = append(dst[g.Family], g.Name)
		}
		for f := range dst {
			sort.Strings(dst[f])
		}
	}
	return c, nil
}

// groupsApplied says when AWS checks the target groups' family, for
// preflight's refusal.
func groupsApplied(o contract.Options, major bool) string {
	if o.GroupsAtCreate(major) {
		return "when the deployment is created"
	}
	return "when green is upgraded (--upgrade-via modify: green is created on blue's version, then upgraded with these groups)"
}

// customGroupFamilyMismatch checks the family of the target groups the
// flags name against green's family, by listing the groups
// (DescribeDBParameterGroups / DescribeDBClusterParameterGroups): AWS
// refuses a group of another family at creation, which in the detach
// procedure comes after the proxy was emptied; when says at which call
// (groupsApplied). "" when they fit, when a group is not listed (the
// existence check reports it), or when the list cannot be read (the create
// call still checks).
func customGroupFamilyMismatch(ctx context.Context, api awsclient.Parameters, o contract.Options, family, when string) string {
	for _, g := range []struct {
		name, flag string
		cluster    bool
	}{
		{o.TargetDBParameterGroupName, "--target-db-parameter-group-name", false},
		{o.TargetDBClusterParameterGroupName, "--target-db-cluster-parameter-group-name", true},
	} {
		if g.name == "" {
			continue
		}
		groups, err := api.ListParameterGroups(ctx, g.cluster)
		if err != nil {
			continue
		}
		for _, have := range groups {
			if strings.EqualFold(have.Name, g.name) && have.Family != "" && have.Family != family {
				return fmt.Sprintf("%s %s is of family %s, but green needs family %s: AWS refuses it %s.", g.flag, g.name, have.Family, family, when)
			}
		}
	}
	return ""
}
