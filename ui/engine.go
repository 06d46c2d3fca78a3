package ui

import (
	"context"

	"github.com/rdsbg/rdsbg/steps"
)

// Backend is the engine surface the wizard and plain mode use. Package
// main builds it (steps.NewBackend) from the AWS client, the call log and the
// run's settings; the UI never holds those pieces itself.
type Backend interface {
	// ListSources lists the region's databases.
	ListSources(ctx context.Context) ([]steps.SourceSummary, error)
	// Describe reads one source.
	Describe(ctx context.Context, source string) (steps.SourceSummary, error)
	// UpgradeTargets lists the versions engine/version can be upgraded to.
	UpgradeTargets(ctx context.Context, engine, version string) ([]steps.UpgradeTarget, error)
	// ParameterGroups lists the parameter groups of engine's families
	// (the options form's picker).
	ParameterGroups(ctx context.Context, engine string, cluster bool) (steps.ParameterGroupCatalog, error)
	// Unfinished returns the journal of an unfinished run for source, or "".
	Unfinished(ctx context.Context, source string) (string, error)
	// Status is `rdsbg status` as text.
	Status(ctx context.Context, source string) (string, error)
	// Run executes the engine in mode (run, resume, abort).
	Run(ctx context.Context, mode string, opts steps.Options, approver steps.Approver, sink steps.Sink) (steps.Finished, error)
}

// engineBackend is cfg.Backend as the wizard's function table (tests
// replace single entries of that table).
func engineBackend(cfg Config) backend {
	b := cfg.Backend
	if b == nil {
		return backend{}
	}
	return backend{
		listSources:     b.ListSources,
		describe:        b.Describe,
		upgradeTargets:  b.UpgradeTargets,
		parameterGroups: b.ParameterGroups,
		unfinished:      b.Unfinished,
		status:          b.Status,
		run:             b.Run,
	}
}
