package fleet

import (
	"context"
	"sync"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// Connect makes a client for one profile (account) and Region. calls
// receives that client's calls (each run has its own log: its journal and
// events are its own); pacer and metricsPacer are the budgets it shares.
type Connect func(ctx context.Context, profile, region string, calls *awsclient.CallLog, pacer, metricsPacer *awsclient.Pacer) (*awsclient.Client, error)

// Connector builds clients from base (endpoint, clock, SDK log…), with
// the profile, Region, call log and pacers of each call. Against a
// loopback endpoint without a profile it signs with the simulator's
// static key, as every rdsbg command does.
func Connector(base awsclient.Options) Connect {
	return func(ctx context.Context, profile, region string, calls *awsclient.CallLog, pacer, metricsPacer *awsclient.Pacer) (*awsclient.Client, error) {
		o := base
		o.Profile, o.Region, o.Calls, o.Pacer, o.MetricsPacer = profile, region, calls, pacer, metricsPacer
		o.Simulator = base.Simulator && profile == ""
		return awsclient.New(ctx, o)
	}
}

// budgets holds one RDS pacer and one CloudWatch pacer per account and
// Region: every client the fleet makes there, for planning, runs or
// status, counts toward them.
type budgets struct {
	clock clock.Clock
	mu    sync.Mutex
	rds   map[string]*awsclient.Pacer
	cw    map[string]*awsclient.Pacer
}

func newBudgets(clk clock.Clock) *budgets {
	return &budgets{clock: clk, rds: map[string]*awsclient.Pacer{}, cw: map[string]*awsclient.Pacer{}}
}

// of returns the pacers of key (account/region, or profile/region before
// the account is known), made on first use with budget requests/s.
func (b *budgets) of(key string, budget int) (*awsclient.Pacer, *awsclient.Pacer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.rds[key]; ok {
		return p, b.cw[key]
	}
	p := awsclient.NewPacer(b.clock, budget)
	// CloudWatch's GetMetricData has its own, larger quota; the fleet
	// still keeps its reads to the same pace so that many runs' samples
	// never crowd an account's dashboards.
	cw := awsclient.NewPacer(b.clock, budget)
	b.rds[key], b.cw[key] = p, cw
	return p, cw
}
