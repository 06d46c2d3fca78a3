package preflight

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/world"
)

// `rdsbg status` and `rdsbg resume` without --source first look in the
// state directory; when it holds no unfinished run (empty, lost, or the
// run was made on another machine) they ask AWS, which holds the truth:
// every proxy tagged rdsbg:detached that still has no target names the
// source of the run that emptied it.

// DetachedReader is what the detached proxies are read with: the proxies,
// their targets and their tags.
type DetachedReader interface {
	awsclient.Proxies
	awsclient.Tagging
}

// DetachedSources lists the sources whose proxies AWS shows emptied by
// rdsbg and still without a target, sorted, with those proxies. Read-only.
func DetachedSources(ctx context.Context, api DetachedReader) ([]string, []DetachedProxy, error) {
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

// DetachedTag is the value of rdsbg:detached (world.DetachedTag).
type DetachedTag = world.DetachedTag

// ParseDetachedTag reads a value written by DetachedTag.Value.
func ParseDetachedTag(v string) (DetachedTag, bool) { return world.ParseDetachedTag(v) }

// DetachedProxy is a proxy that carries rdsbg:detached for the source.
type DetachedProxy struct {
	Proxy string      `json:"proxy"`
	ARN   string      `json:"arn"`
	Tag   DetachedTag `json:"tag"`
	// Registered: the proxy lists the source again (the tag outlived the
	// re-registration; the next run removes it).
	Registered bool `json:"registered"`
	// FromDeployment: the proxy carries no tag, but rdsbg's deployment for
	// the source (this id) lists it among the run's proxies.
	FromDeployment string `json:"from_deployment,omitempty"`
	// Uncorroborated: the tag agrees with AWS, but no rdsbg deployment of
	// the source exists to list the proxy: only the operator's explicit
	// `resume --source --confirm` registers the source with it.
	Uncorroborated bool `json:"uncorroborated,omitempty"`
}

// Words says what the tag means, for notices and refusals.
func (d DetachedProxy) Words() string {
	if d.FromDeployment != "" {
		return fmt.Sprintf("proxy %s is listed by deployment %s (rdsbg run %s, tag %s) among the proxies of %s",
			d.Proxy, d.FromDeployment, d.Tag.Run, contract.TagProxies, d.Tag.Source)
	}
	return fmt.Sprintf("proxy %s was emptied by rdsbg run %s at %s (it served %s %s; tag %s)",
		d.Proxy, d.Tag.Run, d.Tag.At.UTC().Format(time.RFC3339), d.Tag.TargetKind, d.Tag.Target, contract.TagDetached)
}

// readDetachedTag reads the tags of one proxy; ok is false when it carries
// no valid rdsbg:detached.
func readDetachedTag(ctx context.Context, api awsclient.Tagging, p awsclient.Proxy) (DetachedTag, bool, error) {
	if p.ARN == "" {
		return DetachedTag{}, false, nil
	}
	tags, err := api.ListTagsForResource(ctx, p.ARN)
	if err != nil {
		return DetachedTag{}, false, err
	}
	v, ok := tags[contract.TagDetached]
	if !ok {
		return DetachedTag{}, false, nil
	}
	t, ok := ParseDetachedTag(v)
	return t, ok, nil
}

// detachedRegime is ChooseRegime's answer when discovery found a proxy that
// rdsbg emptied: only the detach procedure can carry on from there (the
// proxy has no target, so native support cannot apply).
func detachedRegime(d Discovery) (contract.Regime, string, bool) {
	var words []string
	for _, dp := range d.Detached {
		if !dp.Registered {
			words = append(words, dp.Words())
		}
	}
	if len(words) == 0 {
		return "", "", false
	}
	return contract.RegimeDetach, fmt.Sprintf("Detach: %s and has no target; this run registers it again and goes on with the detach procedure.", strings.Join(words, "; ")), true
}

// DetachedProxies lists every proxy in the Region that carries
// rdsbg:detached and has no target: what `status` or `resume` without
// --source can offer when the state directory holds no journal (each
// entry's Tag.Source is the --source to pass). Read-only.
func DetachedProxies(ctx context.Context, api DetachedReader) ([]DetachedProxy, error) {
	proxies, err := api.ListProxies(ctx)
	if err != nil {
		return nil, fmt.Errorf("list RDS proxies: %w", err)
	}
	var out []DetachedProxy
	for _, p := range proxies {
		tag, ok, err := readDetachedTag(ctx, api, p)
		if err != nil && !awsclient.IsNotFound(err) {
			return nil, fmt.Errorf("read the tags of proxy %s: %w", p.Name, err)
		}
		if !ok {
			continue
		}
		targets, err := api.DescribeProxyTargets(ctx, p.Name)
		if err != nil && !awsclient.IsNotFound(err) {
			return nil, fmt.Errorf("describe targets of proxy %s: %w", p.Name, err)
		}
		out = append(out, DetachedProxy{Proxy: p.Name, ARN: p.ARN, Tag: tag, Registered: len(targets) > 0})
	}
	return out, nil
}
