package ui

import (
	"testing"

	"charm.land/lipgloss/v2"
)

// The direct table drawing must be byte-for-byte what lipgloss's table
// draws, colours included, with the cell styles the screens use: status
// colours, changed rows (bold+underline or reverse), empty cells, wide
// characters, a blank header.
func TestFastTableMatchesLipgloss(t *testing.T) {
	headers := []string{" ", "BLUE (SOURCE)", " ", "GREEN (TARGET)", "STATUS"}
	rows := [][]string{
		{" ", "ledger", "→", "ledger-green-abc123", "AVAILABLE"},
		{"•", "ledger-1", "→", "ledger-1-green-x", "SWITCHOVER_IN_PROGRESS"},
		{"•", "ledger-2", "→", "(not created yet)", "PROVISIONING"},
		{" ", "é-ünïcode", "→", "", "—"},
		{"•", "ledger-4", "→", "ledger-4-green-z", "SWITCHOVER_FAILED"},
	}
	changed := map[int]bool{1: true, 2: true, 4: true}
	for _, noColor := range []bool{false, true} {
		st := newStyles(noColor)
		cells := map[string]func(row, col int) cellStyle{
			"no styles": nil,
			"status and changed": func(row, col int) cellStyle {
				var s cellStyle
				if col == 4 {
					s = styled(statusStyle(st, rows[row][4]))
				}
				if changed[row] && col != 2 {
					s = styled(s.style.Inherit(st.Changed))
				}
				return s
			},
			"selected": func(row, col int) cellStyle {
				if row == 2 {
					return styled(st.Selected)
				}
				return styled(st.Muted)
			},
			"plain style set": func(row, col int) cellStyle { return styled(lipgloss.NewStyle()) },
		}
		for name, cell := range cells {
			widths, ok := naturalWidths(headers, rows, cellWidths{})
			if !ok {
				t.Fatalf("%s: no natural widths", name)
			}
			got, fast := drawTable(st, widths, cellWidths{}, headers, rows, cell)
			want := lipglossTable(st, 1000, headers, rows, cell)
			// Colour mode never uses reverse video in tables, so it must
			// always take the direct path; NO_COLOR marks rows by reverse
			// video and may leave them to lipgloss.
			if !noColor && !fast {
				t.Errorf("%s: the direct path declined a colour-mode table", name)
			}
			if fast && got != want {
				t.Errorf("noColor=%v %s:\n got %q\nwant %q", noColor, name, got, want)
			}
			if fast && lipgloss.Width(got) != tableWidth(widths) {
				t.Errorf("%s: drawn %d wide, tableWidth says %d", name, lipgloss.Width(got), tableWidth(widths))
			}
			if got := renderTable(st, tableWidth(widths), headers, rows, cell); got != want {
				t.Errorf("noColor=%v %s: renderTable at the natural width differs from lipgloss", noColor, name)
			}
		}
	}
}

// A table wider than the screen still shrinks (through lipgloss), and a
// multi-line cell is left to lipgloss.
func TestTableShrinksToWidth(t *testing.T) {
	st := newStyles(true)
	out := renderTable(st, 30, []string{"NAME", "DESCRIPTION"}, [][]string{{"orders-db", "a description far too long for thirty columns"}}, nil)
	if w := lipgloss.Width(out); w > 30 {
		t.Errorf("table %d wide, want ≤ 30:\n%s", w, out)
	}
	for _, c := range []string{"two\nlines", "a\ttab", "\x1b[1mstyled\x1b[m"} {
		if _, ok := naturalWidths([]string{"A"}, [][]string{{c}}, cellWidths{}); ok {
			t.Errorf("cell %q took the direct path", c)
		}
	}
}
