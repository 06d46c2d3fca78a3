package fleet

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// RenderText is `fleet plan`'s text output: the policy, the waves with
// each database's verdict, and the blocked databases with their reasons.
func RenderText(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Fleet %s: %d databases in %d account-Regions, %d in %d waves, %d blocked\n",
		p.ID, len(p.Databases), len(p.Targets), p.Runnable(), len(p.Waves), len(p.Databases)-p.Runnable())
	fmt.Fprintf(&b, "Budget %d requests/s per account-Region (AWS allows 12/s, shared), at most %d runs at once per account-Region; stop after %d failed run(s); bake %s between switchover waves\n",
		p.Policy.Budget, p.Policy.MaxConcurrency, p.Policy.StopAfterFailures, p.Policy.Bake)
	b.WriteString("Account-Regions:\n")
	for _, t := range p.Targets {
		fmt.Fprintf(&b, "  %-28s profile %s, %d databases\n", t.Key(), profileName(t.Profile), countIn(p, t))
	}
	for _, w := range p.Waves {
		fmt.Fprintf(&b, "\nWave %d (%s): %d databases, critical path about %s\n", w.Number, w.Name, len(w.Databases), roundMin(waveExpected(p, w)))
		for _, i := range w.Databases {
			d := p.Databases[i]
			fmt.Fprintf(&b, "  %-44s %-18s %-14s → %-10s %-7s %s, outage %s%s\n", d.Name(), d.Engine, d.Version, orNone(d.TargetVersion), d.Regime,
				roundMin(d.Expected), outageWords(d.ExpectedOutage), warnings(d.Checks))
		}
	}
	if blocked := blockedOf(p); len(blocked) > 0 {
		fmt.Fprintf(&b, "\nBlocked (not in any wave; fix and plan again):\n")
		for _, i := range blocked {
			d := p.Databases[i]
			fmt.Fprintf(&b, "  %s\n", d.Name())
			for _, r := range d.Blocked {
				fmt.Fprintf(&b, "    - %s\n", r)
			}
		}
	}
	fmt.Fprintf(&b, "\nNext: rdsbg fleet run --plan <this plan as JSON> --until ready, then rdsbg fleet run --plan … --confirm-wave (or --yes --confirm %s)\n", p.ID)
	return b.String()
}

// RenderMarkdown is a change ticket for the whole fleet.
func RenderMarkdown(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Fleet %s\n\n", p.ID)
	fmt.Fprintf(&b, "Blue/green deployments with RDS Proxy handling for %d databases in %d account-Regions (%d blocked), generated %s.\n\n",
		p.Runnable(), len(p.Targets), len(p.Databases)-p.Runnable(), p.GeneratedAt.Format(time.RFC3339))
	b.WriteString("## Policy\n\n")
	fmt.Fprintf(&b, "- API budget: %d requests/s per account-Region (AWS's limit is 12/s, shared with the Console, IaC and monitoring)\n", p.Policy.Budget)
	fmt.Fprintf(&b, "- At most %d runs at once per account-Region\n", p.Policy.MaxConcurrency)
	fmt.Fprintf(&b, "- A failed run stops its wave's remaining starts; the runs under way finish or pause ready; the fleet stops after %d failed run(s)\n", p.Policy.StopAfterFailures)
	fmt.Fprintf(&b, "- Bake time between switchover waves: %s\n", p.Policy.Bake)
	fmt.Fprintf(&b, "- Each database is an ordinary rdsbg run: `rdsbg status`, `rdsbg resume` and `rdsbg abort` work on any one of them\n\n")
	b.WriteString("## Procedure\n\n")
	fmt.Fprintf(&b, "1. Prepare (afternoon): `rdsbg fleet run --plan fleet.json --until ready --yes`\n")
	fmt.Fprintf(&b, "2. Switch over wave by wave (window): `rdsbg fleet run --plan fleet.json --confirm-wave`, or headless `--yes --confirm %s`\n", p.ID)
	fmt.Fprintf(&b, "3. Watch from any machine: `rdsbg fleet status --plan fleet.json`\n\n")
	for _, w := range p.Waves {
		fmt.Fprintf(&b, "## Wave %d: %s (%d databases, about %s)\n\n", w.Number, w.Name, len(w.Databases), roundMin(waveExpected(p, w)))
		b.WriteString("| Account | Region | Database | Engine | Version | Target | Regime | Expected | Proxy outage | Preflight |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
		for _, i := range w.Databases {
			d := p.Databases[i]
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", d.Account, d.Region, d.Source, d.Engine, d.Version,
				orNone(d.TargetVersion), d.Regime, roundMin(d.Expected), outageWords(d.ExpectedOutage), verdict(d.Checks))
		}
		b.WriteString("\n")
	}
	if blocked := blockedOf(p); len(blocked) > 0 {
		b.WriteString("## Blocked (left out of the waves)\n\n| Account | Region | Database | Why |\n|---|---|---|---|\n")
		for _, i := range blocked {
			d := p.Databases[i]
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", d.Account, d.Region, d.Source, strings.ReplaceAll(strings.Join(d.Blocked, "; "), "|", "\\|"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func blockedOf(p *Plan) []int {
	var out []int
	for i, d := range p.Databases {
		if len(d.Blocked) > 0 {
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return p.Databases[out[a]].Name() < p.Databases[out[b]].Name() })
	return out
}

func countIn(p *Plan, t Target) int {
	n := 0
	for _, d := range p.Databases {
		if d.Account == t.Account && d.Region == t.Region {
			n++
		}
	}
	return n
}

// waveExpected is the wave's expected critical path: in each
// account-Region the runs go MaxConcurrency at a time, in start order.
func waveExpected(p *Plan, w Wave) time.Duration {
	byTarget := map[string][]time.Duration{}
	for _, i := range w.Databases {
		d := p.Databases[i]
		byTarget[d.TargetKey()] = append(byTarget[d.TargetKey()], d.Expected)
	}
	var worst time.Duration
	for _, ds := range byTarget {
		worst = max(worst, Makespan(ds, p.Policy.MaxConcurrency))
	}
	return worst
}

// Makespan is how long runs of these durations take, started in order,
// at most slots at once, each as soon as a slot frees: the critical path
// of one account-Region's share of a wave.
func Makespan(durations []time.Duration, slots int) time.Duration {
	slots = max(slots, 1)
	free := make([]time.Duration, slots) // when each slot is free again
	var end time.Duration
	for _, d := range durations {
		k := 0
		for j := range free {
			if free[j] < free[k] {
				k = j
			}
		}
		free[k] += d
		end = max(end, free[k])
	}
	return end
}

func verdict(checks []contract.CheckResult) string {
	fails, warns := 0, 0
	for _, c := range checks {
		switch c.Status {
		case contract.CheckFail:
			fails++
		case contract.CheckWarn:
			warns++
		}
	}
	switch {
	case fails > 0:
		return fmt.Sprintf("%d failed", fails)
	case warns > 0:
		return fmt.Sprintf("pass, %d warning(s)", warns)
	}
	return fmt.Sprintf("pass (%d checks)", len(checks))
}

func warnings(checks []contract.CheckResult) string {
	var titles []string
	for _, c := range checks {
		if c.Status == contract.CheckWarn {
			titles = append(titles, c.Title)
		}
	}
	if len(titles) == 0 {
		return ""
	}
	return " · warn: " + strings.Join(titles, ", ")
}

func outageWords(d time.Duration) string {
	if d == 0 {
		return "none expected"
	}
	return "about " + roundMin(d)
}

func roundMin(d time.Duration) string {
	return fmt.Sprintf("%d min", int((d+30*time.Second)/time.Minute))
}

func orNone(v string) string {
	if v == "" {
		return "(same)"
	}
	return v
}

func profileName(p string) string {
	if p == "" {
		return "(default credentials)"
	}
	return p
}
