package awsclient

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// Every domain field is filled from hand-written XML that uses the real
// list item element names (rds-facts.md §6); a wrong element name would
// silently drop items, so each list has at least one item here.

const fullInstanceXML = `<DBInstances><DBInstance>
<DBInstanceIdentifier>orders-db</DBInstanceIdentifier>
<DBInstanceArn>arn:aws:rds:us-east-1:123456789012:db:orders-db</DBInstanceArn>
<DbiResourceId>db-ABCDEFGHIJKL</DbiResourceId>
<Engine>postgres</Engine><EngineVersion>14.12</EngineVersion>
<DBInstanceStatus>storage-initialization</DBInstanceStatus>
<DBInstanceClass>db.r6g.large</DBInstanceClass>
<ReadReplicaSourceDBInstanceIdentifier>orders-src</ReadReplicaSourceDBInstanceIdentifier>
<ReadReplicaDBInstanceIdentifiers><ReadReplicaDBInstanceIdentifier>orders-r1</ReadReplicaDBInstanceIdentifier><ReadReplicaDBInstanceIdentifier>orders-r2</ReadReplicaDBInstanceIdentifier></ReadReplicaDBInstanceIdentifiers>
<MultiAZ>true</MultiAZ><BackupRetentionPeriod>7</BackupRetentionPeriod>
<DBParameterGroups><DBParameterGroup><DBParameterGroupName>orders-pg14</DBParameterGroupName><ParameterApplyStatus>pending-reboot</ParameterApplyStatus></DBParameterGroup></DBParameterGroups>
<OptionGroupMemberships><OptionGroupMembership><OptionGroupName>default:postgres-14</OptionGroupName><Status>in-sync</Status></OptionGroupMembership></OptionGroupMemberships>
<DeletionProtection>true</DeletionProtection>
<MasterUserSecret><SecretArn>arn:aws:secretsmanager:us-east-1:123456789012:secret:x</SecretArn><SecretStatus>active</SecretStatus></MasterUserSecret>
<StorageEncrypted>true</StorageEncrypted>
<Endpoint><Address>orders-db.abc.us-east-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>
<PercentProgress>42</PercentProgress>
</DBInstance><DBInstance>
<DBInstanceIdentifier>aurora-1</DBInstanceIdentifier><DBClusterIdentifier>aurora</DBClusterIdentifier><DbInstancePort>3306</DbInstancePort>
</DBInstance></DBInstances>`

func TestInstanceConversion(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBInstances", fixed("DescribeDBInstances", fullInstanceXML, "r"))
	c := wireClient(t, srv, clk, nil, 0)
	got, err := c.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Instance{{
		ID: "orders-db", ARN: "arn:aws:rds:us-east-1:123456789012:db:orders-db", ResourceID: "db-ABCDEFGHIJKL",
		Engine: "postgres", EngineVersion: "14.12", Status: "storage-initialization", Class: "db.r6g.large",
		ReplicaSourceID: "orders-src", ReplicaIDs: []string{"orders-r1", "orders-r2"}, MultiAZ: true, BackupRetentionDays: 7,
		ParameterGroups: []ParameterGroupStatus{{Name: "orders-pg14", ApplyStatus: "pending-reboot"}},
		OptionGroups:    []string{"default:postgres-14"}, DeletionProtection: true, ManagedMasterSecret: true,
		StorageEncrypted: true, Endpoint: "orders-db.abc.us-east-1.rds.amazonaws.com", Port: 5432, PercentProgress: "42",
	}, {
		ID: "aurora-1", ClusterID: "aurora", Port: 3306,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("instances =\n%+v\nwant\n%+v", got, want)
	}
}

const fullClusterXML = `<DBClusters><DBCluster>
<DBClusterIdentifier>shop</DBClusterIdentifier><DBClusterArn>arn:aws:rds:us-east-1:123456789012:cluster:shop</DBClusterArn>
<DbClusterResourceId>cluster-XYZ</DbClusterResourceId><Engine>aurora-postgresql</Engine><EngineVersion>15.4</EngineVersion>
<EngineMode>provisioned</EngineMode><Status>available</Status>
<DBClusterMembers>
 <DBClusterMember><DBInstanceIdentifier>shop-1</DBInstanceIdentifier><IsClusterWriter>true</IsClusterWriter></DBClusterMember>
 <DBClusterMember><DBInstanceIdentifier>shop-2</DBInstanceIdentifier><IsClusterWriter>false</IsClusterWriter></DBClusterMember>
</DBClusterMembers>
<DBClusterParameterGroup>shop-cpg15</DBClusterParameterGroup><GlobalClusterIdentifier>shop-global</GlobalClusterIdentifier>
<MasterUserSecret><SecretArn>arn:x</SecretArn></MasterUserSecret><DeletionProtection>true</DeletionProtection>
<BackupRetentionPeriod>14</BackupRetentionPeriod><Endpoint>shop.cluster-abc.rds.amazonaws.com</Endpoint>
<ReaderEndpoint>shop.cluster-ro-abc.rds.amazonaws.com</ReaderEndpoint>
<CustomEndpoints><member>reports.cluster-custom-abc.rds.amazonaws.com</member></CustomEndpoints>
<StorageEncrypted>true</StorageEncrypted>
</DBCluster></DBClusters>`

func TestClusterConversion(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBClusters", fixed("DescribeDBClusters", fullClusterXML, "r"))
	c := wireClient(t, srv, clk, nil, 0)
	got, err := c.DescribeCluster(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	want := Cluster{
		ID: "shop", ARN: "arn:aws:rds:us-east-1:123456789012:cluster:shop", ResourceID: "cluster-XYZ",
		Engine: "aurora-postgresql", EngineVersion: "15.4", EngineMode: "provisioned", Status: "available",
		Members:        []ClusterMember{{InstanceID: "shop-1", Writer: true}, {InstanceID: "shop-2"}},
		ParameterGroup: "shop-cpg15", GlobalClusterID: "shop-global", ManagedMasterSecret: true, DeletionProtection: true,
		BackupRetentionDays: 14, Endpoint: "shop.cluster-abc.rds.amazonaws.com", ReaderEndpoint: "shop.cluster-ro-abc.rds.amazonaws.com",
		CustomEndpoints: []string{"reports.cluster-custom-abc.rds.amazonaws.com"}, StorageEncrypted: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cluster =\n%+v\nwant\n%+v", got, want)
	}
	if got.Writer() != "shop-1" {
		t.Errorf("Writer = %q", got.Writer())
	}
	if req := ws.requests("DescribeDBClusters"); len(req) != 1 || req[0].Get("DBClusterIdentifier") != "shop" {
		t.Errorf("request = %v", req)
	}
}

const deploymentXML = `<BlueGreenDeployment>
<BlueGreenDeploymentIdentifier>bgd-clyvb1zv1geqensv</BlueGreenDeploymentIdentifier>
<BlueGreenDeploymentName>my-bgd</BlueGreenDeploymentName>
<Source>arn:aws:rds:us-west-2:123456789012:db:database-1</Source>
<Target>arn:aws:rds:us-west-2:123456789012:db:database-1-green-mhv83d</Target>
<Status>PROVISIONING</Status><StatusDetails>creating green</StatusDetails>
<SwitchoverDetails><member><SourceMember>arn:aws:rds:us-west-2:123456789012:db:database-1</SourceMember>
<TargetMember>arn:aws:rds:us-west-2:123456789012:db:database-1-green-mhv83d</TargetMember><Status>PROVISIONING</Status></member></SwitchoverDetails>
<Tasks><member><Name>CREATING_READ_REPLICA_OF_SOURCE</Name><Status>IN_PROGRESS</Status></member>
<member><Name>DB_ENGINE_VERSION_UPGRADE</Name><Status>PENDING</Status></member></Tasks>
<CreateTime>2023-01-10T20:08:48.940Z</CreateTime><DeleteTime>2023-01-10T20:40:00Z</DeleteTime>
</BlueGreenDeployment>`

func wantDeployment() Deployment {
	return Deployment{
		ID: "bgd-clyvb1zv1geqensv", Name: "my-bgd",
		Source: "arn:aws:rds:us-west-2:123456789012:db:database-1", Target: "arn:aws:rds:us-west-2:123456789012:db:database-1-green-mhv83d",
		Status: "PROVISIONING", StatusDetails: "creating green",
		Members: []SwitchoverMember{{
			Source: "arn:aws:rds:us-west-2:123456789012:db:database-1",
			Target: "arn:aws:rds:us-west-2:123456789012:db:database-1-green-mhv83d", Status: "PROVISIONING",
		}},
		Tasks:      []Task{{Name: "CREATING_READ_REPLICA_OF_SOURCE", Status: "IN_PROGRESS"}, {Name: "DB_ENGINE_VERSION_UPGRADE", Status: "PENDING"}},
		CreateTime: time.Date(2023, 1, 10, 20, 8, 48, 940e6, time.UTC),
		DeleteTime: time.Date(2023, 1, 10, 20, 40, 0, 0, time.UTC),
	}
}

func TestDeploymentConversionAndRequests(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	listed := "<BlueGreenDeployments><member>" + deploymentXML[len("<BlueGreenDeployment>"):len(deploymentXML)-len("</BlueGreenDeployment>")] + "</member></BlueGreenDeployments>"
	ws.on("DescribeBlueGreenDeployments", fixed("DescribeBlueGreenDeployments", listed, "r"))
	for _, op := range []string{"CreateBlueGreenDeployment", "SwitchoverBlueGreenDeployment", "DeleteBlueGreenDeployment"} {
		ws.on(op, fixed(op, deploymentXML, "r"))
	}
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 0)
	ctx := context.Background()

	created, err := c.CreateDeployment(ctx, CreateDeploymentInput{
		Name: "my-bgd", SourceARN: "arn:aws:rds:us-west-2:123456789012:db:database-1", TargetEngineVersion: "16.4",
		UpgradeTargetStorageConfig: true, Tags: map[string]string{"team": "db", "change": "CHG-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	described, err := c.DescribeDeployment(ctx, "bgd-clyvb1zv1geqensv")
	if err != nil {
		t.Fatal(err)
	}
	listedAll, err := c.ListDeployments(ctx, "arn:aws:rds:us-west-2:123456789012:db:database-1")
	if err != nil {
		t.Fatal(err)
	}
	switched, err := c.SwitchoverDeployment(ctx, "bgd-clyvb1zv1geqensv", 600*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := c.DeleteDeployment(ctx, "bgd-clyvb1zv1geqensv", true)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]Deployment{"create": created, "describe": described, "switchover": switched, "delete": deleted} {
		if !reflect.DeepEqual(got, wantDeployment()) {
			t.Errorf("%s: deployment =\n%+v\nwant\n%+v", name, got, wantDeployment())
		}
	}
	if len(listedAll) != 1 || !reflect.DeepEqual(listedAll[0], wantDeployment()) {
		t.Errorf("list = %+v", listedAll)
	}

	expectForm(t, ws.requests("CreateBlueGreenDeployment")[0], map[string]string{
		"BlueGreenDeploymentName": "my-bgd", "Source": "arn:aws:rds:us-west-2:123456789012:db:database-1",
		"TargetEngineVersion": "16.4", "UpgradeTargetStorageConfig": "true",
		"Tags.Tag.1.Key": "change", "Tags.Tag.1.Value": "CHG-1", "Tags.Tag.2.Key": "team", "Tags.Tag.2.Value": "db",
	})
	expectForm(t, ws.requests("DescribeBlueGreenDeployments")[1], map[string]string{
		"Filters.Filter.1.Name": "source", "Filters.Filter.1.Values.Value.1": "arn:aws:rds:us-west-2:123456789012:db:database-1",
	})
	expectForm(t, ws.requests("SwitchoverBlueGreenDeployment")[0], map[string]string{
		"BlueGreenDeploymentIdentifier": "bgd-clyvb1zv1geqensv", "SwitchoverTimeout": "600",
	})
	expectForm(t, ws.requests("DeleteBlueGreenDeployment")[0], map[string]string{
		"BlueGreenDeploymentIdentifier": "bgd-clyvb1zv1geqensv", "DeleteTarget": "true",
	})

	var mutating []string
	for _, call := range calls.Recent(10) {
		if call.Mutating {
			mutating = append(mutating, call.Operation)
		}
	}
	if !reflect.DeepEqual(mutating, []string{"CreateBlueGreenDeployment", "SwitchoverBlueGreenDeployment", "DeleteBlueGreenDeployment"}) {
		t.Errorf("mutating calls = %v", mutating)
	}
}

// expectForm checks that form holds exactly want plus Action and Version:
// nothing unasked-for is sent.
func expectForm(t *testing.T, form url.Values, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for k, v := range form {
		if k == "Action" || k == "Version" {
			continue
		}
		got[k] = v[0]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s request =\n%v\nwant\n%v", form.Get("Action"), got, want)
	}
}

func TestOptionalDeploymentParametersAreNotSent(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	for _, op := range []string{"CreateBlueGreenDeployment", "SwitchoverBlueGreenDeployment", "DeleteBlueGreenDeployment"} {
		ws.on(op, fixed(op, deploymentXML, "r"))
	}
	c := wireClient(t, srv, clk, nil, 0)
	ctx := context.Background()
	if _, err := c.CreateDeployment(ctx, CreateDeploymentInput{Name: "n", SourceARN: "arn:aws:rds:us-east-1:1:db:a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SwitchoverDeployment(ctx, "bgd-1", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteDeployment(ctx, "bgd-1", false); err != nil {
		t.Fatal(err)
	}
	expectForm(t, ws.requests("CreateBlueGreenDeployment")[0], map[string]string{"BlueGreenDeploymentName": "n", "Source": "arn:aws:rds:us-east-1:1:db:a"})
	expectForm(t, ws.requests("SwitchoverBlueGreenDeployment")[0], map[string]string{"BlueGreenDeploymentIdentifier": "bgd-1"})
	expectForm(t, ws.requests("DeleteBlueGreenDeployment")[0], map[string]string{"BlueGreenDeploymentIdentifier": "bgd-1"})
}

const proxiesXML = `<DBProxies><member><DBProxyName>orders-proxy</DBProxyName>
<DBProxyArn>arn:aws:rds:us-east-1:123456789012:db-proxy:prx-0123456789abcdef0</DBProxyArn><Status>available</Status>
<EngineFamily>POSTGRESQL</EngineFamily><Endpoint>orders-proxy.proxy-abc.us-east-1.rds.amazonaws.com</Endpoint><VpcId>vpc-1</VpcId>
</member></DBProxies>`

const targetGroupsXML = `<TargetGroups><member><DBProxyName>orders-proxy</DBProxyName><TargetGroupName>default</TargetGroupName>
<TargetGroupArn>arn:aws:rds:us-east-1:123456789012:target-group:prx-tg-1</TargetGroupArn><Status>available</Status><IsDefault>true</IsDefault>
</member></TargetGroups>`

const clusterTargetsXML = `<member><TargetArn>arn:aws:rds:us-east-1:123456789012:cluster:shop</TargetArn><RdsResourceId>shop</RdsResourceId>
<Port>0</Port><Type>TRACKED_CLUSTER</Type><Role>UNKNOWN</Role><TargetHealth><State>REGISTERING</State></TargetHealth></member>
<member><TargetArn>arn:aws:rds:us-east-1:123456789012:db:shop-1</TargetArn><Endpoint>shop-1.abc.rds.amazonaws.com</Endpoint>
<TrackedClusterId>shop</TrackedClusterId><RdsResourceId>shop-1</RdsResourceId><Port>5432</Port><Type>RDS_INSTANCE</Type><Role>READ_WRITE</Role>
<TargetHealth><State>UNAVAILABLE</State><Reason>PENDING_PROXY_CAPACITY</Reason><Description>DBProxy Target is waiting for proxy to scale to desired capacity</Description></TargetHealth></member>`

func wantClusterTargets() []ProxyTarget {
	return []ProxyTarget{{
		ProxyName: "orders-proxy", TargetARN: "arn:aws:rds:us-east-1:123456789012:cluster:shop", Type: "TRACKED_CLUSTER",
		RdsResourceID: "shop", Role: "UNKNOWN", Health: TargetHealth{State: "REGISTERING"},
	}, {
		ProxyName: "orders-proxy", TargetARN: "arn:aws:rds:us-east-1:123456789012:db:shop-1", Type: "RDS_INSTANCE",
		RdsResourceID: "shop-1", TrackedClusterID: "shop", Endpoint: "shop-1.abc.rds.amazonaws.com", Port: 5432, Role: "READ_WRITE",
		Health: TargetHealth{State: "UNAVAILABLE", Reason: "PENDING_PROXY_CAPACITY", Description: "DBProxy Target is waiting for proxy to scale to desired capacity"},
	}}
}

func TestProxyConversionAndRequests(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBProxies", fixed("DescribeDBProxies", proxiesXML, "r"))
	ws.on("DescribeDBProxyTargetGroups", fixed("DescribeDBProxyTargetGroups", targetGroupsXML, "r"))
	ws.on("DescribeDBProxyTargets", fixed("DescribeDBProxyTargets", "<Targets>"+clusterTargetsXML+"</Targets>", "r"))
	ws.on("RegisterDBProxyTargets", fixed("RegisterDBProxyTargets", "<DBProxyTargets>"+clusterTargetsXML+"</DBProxyTargets>", "r"))
	ws.on("DeregisterDBProxyTargets", fixed("DeregisterDBProxyTargets", "", "r"))
	c := wireClient(t, srv, clk, nil, 0)
	ctx := context.Background()

	proxies, err := c.ListProxies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantProxy := Proxy{
		Name: "orders-proxy", ARN: "arn:aws:rds:us-east-1:123456789012:db-proxy:prx-0123456789abcdef0", Status: "available",
		EngineFamily: "POSTGRESQL", Endpoint: "orders-proxy.proxy-abc.us-east-1.rds.amazonaws.com", VpcID: "vpc-1",
	}
	if len(proxies) != 1 || !reflect.DeepEqual(proxies[0], wantProxy) {
		t.Errorf("proxies = %+v", proxies)
	}
	groups, err := c.DescribeTargetGroups(ctx, "orders-proxy")
	if err != nil {
		t.Fatal(err)
	}
	wantGroup := TargetGroup{ProxyName: "orders-proxy", Name: "default", ARN: "arn:aws:rds:us-east-1:123456789012:target-group:prx-tg-1", Status: "available", IsDefault: true}
	if len(groups) != 1 || groups[0] != wantGroup {
		t.Errorf("target groups = %+v", groups)
	}
	targets, err := c.DescribeProxyTargets(ctx, "orders-proxy")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(targets, wantClusterTargets()) {
		t.Errorf("targets =\n%+v\nwant\n%+v", targets, wantClusterTargets())
	}
	registered, err := c.RegisterTargets(ctx, "orders-proxy", TargetRef{ClusterID: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(registered, wantClusterTargets()) {
		t.Errorf("registered =\n%+v", registered)
	}
	if err := c.DeregisterTargets(ctx, "orders-proxy", TargetRef{InstanceID: "orders-db"}); err != nil {
		t.Fatal(err)
	}
	expectForm(t, ws.requests("DescribeDBProxyTargets")[0], map[string]string{"DBProxyName": "orders-proxy"})
	expectForm(t, ws.requests("RegisterDBProxyTargets")[0], map[string]string{"DBProxyName": "orders-proxy", "DBClusterIdentifiers.member.1": "shop"})
	expectForm(t, ws.requests("DeregisterDBProxyTargets")[0], map[string]string{"DBProxyName": "orders-proxy", "DBInstanceIdentifiers.member.1": "orders-db"})

	// A target must name exactly one thing; nothing is sent otherwise.
	for _, bad := range []TargetRef{{}, {InstanceID: "a", ClusterID: "b"}} {
		if _, err := c.RegisterTargets(ctx, "orders-proxy", bad); err == nil {
			t.Errorf("RegisterTargets(%+v) accepted", bad)
		}
		if err := c.DeregisterTargets(ctx, "orders-proxy", bad); err == nil {
			t.Errorf("DeregisterTargets(%+v) accepted", bad)
		}
	}
	if n := len(ws.requests("RegisterDBProxyTargets")) + len(ws.requests("DeregisterDBProxyTargets")); n != 2 {
		t.Errorf("invalid targets reached the server: %d register/deregister requests", n)
	}
}

const engineVersionsXML = `<DBEngineVersions>
<DBEngineVersion><Engine>postgres</Engine><EngineVersion>14.12</EngineVersion><MajorEngineVersion>14</MajorEngineVersion>
<DBParameterGroupFamily>postgres14</DBParameterGroupFamily><Status>available</Status>
<ValidUpgradeTarget>
<UpgradeTarget><Engine>postgres</Engine><EngineVersion>14.13</EngineVersion><Description>PostgreSQL 14.13-R1</Description><IsMajorVersionUpgrade>false</IsMajorVersionUpgrade></UpgradeTarget>
<UpgradeTarget><Engine>postgres</Engine><EngineVersion>16.4</EngineVersion><Description>PostgreSQL 16.4-R2</Description><IsMajorVersionUpgrade>true</IsMajorVersionUpgrade></UpgradeTarget>
</ValidUpgradeTarget></DBEngineVersion>
</DBEngineVersions>`

func TestEngineVersionConversion(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBEngineVersions", func(f url.Values) wireReply {
		if f.Get("EngineVersion") == "9.6.1" {
			return wireReply{status: 200, body: okXML("DescribeDBEngineVersions", "<DBEngineVersions/>")}
		}
		return wireReply{status: 200, body: okXML("DescribeDBEngineVersions", engineVersionsXML)}
	})
	c := wireClient(t, srv, clk, nil, 0)
	ctx := context.Background()
	got, err := c.DescribeEngineVersion(ctx, "postgres", "14.12")
	if err != nil {
		t.Fatal(err)
	}
	want := EngineVersion{
		Engine: "postgres", Version: "14.12", Major: "14", Family: "postgres14", Status: "available",
		UpgradeTargets: []UpgradeTarget{
			{Engine: "postgres", Version: "14.13", Description: "PostgreSQL 14.13-R1"},
			{Engine: "postgres", Version: "16.4", Description: "PostgreSQL 16.4-R2", Major: true},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("engine version =\n%+v\nwant\n%+v", got, want)
	}
	expectForm(t, ws.requests("DescribeDBEngineVersions")[0], map[string]string{"Engine": "postgres", "EngineVersion": "14.12", "IncludeAll": "true"})

	_, err = c.DescribeEngineVersion(ctx, "postgres", "9.6.1")
	if Classify(err) != KindNotFound {
		t.Errorf("missing version: err %v kind %q, want not-found", err, Classify(err))
	}
	all, err := c.ListEngineVersions(ctx, "postgres")
	if err != nil || len(all) != 1 || !reflect.DeepEqual(all[0], want) {
		t.Errorf("ListEngineVersions = %+v, %v", all, err)
	}
}

const parametersXML = `<Parameters>
<Parameter><ParameterName>rds.logical_replication</ParameterName><ParameterValue>1</ParameterValue><ApplyType>static</ApplyType><Source>user</Source></Parameter>
<Parameter><ParameterName>max_replication_slots</ParameterName><ParameterValue>20</ParameterValue><ApplyType>static</ApplyType><Source>system</Source></Parameter>
<Parameter><ParameterName>work_mem</ParameterName><ApplyType>dynamic</ApplyType><Source>engine-default</Source></Parameter>
</Parameters>`

func TestParameterConversionAndNameFilter(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBParameters", fixed("DescribeDBParameters", parametersXML, "r"))
	ws.on("DescribeDBClusterParameters", fixed("DescribeDBClusterParameters", parametersXML, "r"))
	c := wireClient(t, srv, clk, nil, 0)
	ctx := context.Background()

	all, err := c.DescribeDBParameters(ctx, "orders-pg14")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[2] != (Parameter{Name: "work_mem", ApplyType: "dynamic", Source: "engine-default"}) {
		t.Errorf("all parameters = %+v", all)
	}
	some, err := c.DescribeClusterParameters(ctx, "shop-cpg15", "max_replication_slots", "rds.logical_replication", "absent")
	if err != nil {
		t.Fatal(err)
	}
	want := []Parameter{
		{Name: "rds.logical_replication", Value: "1", ApplyType: "static", Source: "user"},
		{Name: "max_replication_slots", Value: "20", ApplyType: "static", Source: "system"},
	}
	if !reflect.DeepEqual(some, want) {
		t.Errorf("named parameters = %+v, want %+v", some, want)
	}
	expectForm(t, ws.requests("DescribeDBParameters")[0], map[string]string{"DBParameterGroupName": "orders-pg14"})
	expectForm(t, ws.requests("DescribeDBClusterParameters")[0], map[string]string{"DBClusterParameterGroupName": "shop-cpg15"})
}

func TestSnapshotsConversion(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	snap := `<DBSnapshot><DBSnapshotIdentifier>pre-upgrade</DBSnapshotIdentifier><DBSnapshotArn>arn:aws:rds:us-east-1:1:snapshot:pre-upgrade</DBSnapshotArn><Status>creating</Status></DBSnapshot>`
	csnap := `<DBClusterSnapshot><DBClusterSnapshotIdentifier>pre-upgrade-c</DBClusterSnapshotIdentifier><DBClusterSnapshotArn>arn:aws:rds:us-east-1:1:cluster-snapshot:pre-upgrade-c</DBClusterSnapshotArn><Status>available</Status></DBClusterSnapshot>`
	ws.on("CreateDBSnapshot", fixed("CreateDBSnapshot", snap, "r"))
	ws.on("DescribeDBSnapshots", fixed("DescribeDBSnapshots", "<DBSnapshots>"+snap+"</DBSnapshots>", "r"))
	ws.on("CreateDBClusterSnapshot", fixed("CreateDBClusterSnapshot", csnap, "r"))
	ws.on("DescribeDBClusterSnapshots", failing(404, "DBClusterSnapshotNotFoundFault", "not found", "r"))
	c := wireClient(t, srv, clk, nil, 0)
	ctx := context.Background()

	wantSnap := Snapshot{ID: "pre-upgrade", ARN: "arn:aws:rds:us-east-1:1:snapshot:pre-upgrade", Status: "creating"}
	if got, err := c.CreateInstanceSnapshot(ctx, "orders-db", "pre-upgrade"); err != nil || got != wantSnap {
		t.Errorf("CreateInstanceSnapshot = %+v, %v", got, err)
	}
	if got, err := c.DescribeInstanceSnapshot(ctx, "pre-upgrade"); err != nil || got != wantSnap {
		t.Errorf("DescribeInstanceSnapshot = %+v, %v", got, err)
	}
	wantC := Snapshot{ID: "pre-upgrade-c", ARN: "arn:aws:rds:us-east-1:1:cluster-snapshot:pre-upgrade-c", Status: "available"}
	if got, err := c.CreateClusterSnapshot(ctx, "shop", "pre-upgrade-c"); err != nil || got != wantC {
		t.Errorf("CreateClusterSnapshot = %+v, %v", got, err)
	}
	if _, err := c.DescribeClusterSnapshot(ctx, "gone"); Classify(err) != KindNotFound {
		t.Errorf("DescribeClusterSnapshot: %v, want not-found", err)
	}
	expectForm(t, ws.requests("CreateDBSnapshot")[0], map[string]string{"DBInstanceIdentifier": "orders-db", "DBSnapshotIdentifier": "pre-upgrade"})
	expectForm(t, ws.requests("CreateDBClusterSnapshot")[0], map[string]string{"DBClusterIdentifier": "shop", "DBClusterSnapshotIdentifier": "pre-upgrade-c"})
}

func TestModifyAndDeleteRequests(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	inst := `<DBInstance><DBInstanceIdentifier>orders-db-green-abc123</DBInstanceIdentifier><DBInstanceStatus>upgrading</DBInstanceStatus></DBInstance>`
	cl := `<DBCluster><DBClusterIdentifier>shop</DBClusterIdentifier><Status>upgrading</Status></DBCluster>`
	ws.on("ModifyDBInstance", fixed("ModifyDBInstance", inst, "r"))
	ws.on("ModifyDBCluster", fixed("ModifyDBCluster", cl, "r"))
	ws.on("DeleteDBInstance", fixed("DeleteDBInstance", inst, "r"))
	ws.on("DeleteDBCluster", fixed("DeleteDBCluster", cl, "r"))
	c := wireClient(t, srv, clk, nil, 0)
	ctx := context.Background()
	off := false

	got, err := c.ModifyInstance(ctx, ModifyInstanceInput{
		ID: "orders-db-green-abc123", EngineVersion: "16.4", AllowMajorVersionUpgrade: true, ApplyImmediately: true,
		DBParameterGroupName: "orders-pg16",
	})
	if err != nil || got.Status != "upgrading" || got.ID != "orders-db-green-abc123" {
		t.Errorf("ModifyInstance = %+v, %v", got, err)
	}
	if _, err := c.ModifyInstance(ctx, ModifyInstanceInput{ID: "orders-db-old1", DeletionProtection: &off}); err != nil {
		t.Fatal(err)
	}
	gotC, err := c.ModifyCluster(ctx, ModifyClusterInput{
		ID: "shop", EngineVersion: "16.4", AllowMajorVersionUpgrade: true, ApplyImmediately: true,
		DBClusterParameterGroupName: "shop-cpg16", DBInstanceParameterGroupName: "shop-pg16",
	})
	if err != nil || gotC.Status != "upgrading" {
		t.Errorf("ModifyCluster = %+v, %v", gotC, err)
	}
	if err := c.DeleteInstance(ctx, DeleteInput{ID: "orders-db-old1", SkipFinalSnapshot: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteCluster(ctx, DeleteInput{ID: "shop-old1", FinalSnapshotID: "shop-old1-final"}); err != nil {
		t.Fatal(err)
	}
	expectForm(t, ws.requests("ModifyDBInstance")[0], map[string]string{
		"DBInstanceIdentifier": "orders-db-green-abc123", "EngineVersion": "16.4", "AllowMajorVersionUpgrade": "true",
		"ApplyImmediately": "true", "DBParameterGroupName": "orders-pg16",
	})
	expectForm(t, ws.requests("ModifyDBInstance")[1], map[string]string{
		"DBInstanceIdentifier": "orders-db-old1", "ApplyImmediately": "false", "DeletionProtection": "false",
	})
	expectForm(t, ws.requests("ModifyDBCluster")[0], map[string]string{
		"DBClusterIdentifier": "shop", "EngineVersion": "16.4", "AllowMajorVersionUpgrade": "true", "ApplyImmediately": "true",
		"DBClusterParameterGroupName": "shop-cpg16", "DBInstanceParameterGroupName": "shop-pg16",
	})
	expectForm(t, ws.requests("DeleteDBInstance")[0], map[string]string{"DBInstanceIdentifier": "orders-db-old1", "SkipFinalSnapshot": "true"})
	expectForm(t, ws.requests("DeleteDBCluster")[0], map[string]string{"DBClusterIdentifier": "shop-old1", "FinalDBSnapshotIdentifier": "shop-old1-final"})

	// Neither or both snapshot choices: refused before any request.
	for _, bad := range []DeleteInput{{ID: "x"}, {ID: "x", SkipFinalSnapshot: true, FinalSnapshotID: "s"}, {SkipFinalSnapshot: true}} {
		if err := c.DeleteInstance(ctx, bad); err == nil {
			t.Errorf("DeleteInstance(%+v) accepted", bad)
		}
		if err := c.DeleteCluster(ctx, bad); err == nil {
			t.Errorf("DeleteCluster(%+v) accepted", bad)
		}
	}
	if n := len(ws.requests("DeleteDBInstance")) + len(ws.requests("DeleteDBCluster")); n != 2 {
		t.Errorf("invalid deletes reached the server: %d requests", n)
	}
}

// Every Describe follows Marker to the end.
func TestPaginationFollowsMarker(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBInstances", func(f url.Values) wireReply {
		switch f.Get("Marker") {
		case "":
			return wireReply{status: 200, body: okXML("DescribeDBInstances",
				`<DBInstances><DBInstance><DBInstanceIdentifier>a</DBInstanceIdentifier></DBInstance></DBInstances><Marker>page-2</Marker>`)}
		case "page-2":
			return wireReply{status: 200, body: okXML("DescribeDBInstances",
				`<DBInstances><DBInstance><DBInstanceIdentifier>b</DBInstanceIdentifier></DBInstance></DBInstances><Marker>page-3</Marker>`)}
		default:
			return wireReply{status: 200, body: okXML("DescribeDBInstances",
				`<DBInstances><DBInstance><DBInstanceIdentifier>c</DBInstanceIdentifier></DBInstance></DBInstances>`)}
		}
	})
	ws.on("DescribeDBProxyTargets", func(f url.Values) wireReply {
		if f.Get("Marker") == "" {
			return wireReply{status: 200, body: okXML("DescribeDBProxyTargets", "<Targets>"+clusterTargetsXML+"</Targets><Marker>m</Marker>")}
		}
		return wireReply{status: 200, body: okXML("DescribeDBProxyTargets", "<Targets/>")}
	})
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 0)
	got, err := c.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range got {
		ids = append(ids, in.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
		t.Errorf("ids = %v, want a b c across three pages", ids)
	}
	if n := len(calls.Recent(10)); n != 3 {
		t.Errorf("call log has %d records, want one per page", n)
	}
	targets, err := c.DescribeProxyTargets(context.Background(), "orders-proxy")
	if err != nil || len(targets) != 2 {
		t.Errorf("targets over two pages = %d, %v", len(targets), err)
	}
}
