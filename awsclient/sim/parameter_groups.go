package sim

import "strings"

// DescribeDBParameterGroups and DescribeDBClusterParameterGroups: the
// wizard's parameter-group picker lists the groups of the target family
// from them. Wire shapes from the SDK's deserializers (rds-facts §6):
// <DBParameterGroups><DBParameterGroup>… and
// <DBClusterParameterGroups><DBClusterParameterGroup>…; an item under any
// other element name would be dropped by the client. Both take an
// optional group name (unknown ⇒ DBParameterGroupNotFound, 404, for
// both), Marker and MaxRecords; Filters
// are documented as not supported and are ignored here.

type xmlDBParameterGroup struct {
	DBParameterGroupName   string
	DBParameterGroupFamily string
	Description            string
	DBParameterGroupArn    string
}

type xmlDBClusterParameterGroup struct {
	DBClusterParameterGroupName string
	DBParameterGroupFamily      string
	Description                 string
	DBClusterParameterGroupArn  string
}

type dbParameterGroupsResult struct {
	DBParameterGroups struct {
		Items []xmlDBParameterGroup `xml:"DBParameterGroup"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type dbClusterParameterGroupsResult struct {
	DBClusterParameterGroups struct {
		Items []xmlDBClusterParameterGroup `xml:"DBClusterParameterGroup"`
	}
	Marker string `xml:"Marker,omitempty"`
}

// parameterGroups are the groups of one level, in the state's order,
// narrowed to name when it is set.
func (s *Simulator) parameterGroups(name string, cluster bool) ([]*ParameterGroup, *apiError) {
	if name != "" {
		g := s.st.findParameterGroup(name, cluster)
		if g == nil {
			// DBParameterGroupNotFound for both: the only fault either
			// operation models (SDK deserializers), as for the parameters.
			return nil, fail(codeParameterGroupNotFound, "DBParameterGroup not found: %s", name)
		}
		return []*ParameterGroup{g}, nil
	}
	var out []*ParameterGroup
	for _, g := range s.st.ParameterGroups {
		if g.Cluster == cluster {
			out = append(out, g)
		}
	}
	return out, nil
}

func groupDescription(g *ParameterGroup) string {
	if strings.HasPrefix(g.Name, "default.") {
		return "Default parameter group for " + g.Family
	}
	return "rdsbg simulator: " + g.Name
}

func (s *Simulator) describeDBParameterGroups(c *call) (any, *apiError) {
	groups, err := s.parameterGroups(c.form.Get("DBParameterGroupName"), false)
	if err != nil {
		return nil, err
	}
	var items []xmlDBParameterGroup
	for _, g := range groups {
		items = append(items, xmlDBParameterGroup{DBParameterGroupName: g.Name, DBParameterGroupFamily: g.Family,
			Description: groupDescription(g), DBParameterGroupArn: "arn:aws:rds:" + s.st.Region + ":" + s.st.Account + ":pg:" + g.Name})
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r dbParameterGroupsResult
	r.DBParameterGroups.Items, r.Marker = page, marker
	return r, nil
}

func (s *Simulator) describeDBClusterParameterGroups(c *call) (any, *apiError) {
	groups, err := s.parameterGroups(c.form.Get("DBClusterParameterGroupName"), true)
	if err != nil {
		return nil, err
	}
	var items []xmlDBClusterParameterGroup
	for _, g := range groups {
		items = append(items, xmlDBClusterParameterGroup{DBClusterParameterGroupName: g.Name, DBParameterGroupFamily: g.Family,
			Description: groupDescription(g), DBClusterParameterGroupArn: "arn:aws:rds:" + s.st.Region + ":" + s.st.Account + ":cluster-pg:" + g.Name})
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r dbClusterParameterGroupsResult
	r.DBClusterParameterGroups.Items, r.Marker = page, marker
	return r, nil
}
