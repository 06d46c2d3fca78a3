package awsclient

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/smithy-go/middleware"
)

// Text from AWS (error messages, names, CloudWatch errors) is data, never
// terminal control: an error message carrying "\n\rrdsbg: done" or an ESC
// sequence must not forge a line or repaint the screen. Sanitize is the one
// filter, applied where such text enters the program: the conversions of
// convert.go, every error an SDK client returns (the middleware below) and
// Inspect. Past this package every AWS string is safe to print anywhere.

// Sanitize makes an AWS-originated string safe for a terminal and a log
// line: newlines, carriage returns and tabs become spaces; other C0
// controls, DEL, C1 codes (U+0080–U+009F, among them CSI U+009B), the
// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069,
// U+200E/F, U+061C) and the line/paragraph separators become visible
// escapes such as \x1b or \u202e; invalid UTF-8 becomes U+FFFD.
func Sanitize(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r < 0x100 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune: a rune that moves the cursor, changes the terminal's state
// or reorders the text around it.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// sanitizedError is an SDK error whose text is sanitized. It unwraps to
// the original, so Classify and errors.As still see the typed fault.
type sanitizedError struct{ err error }

func (e *sanitizedError) Error() string { return Sanitize(e.err.Error()) }
func (e *sanitizedError) Unwrap() error { return e.err }

// sanitizeAPIOptions installs, outermost in every client, the middleware
// that wraps every error the client returns.
func sanitizeAPIOptions() []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Initialize.Add(sanitizeMiddleware{}, middleware.Before)
	}}
}

type sanitizeMiddleware struct{}

func (sanitizeMiddleware) ID() string { return "rdsbgSanitizeErrors" }

func (sanitizeMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil {
		err = &sanitizedError{err: err}
	}
	return out, md, err
}
