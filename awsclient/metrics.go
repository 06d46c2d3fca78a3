package awsclient

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch names of the metrics rdsbg watches (namespace AWS/RDS).
const (
	MetricNamespace = "AWS/RDS"
	// MetricClientConnections counts the applications' connections to a
	// proxy (dimension ProxyName).
	MetricClientConnections = "ClientConnections"
	// MetricDatabaseConnections counts the proxy's pooled connections to
	// its targets (dimension ProxyName).
	MetricDatabaseConnections = "DatabaseConnections"
	// MetricReplicaLag is a read replica's lag in seconds (dimension
	// DBInstanceIdentifier of the replica: green for physical replication).
	MetricReplicaLag = "ReplicaLag"
	// MetricOldestReplicationSlotLag is, in bytes, how far the most lagging
	// replication slot is behind (dimension DBInstanceIdentifier of the
	// publisher: blue for RDS for PostgreSQL logical replication).
	MetricOldestReplicationSlotLag = "OldestReplicationSlotLag"

	DimensionProxyName  = "ProxyName"
	DimensionDBInstance = "DBInstanceIdentifier"
)

// maxMetricQueries is GetMetricData's limit of queries per request.
const maxMetricQueries = 500

// MetricQuery names one AWS/RDS metric with its single dimension.
type MetricQuery struct {
	Name           string // MetricClientConnections, MetricReplicaLag, …
	DimensionName  string // DimensionProxyName or DimensionDBInstance
	DimensionValue string
	// Stat is the CloudWatch statistic; "" ⇒ "Average".
	Stat string
}

// ProxyConnectionQueries are the two connection metrics of one proxy.
func ProxyConnectionQueries(proxyName string) []MetricQuery {
	return []MetricQuery{
		{Name: MetricClientConnections, DimensionName: DimensionProxyName, DimensionValue: proxyName},
		{Name: MetricDatabaseConnections, DimensionName: DimensionProxyName, DimensionValue: proxyName},
	}
}

// Label is how the metric reads on a screen: "ClientConnections(proxy-a)".
func (q MetricQuery) Label() string { return q.Name + "(" + q.DimensionValue + ")" }

// MetricPoint is one aggregated datapoint: the statistic over the period
// that starts at Time.
type MetricPoint struct {
	Time  time.Time
	Value float64
}

// MetricSeries is the answer to one MetricQuery, oldest point first. A
// metric that has no data in the window (an instance that does not exist
// yet, a primary that has no replica lag) has no Points: that is not an
// error.
type MetricSeries struct {
	Query  MetricQuery
	Points []MetricPoint
}

// Last is the newest point; ok is false for an empty series.
func (s MetricSeries) Last() (p MetricPoint, ok bool) {
	if len(s.Points) == 0 {
		return MetricPoint{}, false
	}
	return s.Points[len(s.Points)-1], true
}

// Metrics reads CloudWatch metrics.
type Metrics interface {
	// GetMetricSeries returns one series per query, in the order of the
	// queries, for [start, end) at the given period (a multiple of 60 s
	// for standard-resolution metrics such as these).
	GetMetricSeries(ctx context.Context, queries []MetricQuery, start, end time.Time, period time.Duration) ([]MetricSeries, error)
}

var _ Metrics = (*Client)(nil)

// GetMetricSeries reads the queries with CloudWatch GetMetricData, following
// NextToken to the end. One request carries every query, so a sample of a
// proxy's two connection metrics and the lag costs one API call.
func (c *Client) GetMetricSeries(ctx context.Context, queries []MetricQuery, start, end time.Time, period time.Duration) ([]MetricSeries, error) {
	if len(queries) == 0 {
		return nil, nil
	}
	if len(queries) > maxMetricQueries {
		return nil, fmt.Errorf("GetMetricSeries: %d queries, CloudWatch takes at most %d per request", len(queries), maxMetricQueries)
	}
	if period < time.Second || period%time.Second != 0 {
		return nil, fmt.Errorf("GetMetricSeries: period %v is not a whole number of seconds", period)
	}
	if !end.After(start) {
		return nil, fmt.Errorf("GetMetricSeries: end %v is not after start %v", end, start)
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start.UTC()),
		EndTime:   aws.Time(end.UTC()),
		ScanBy:    cwtypes.ScanByTimestampAscending,
	}
	byID := make(map[string]int, len(queries))
	for i, q := range queries {
		// Ids must start with a lower-case letter and be unique in the
		// request; the position keeps them short and maps answers back.
		id := "m" + strconv.Itoa(i)
		byID[id] = i
		stat := q.Stat
		if stat == "" {
			stat = "Average"
		}
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id:         aws.String(id),
			ReturnData: aws.Bool(true),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String(MetricNamespace),
					MetricName: aws.String(q.Name),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(q.DimensionName), Value: aws.String(q.DimensionValue)}},
				},
				Period: aws.Int32(int32(period / time.Second)),
				Stat:   aws.String(stat),
			},
		})
	}
	out := make([]MetricSeries, len(queries))
	for i, q := range queries {
		out[i].Query = q
	}
	p := cloudwatch.NewGetMetricDataPaginator(c.cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range page.MetricDataResults {
			i, ok := byID[aws.ToString(r.Id)]
			if !ok {
				continue
			}
			n := min(len(r.Timestamps), len(r.Values))
			for k := 0; k < n; k++ {
				out[i].Points = append(out[i].Points, MetricPoint{Time: r.Timestamps[k].UTC(), Value: r.Values[k]})
			}
		}
	}
	// Pages may split one series; ascending order is asked for but sorting
	// costs nothing and makes "last point" mean the newest whatever the
	// endpoint did.
	for i := range out {
		sort.SliceStable(out[i].Points, func(a, b int) bool { return out[i].Points[a].Time.Before(out[i].Points[b].Time) })
	}
	return out, nil
}
