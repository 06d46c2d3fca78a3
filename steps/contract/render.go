package contract

import (
	"fmt"
	"strings"
	"time"
)

// optionLines are the options worth showing, in flag order, as "flag value".
func optionLines(o Options) [][2]string {
	rows := [][2]string{
		{"--blue-green-deployment-name", o.DeploymentName},
	}
	add := func(flag, v string) {
		if v != "" {
			rows = append(rows, [2]string{flag, v})
		}
	}
	add("--target-engine-version", o.TargetEngineVersion)
	add("--target-db-parameter-group-name", o.TargetDBParameterGroupName)
	add("--target-db-cluster-parameter-group-name", o.TargetDBClusterParameterGroupName)
	add("--target-db-instance-class", o.TargetDBInstanceClass)
	if o.UpgradeTargetStorageConfig {
		add("--upgrade-target-storage-config", "true")
	}
	rows = append(rows, storageOptionLines(o)...) // storage_flags.go
	add("--switchover-timeout", fmt.Sprintf("%d", int64(o.SwitchoverTimeout/time.Second)))
	add("--proxy-mode", string(o.ProxyMode))
	if o.TargetEngineVersion != "" {
		add("--upgrade-via", string(o.UpgradeVia))
	}
	add("--cleanup", string(o.Cleanup))
	return rows
}

func stepMarks(s PlannedStep) string {
	var marks []string
	marks = append(marks, string(s.Severity))
	if s.CheckOnly {
		marks = append(marks, "check only")
	}
	if s.Critical {
		marks = append(marks, "critical section")
	}
	return strings.Join(marks, ", ")
}

func sourceLine(p Plan) string {
	s := p.Source
	kind := "DB instance"
	if s.Kind == KindCluster {
		kind = "Aurora cluster"
	}
	line := fmt.Sprintf("%s %s (%s %s) in %s", kind, s.ID, s.Engine, s.EngineVersion, s.Region)
	if s.Account != "" {
		line += ", account " + s.Account
	}
	return line
}

// RenderText is the default output of `rdsbg plan`: what will happen, in
// order, with the commands an operator would type.
func RenderText(p Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for %s\n", sourceLine(p))
	if len(p.Source.Members) > 0 {
		fmt.Fprintf(&b, "Members: %s\n", strings.Join(p.Source.Members, ", "))
	}
	fmt.Fprintf(&b, "Proxy regime: %s. %s\n", p.Regime, p.RegimeReason)
	if p.Deployment != "" {
		fmt.Fprintf(&b, "Existing deployment: %s (rdsbg carries on with it)\n", p.Deployment)
	}
	if p.MajorUpgrade {
		fmt.Fprintf(&b, "Major version upgrade: %s → %s\n", p.Source.EngineVersion, p.Options.TargetEngineVersion)
	}
	b.WriteString("Options:\n")
	for _, r := range optionLines(p.Options) {
		fmt.Fprintf(&b, "  %-42s %s\n", r[0], r[1])
	}
	b.WriteString("\nSteps:\n")
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "%2d. %-20s %s [%s]\n", i+1, s.ID, s.Title, stepMarks(s))
		fmt.Fprintf(&b, "      why:    %s\n", s.Why)
		fmt.Fprintf(&b, "      effect: %s\n", s.Effect)
		for _, c := range s.CLI {
			fmt.Fprintf(&b, "      $ %s\n", c)
		}
	}
	if p.ProxylessNote != "" {
		fmt.Fprintf(&b, "\nProxy-less windows: %s\n", p.ProxylessNote)
	}
	if fb := p.Fallback; fb != nil {
		fmt.Fprintf(&b, "\nIf AWS refuses the native regime: %s\nFallback steps (detach regime), after preflight:\n", fb.Note)
		for i, s := range fb.Steps {
			fmt.Fprintf(&b, "%2d. %-20s %s [%s]\n", i+1, s.ID, s.Title, stepMarks(s))
			for _, c := range s.CLI {
				fmt.Fprintf(&b, "      $ %s\n", c)
			}
		}
	}
	b.WriteString("\nThis is a plan: nothing has been changed.\n")
	return b.String()
}

// MarkdownRunbook is a runbook an operator can paste into a change
// ticket: the header, each step with why/effect/severity and its shell
// commands, and how to roll back (the engine's rollback notes).
func MarkdownRunbook(p Plan, rollback []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Blue/green runbook: %s\n\n", p.Source.ID)
	fmt.Fprintf(&b, "- **Source:** %s\n", sourceLine(p))
	fmt.Fprintf(&b, "- **Source ARN:** `%s`\n", p.Source.ARN)
	if len(p.Source.Members) > 0 {
		fmt.Fprintf(&b, "- **Members:** %s\n", strings.Join(p.Source.Members, ", "))
	}
	fmt.Fprintf(&b, "- **Proxy regime:** `%s`. %s\n", p.Regime, p.RegimeReason)
	if p.Deployment != "" {
		fmt.Fprintf(&b, "- **Existing deployment:** `%s` (carried on)\n", p.Deployment)
	}
	if p.MajorUpgrade {
		fmt.Fprintf(&b, "- **Major version upgrade:** %s → %s\n", p.Source.EngineVersion, p.Options.TargetEngineVersion)
	}
	fmt.Fprintf(&b, "- **Generated:** %s\n\n", p.GeneratedAt.UTC().Format(time.RFC3339))
	b.WriteString("## Options\n\n| flag | value |\n|---|---|\n")
	for _, r := range optionLines(p.Options) {
		fmt.Fprintf(&b, "| `%s` | `%s` |\n", r[0], r[1])
	}
	if p.ProxylessNote != "" {
		fmt.Fprintf(&b, "\n> **Proxy-less windows.** %s\n", p.ProxylessNote)
	}
	if p.Fallback != nil {
		fmt.Fprintf(&b, "\n> **Outage if AWS refuses the native regime.** %s The fallback's steps are below, after the native plan's.\n", p.Fallback.Note)
	}
	b.WriteString("\n## Steps\n")
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "\n### %d. %s (`%s`)\n\n", i+1, s.Title, s.ID)
		fmt.Fprintf(&b, "- **Severity:** %s\n", stepMarks(s))
		fmt.Fprintf(&b, "- **Why:** %s\n", s.Why)
		fmt.Fprintf(&b, "- **Effect:** %s\n", s.Effect)
		if len(s.CLI) > 0 {
			b.WriteString("\n```sh\n")
			for _, c := range s.CLI {
				b.WriteString(c + "\n")
			}
			b.WriteString("```\n")
		}
	}
	if fb := p.Fallback; fb != nil {
		b.WriteString("\n## If AWS refuses the native regime: the detach procedure\n\n" + fb.Note + "\n")
		for i, s := range fb.Steps {
			fmt.Fprintf(&b, "\n### Fallback %d. %s (`%s`)\n\n", i+1, s.Title, s.ID)
			fmt.Fprintf(&b, "- **Severity:** %s\n", stepMarks(s))
			fmt.Fprintf(&b, "- **Effect:** %s\n", s.Effect)
			if len(s.CLI) > 0 {
				b.WriteString("\n```sh\n")
				for _, c := range s.CLI {
					b.WriteString(c + "\n")
				}
				b.WriteString("```\n")
			}
		}
	}
	b.WriteString("\n## Rollback\n\n")
	for _, line := range rollback {
		b.WriteString("- " + line + "\n")
	}
	return b.String()
}
