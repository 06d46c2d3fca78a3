package ui

import (
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// Narrow layouts for the two tables whose cells are names and AWS states:
// cutting them ("billing-pr…", "PENDING_PROXY…", "orders-db-repli…") loses
// exactly what the operator reads them for. When the full table does not
// fit, these layouts keep every name and state whole:
//
//   - proxy targets: one block per proxy (its name as a heading), TYPE and
//     ROLE folded into one short KIND column ("instance rw"), and the
//     health reason on a line of its own under the target when the row
//     would still be too wide;
//   - switchover members: blue and green stacked, green on the line under
//     its blue with an arrow, the status beside blue.
//
// Rows stay single-line cells, so the fast table path still draws them.
// Only a terminal narrower than a name itself falls back to lipgloss's
// shrinking.

// kindOf is a target's TYPE and ROLE in a few letters.
func kindOf(t contract.ProxyTarget) string {
	kind := strings.ToLower(t.Type)
	switch t.Type {
	case "RDS_INSTANCE":
		kind = "instance"
	case "TRACKED_CLUSTER":
		kind = "cluster"
	case "RDS_SERVERLESS_ENDPOINT":
		kind = "serverless"
	}
	switch t.Role {
	case "READ_WRITE":
		kind += " rw"
	case "READ_ONLY":
		kind += " ro"
	}
	return kind
}

func reasonOf(t contract.ProxyTarget) string {
	if t.Health.Reason != "" {
		return t.Health.Reason
	}
	return t.Health.Description
}

// compactProxyTargets is the narrow layout of renderProxyTargets.
func compactProxyTargets(st Styles, width int, targets []contract.ProxyTarget) string {
	var proxies []string
	byProxy := map[string][]contract.ProxyTarget{}
	for _, t := range targets {
		if _, ok := byProxy[t.ProxyName]; !ok {
			proxies = append(proxies, t.ProxyName)
		}
		byProxy[t.ProxyName] = append(byProxy[t.ProxyName], t)
	}
	headers := []string{"TARGET", "KIND", "HEALTH", "REASON"}
	var blocks []string
	for _, p := range proxies {
		ts := byProxy[p]
		rows := make([][]string, len(ts))
		for i, t := range ts {
			rows[i] = []string{orDash(t.RdsResourceID), kindOf(t), orDash(t.Health.State), orDash(reasonOf(t))}
		}
		stacked := func() string {
			// The reason under its target, indented.
			var stacked [][]string
			var health []string // per stacked row, "" for a reason line
			for _, t := range ts {
				stacked = append(stacked, []string{orDash(t.RdsResourceID), kindOf(t), orDash(t.Health.State)})
				health = append(health, t.Health.State)
				if r := reasonOf(t); r != "" {
					stacked = append(stacked, []string{"  ↳ " + r, "", ""})
					health = append(health, "")
				}
			}
			return renderTable(st, width, headers[:3], stacked, func(row, col int) cellStyle {
				if col == 2 && health[row] != "" {
					return statusCell(st, health[row])
				}
				return cellStyle{}
			})
		}
		table := renderTableOr(st, width, headers, rows, func(row, col int) cellStyle {
			if col == 2 {
				return statusCell(st, ts[row].Health.State)
			}
			return cellStyle{}
		}, stacked)
		blocks = append(blocks, st.Bold.Render(p)+"\n"+table)
	}
	if legend := "KIND rw read/write · ro read-only"; len(legend) <= width {
		blocks = append(blocks, st.Muted.Render(legend))
	}
	return strings.Join(blocks, "\n")
}

// memberCells are a member's change mark and green's name.
func memberCells(m contract.SwitchoverMember, changed map[string]bool) (mark, target string) {
	mark = " "
	if changed[memberKey(m)] {
		mark = "•"
	}
	target = shortARN(m.Target)
	if target == "" {
		target = "(not created yet)"
	}
	return mark, target
}

// stackedMembers is the narrow layout of renderMembers.
func stackedMembers(st Styles, width int, members []contract.SwitchoverMember, changed map[string]bool) string {
	var rows [][]string
	var owner []int   // member index of each row
	var isBlue []bool // the member's first line
	for i, m := range members {
		mark, target := memberCells(m, changed)
		rows = append(rows, []string{mark, shortARN(m.Source), orDash(m.Status)}, []string{" ", "→ " + target, ""})
		owner = append(owner, i, i)
		isBlue = append(isBlue, true, false)
	}
	return renderTable(st, width, []string{" ", "BLUE (SOURCE) → GREEN (TARGET)", "STATUS"}, rows, func(row, col int) cellStyle {
		m := members[owner[row]]
		return memberCell(st, m.Status, col == 2 && isBlue[row], changed[memberKey(m)])
	})
}
