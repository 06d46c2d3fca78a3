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
		parameterGroups: func(ctx context.Context, engine string, cluster bool) (steps.ParameterGroupCatalog, error) {
			return steps.LoadParameterGroupCatalog(ctx, api, engine, cluster)
		},
		unfinished: func(ctx context.Context, source string) (string, error) {
			journals, err := steps.UnfinishedJournals(cfg.StateDir)
			if err != nil {
				return "", err
			}
			for path, src := range journals {
				if src == source {
					return path, nil
				}
			}
			return "", nil
		},
		status: func(ctx context.Context, source string) (string, error) {
			rep, err := steps.Status(ctx, api, cfg.StateDir, source)
			if err != nil {
				return "", err
			}
			return rep.Text(), nil
		},
		run: func(ctx context.Context, mode string, opts steps.Options, approver steps.Approver, sink steps.Sink) (steps.Finished, error) {
			eng, err := steps.New(steps.Config{
				API: api, Calls: cfg.Calls, Clock: cfg.Clock, StateDir: cfg.StateDir,
				Approver: approver, Sink: sink, Options: opts, Poll: cfg.Poll, Metrics: cfg.Metrics, ProbeDSN: cfg.ProbeDSN,
				Hooks: cfg.Hooks, HookTimeout: cfg.HookTimeout, GiveUp: giveUpWith(cfg.GiveUp, approver), // stop_restoring.go
			})
			if err != nil {
				return steps.Finished{}, err
			}
			switch mode {
			case "", "run":
				return eng.Run(ctx)
			case "resume":
				return eng.Resume(ctx)
			case "abort":
				return eng.Abort(ctx)
			}
			return steps.Finished{}, fmt.Errorf("unknown mode %q: want run, resume or abort", mode)
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
