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

// Budgets holds one RDS pacer and one CloudWatch pacer per account and
// Region (by profile and Region: a plan names each account through one
// profile): every client the fleet makes there, for planning, runs or
// status, counts toward them. One process shares one Budgets between its
// plan, its runs and its status reads.
type Budgets struct {
	clock clock.Clock
	mu    sync.Mutex
	rds   map[string]*awsclient.Pacer
	cw    map[string]*awsclient.Pacer
}

// NewBudgets makes an empty set on clk.
func NewBudgets(clk clock.Clock) *Budgets {
	return &Budgets{clock: clk, rds: map[string]*awsclient.Pacer{}, cw: map[string]*awsclient.Pacer{}}
}

// orNew is b, or a new set when b is nil.
func (b *Budgets) orNew(clk clock.Clock) *Budgets {
	if b != nil {
		return b
	}
	return NewBudgets(clk)
}

// of returns the pacers of profile and region, made on first use with
// budget requests/s.
func (b *Budgets) of(profile, region string, budget int) (*awsclient.Pacer, *awsclient.Pacer) {
	key := profile + "\x00" + region
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
