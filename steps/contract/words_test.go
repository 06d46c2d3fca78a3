package contract

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrapWordsKeepsCommandsWhole(t *testing.T) {
	text := "continues from the journal (or `rdsbg abort --source orders-db --region us-east-1` to undo) and more words after it"
	// Wide enough: the command stays on one line, backticks and all.
	for _, l := range WrapWords(text, 70, "  Next: ", "        ") {
		if strings.Count(l, "`")%2 != 0 {
			t.Errorf("a backticked command is split: %q", l)
		}
	}
	// Too narrow: the command gets lines of its own that paste as one.
	lines := WrapWords(text, 40, "  Next: ", "        ")
	flat := strings.Join(strings.Fields(strings.ReplaceAll(strings.Join(lines, "\n"), " \\\n", " ")), " ")
	for _, want := range []string{"Next: continues from the journal (or rdsbg abort --source orders-db --region us-east-1 to undo) and more words after it"} {
		if flat != want {
			t.Errorf("lines %q read %q, want %q", lines, flat, want)
		}
	}
	for i, l := range lines {
		if utf8.RuneCountInString(l) > 40 {
			t.Errorf("line %d %q is wider than 40", i, l)
		}
	}
	if got := WrapWords("short", 0, "a ", "b"); len(got) != 1 || got[0] != "a short" {
		t.Errorf("no width: %q", got)
	}
}
