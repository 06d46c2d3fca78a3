package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// This file words abort's one approval (issue 13): the screen and the
// runbook lines name exactly the calls abort will make, in the regime and
// the moment it is in. A proxy that still targets blue (native regime, or
// already restored) is not promised a registration it will not get.

// abortApproval is the question abort asks before deleting anything.
func (r *run) abortApproval(ctx context.Context, dep *depRef) contract.Approval {
	c := cliBuilder{region: r.disc.Source.Region}
	src := r.disc.Source
	var text []string
	var cli []string
	if dep != nil {
		text = append(text, fmt.Sprintf("Delete deployment %s (%s) together with its green resources (DeleteBlueGreenDeployment with DeleteTarget), and wait until it is gone. Blue (%s) is not touched and stays production.", dep.id, dep.status, src.ID))
		cli = append(cli, c.rds("delete-blue-green-deployment", "--blue-green-deployment-identifier", contract.ShellQuote(dep.id), "--delete-target"))
	} else {
		text = append(text, "No blue/green deployment exists for "+src.ID+": there is nothing to delete.")
	}
	var missing, present []string
	if r.plan.Regime != contract.RegimeNone {
		for _, reg := range r.proxies {
			ts, err := r.sourceTargets(ctx, reg.Proxy)
			if err == nil && len(ts) > 0 {
				present = append(present, reg.Proxy)
				continue
			}
			missing = append(missing, reg.Proxy)
		}
	}
	switch {
	case len(missing) > 0:
		text = append(text, fmt.Sprintf("Then register %s with %s again (RegisterDBProxyTargets) and wait for the target to be AVAILABLE.", src.ID, strings.Join(missing, ", ")))
		for _, p := range missing {
			cli = append(cli, c.register(p, src))
		}
		for _, p := range missing {
			cli = append(cli, c.describeTargets(p))
		}
	case len(present) > 0 && r.plan.Regime == contract.RegimeNative:
		text = append(text, fmt.Sprintf("The proxy stays as it is: in the native regime %s was never deregistered, and %s still targets it.", src.ID, strings.Join(present, ", ")))
	case len(present) > 0:
		text = append(text, fmt.Sprintf("%s already targets %s: no registration is needed.", strings.Join(present, ", "), src.ID))
	}
	if tags, err := r.api.ListTagsForResource(ctx, src.ARN); err == nil && tags[contract.TagSource] != "" {
		text = append(text, blueTagStays(src)) // step_create_deployment.go
	}
	title := "Abort: delete the deployment and its green"
	switch {
	case dep == nil && len(missing) > 0:
		title = "Abort: restore the proxy targets"
	case dep == nil:
		title = "Abort: nothing to undo"
	case len(missing) > 0:
		title = "Abort: delete the deployment and its green, restore the proxy"
	}
	return contract.Approval{Kind: "step", Step: "abort", Title: title, Text: strings.Join(text, " "),
		Severity: contract.SeveritySevere, Confirm: src.ID, CLI: cli}
}

// depRef is the deployment abort acts on.
type depRef struct{ id, status string }
