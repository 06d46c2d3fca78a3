package steps

// Names that package main still reads from steps while it is reworked in
// parallel (issue 24): each is a sub-package's own (an alias, a copy of a
// constant or error, a wrapper). They go once package main reads them
// from the sub-packages.

import (
	"context"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

func Blocked(p0 []contract.CheckResult) bool              { return preflight.Blocked(p0) }
func DetachedListing(p0 []preflight.DetachedProxy) string { return preflight.DetachedListing(p0) }

type DetachedProxy = preflight.DetachedProxy

func DetachedSources(p0 context.Context, p1 awsclient.API) ([]string, []preflight.DetachedProxy, error) {
	return preflight.DetachedSources(p0, p1)
}

type DetachedTag = preflight.DetachedTag
