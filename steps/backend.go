package steps

import (
	"context"
	"fmt"
)

// Backend is the engine as a front end (the wizard, plain mode, headless
// commands) sees it. Package main builds it once from the AWS client, the call
// log, the metrics reader and the run's settings; a front end only asks
// it questions and starts runs, and never holds those pieces itself.
type Backend struct {
	cfg Config
}

// NewBackend keeps cfg as the configuration every run starts from; each
// run adds its own approver, sink and options.
func NewBackend(cfg Config) *Backend { return &Backend{cfg: cfg} }

// Config is the configuration runs of this backend start from.
func (b *Backend) Config() Config { return b.cfg }

// ListSources lists the region's databases for the source screen.
func (b *Backend) ListSources(ctx context.Context) ([]SourceSummary, error) {
	return ListSources(ctx, b.cfg.API)
}

// Describe discovers one source (the first stage of Prepare) and sums it
// up as a row of the source screen.
func (b *Backend) Describe(ctx context.Context, source string) (SourceSummary, error) {
	d, err := Discover(ctx, b.cfg.API, source)
	if err != nil {
		return SourceSummary{}, err
	}
	return d.Summary(), nil
}

// UpgradeTargets lists the versions engine/version can be upgraded to.
func (b *Backend) UpgradeTargets(ctx context.Context, engine, version string) ([]UpgradeTarget, error) {
	return UpgradeTargets(ctx, b.cfg.API, engine, version)
}

// ParameterGroups lists the parameter groups of engine's families, for
// the options form's picker.
func (b *Backend) ParameterGroups(ctx context.Context, engine string, cluster bool) (ParameterGroupCatalog, error) {
	return LoadParameterGroupCatalog(ctx, b.cfg.API, engine, cluster)
}

// Unfinished returns the journal of an unfinished run for source, or "".
func (b *Backend) Unfinished(ctx context.Context, source string) (string, error) {
	journals, err := UnfinishedJournals(b.cfg.StateDir)
	if err != nil {
		return "", err
	}
	for path, src := range journals {
		if src == source {
			return path, nil
		}
	}
	return "", nil
}

// Status is `rdsbg status` as text.
func (b *Backend) Status(ctx context.Context, source string) (string, error) {
	rep, err := Status(ctx, b.cfg.API, b.cfg.StateDir, source)
	if err != nil {
		return "", err
	}
	return rep.Text(), nil
}

// Run executes the engine in mode ("run" or "", "resume", "abort") with
// the operator's options, approver and event sink, and returns its
// summary.
func (b *Backend) Run(ctx context.Context, mode string, opts Options, approver Approver, sink Sink) (Finished, error) {
	cfg := b.cfg
	cfg.Approver, cfg.Sink, cfg.Options = approver, sink, opts
	if g, ok := approver.(GiveUpper); ok {
		cfg.GiveUp = eitherClosed(cfg.GiveUp, g.GiveUp())
	}
	eng, err := New(cfg)
	if err != nil {
		return Finished{}, err
	}
	switch mode {
	case "", "run":
		return eng.Run(ctx)
	case "resume":
		return eng.Resume(ctx)
	case "abort":
		return eng.Abort(ctx)
	}
	return Finished{}, fmt.Errorf("unknown mode %q: want run, resume or abort", mode)
}

// GiveUpper is an approver through which the operator can also stop
// compensation (the wizard's severe confirmation to stop restoring a
// proxy): for a run of the backend its channel counts as Config.GiveUp
// too.
type GiveUpper interface {
	GiveUp() <-chan struct{}
}

// eitherClosed is closed once a or b is; a nil channel never closes.
func eitherClosed(a, b <-chan struct{}) <-chan struct{} {
	switch {
	case b == nil:
		return a
	case a == nil:
		return b
	}
	out := make(chan struct{})
	go func() {
		select {
		case <-a:
		case <-b:
		}
		close(out)
	}()
	return out
}

// Summary is the source screen's row for a discovered source.
func (d Discovery) Summary() SourceSummary {
	s := SourceSummary{
		Kind: d.Source.Kind, ID: d.Source.ID, Engine: d.Source.Engine,
		EngineVersion: d.Source.EngineVersion, Members: len(d.Source.Members),
	}
	switch {
	case d.Cluster != nil:
		s.Status = d.Cluster.Status
	case d.Instance != nil:
		s.Status = d.Instance.Status
	}
	for _, p := range d.Proxies {
		s.Proxies = append(s.Proxies, p.Proxy)
	}
	return s
}
