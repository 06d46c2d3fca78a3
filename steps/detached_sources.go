package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// `rdsbg status` and `rdsbg resume` without --source first look in the
// state directory; when it holds no unfinished run (empty, lost, or the
// run was made on another machine) they ask AWS, which holds the truth:
// every proxy tagged rdsbg:detached that still has no target names the
// source of the run that emptied it.

// DetachedSources lists the sources whose proxies AWS shows emptied by
// rdsbg and still without a target, sorted, with those proxies. Read-only.
func DetachedSources(ctx context.Context, api awsclient.API) ([]string, []DetachedProxy, error) {
	all, err := DetachedProxies(ctx, api)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var sources []string
	var empty []DetachedProxy
	for _, dp := range all {
		if dp.Registered {
			continue // a stale tag: the proxy serves; the next run removes it
		}
		empty = append(empty, dp)
		key := strings.ToLower(dp.Tag.Source)
		if !seen[key] {
			seen[key] = true
			sources = append(sources, dp.Tag.Source)
		}
	}
	sort.Strings(sources)
	return sources, empty, nil
}

// DetachedListing is the answer when several sources have emptied
// proxies: one line per proxy, then what to pass.
func DetachedListing(empty []DetachedProxy) string {
	var b strings.Builder
	b.WriteString("AWS shows proxies that rdsbg emptied and that still have NO target:\n")
	for _, dp := range empty {
		fmt.Fprintf(&b, "  %s: `rdsbg resume --source %s` registers it again\n", dp.Words(), dp.Tag.Source)
	}
	return b.String()
}
