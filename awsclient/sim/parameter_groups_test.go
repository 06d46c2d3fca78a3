package sim_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// The SDK reads every group (its deserializer drops items under any other
// element name than DBParameterGroup / DBClusterParameterGroup), pages
// through Marker, and maps an unknown name to the typed faults.
func TestDescribeParameterGroups(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	families := map[string]string{}
	p := rds.NewDescribeDBParameterGroupsPaginator(e.rds, &rds.DescribeDBParameterGroupsInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.DBParameterGroups {
			families[aws.ToString(g.DBParameterGroupName)] = aws.ToString(g.DBParameterGroupFamily)
			if aws.ToString(g.DBParameterGroupArn) == "" {
				t.Errorf("%s has no ARN", aws.ToString(g.DBParameterGroupName))
			}
		}
	}
	if families["ledger-apg15"] != "aurora-postgresql15" || families["default.aurora-postgresql16"] != "aurora-postgresql16" {
		t.Fatalf("DB parameter groups %v", families)
	}
	if _, ok := families["ledger-apg15-cluster"]; ok {
		t.Fatal("a cluster group listed as a DB parameter group")
	}
	out, err := e.rds.DescribeDBClusterParameterGroups(ctx(), &rds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String("ledger-apg15-cluster")})
	if err != nil || len(out.DBClusterParameterGroups) != 1 || aws.ToString(out.DBClusterParameterGroups[0].DBParameterGroupFamily) != "aurora-postgresql15" {
		t.Fatalf("cluster group: %v %+v", err, out)
	}
	_, err = e.rds.DescribeDBParameterGroups(ctx(), &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String("ghost")})
	requireFault[*types.DBParameterGroupNotFoundFault](t, err)
	_, err = e.rds.DescribeDBClusterParameterGroups(ctx(), &rds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String("ghost")})
	requireFault[*types.DBParameterGroupNotFoundFault](t, err)
}
