package ui

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

// engineBackend wires the wizard and plain mode to the steps package.
func engineBackend(cfg Config) backend {
	api := cfg.API
	return backend{
		listSources: func(ctx context.Context) ([]steps.SourceSummary, error) {
			return steps.ListSources(ctx, api)
		},
		describe: func(ctx context.Context, source string) (steps.SourceSummary, error) {
			d, err := steps.Discover(ctx, api, source)
			if err != nil {
				return steps.SourceSummary{}, err
			}
			return summarize(d), nil
		},
		upgradeTargets: func(ctx context.Context, engine, version string) ([]awsclient.UpgradeTarget, error) {
			return steps.UpgradeTargets(ctx, api, engine, version)
		},
		run: func(ctx context.Context, opts steps.Options, approver steps.Approver, sink steps.Sink) (steps.Finished, error) {
			eng, err := steps.New(steps.Config{
				API: api, Calls: cfg.Calls, Clock: cfg.Clock, StateDir: cfg.StateDir,
				Approver: approver, Sink: sink, Options: opts, Poll: cfg.Poll,
			})
			if err != nil {
				return steps.Finished{}, err
			}
			switch cfg.Mode {
			case "", "run":
				return eng.Run(ctx)
			case "resume":
				return eng.Resume(ctx)
			case "abort":
				return eng.Abort(ctx)
			}
			return steps.Finished{}, fmt.Errorf("unknown mode %q: want run, resume or abort", cfg.Mode)
		},
	}
}

// summarize turns a discovery into the source screen's row.
func summarize(d steps.Discovery) steps.SourceSummary {
	s := steps.SourceSummary{
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
