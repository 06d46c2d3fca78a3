package contract

import "strings"

// shellQuote quotes s for sh when it holds anything beyond a safe set.
func ShellQuote(s string) string {
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/=@+,", r)) {
			safe = false
			break
		}
	}
	if safe && s != "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellLines lays a shell command out for a terminal of width columns so
// that it still runs when pasted (walkthrough D9: a wrapped AWS CLI block
// ran as separate, broken commands): it breaks only between words, never
// inside a quoted argument or a $(…), before a flag where it can, and ends
// every line but the last with " \" (continuation lines are indented four
// spaces). A word longer than the width stays whole. width <= 0: one line.
func ShellLines(cmd string, width int) []string {
	if width <= 0 || len([]rune(cmd)) <= width {
		return []string{cmd}
	}
	// Units: a flag with its value(s), or a word before the first flag.
	var units []string
	for _, w := range ShellWords(cmd) {
		if len(units) == 0 || strings.HasPrefix(w, "--") || strings.HasPrefix(w, "#") || !strings.HasPrefix(units[len(units)-1], "--") {
			units = append(units, w)
			continue
		}
		units[len(units)-1] += " " + w
	}
	const cont = "    "
	var out []string
	line := ""
	put := func(u string) {
		switch {
		case line == "":
			line = u
		case len([]rune(line))+1+len([]rune(u))+2 <= width:
			line += " " + u
		default:
			out = append(out, line+" \\")
			line = cont + u
		}
	}
	for _, u := range units {
		if line != "" && len([]rune(cont))+len([]rune(u))+2 > width {
			// Too long for a line of its own: its words one by one.
			for _, w := range strings.Split(u, " ") {
				put(w)
			}
			continue
		}
		put(u)
	}
	return append(out, line)
}

// shellWords splits a command at the spaces outside quotes (a break
// inside $(…) is a continuation like any other).
func ShellWords(cmd string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	for _, r := range cmd {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ' ':
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

// WrapWords wraps prose to width at spaces, the first line after first and
// the others after indent; a `backticked` command is never split (it is
// meant to be copied): one that does not fit on a line is laid out on
// lines of its own as ShellLines does, without its backticks, so it stays
// one command when pasted. A word longer than the width stays whole.
// width <= 0: one line.
func WrapWords(text string, width int, first, indent string) []string {
	if width <= 0 {
		return []string{first + text}
	}
	var tokens []string
	var cur strings.Builder
	inCode := false
	for _, r := range text {
		if r == '`' {
			inCode = !inCode
		}
		if r == ' ' && !inCode {
			if cur.Len() > 0 {
				tokens = append(tokens, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		tokens = append(tokens, cur.String())
	}
	room := max(width-len([]rune(indent)), 20)
	var out []string
	line, empty := first, true
	for _, t := range tokens {
		if start := strings.Index(t, "`"); start >= 0 && len([]rune(t)) > room {
			end := strings.LastIndex(t, "`")
			if end > start {
				// A command too long for a line: before it, its lines,
				// then what follows it.
				if pre := t[:start]; pre != "" {
					if !empty {
						line += " "
					}
					line += pre
					empty = false
				}
				if !empty {
					out = append(out, line)
				}
				for k, l := range ShellLines(t[start+1:end], room) {
					if k == 0 && empty {
						out = append(out, line+l)
					} else {
						out = append(out, indent+l)
					}
				}
				line, empty = indent, true
				if post := t[end+1:]; post != "" {
					line, empty = indent+post, false
				}
				continue
			}
		}
		if !empty && len([]rune(line))+1+len([]rune(t)) > width {
			out = append(out, line)
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += t
		empty = false
	}
	if !empty || len(out) == 0 {
		out = append(out, line)
	}
	return out
}

// CopyableLines is WrapWords: the name says what the epilogue needs.
func CopyableLines(text string, width int, first, indent string) []string {
	return WrapWords(text, width, first, indent)
}

// ProxyList names the proxies for a sentence: "proxy a", "proxies a and b".
func ProxyList(regs []ProxyRegistration) string {
	switch len(regs) {
	case 1:
		return "proxy " + regs[0].Proxy
	}
	s := "proxies "
	for i, r := range regs {
		if i > 0 {
			if i == len(regs)-1 {
				s += " and "
			} else {
				s += ", "
			}
		}
		s += r.Proxy
	}
	return s
}
