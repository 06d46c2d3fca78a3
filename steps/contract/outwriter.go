package contract

import (
	"io"
	"sync"
)

// stickyWriter stops writing after the first failed write: stdout whose
// reader went away (EPIPE: `rdsbg run --output json | head -1`) or whose
// terminal hung up (EIO after SIGHUP) is no reason to stop a run, and
// retrying every event on a dead descriptor only costs time. The run goes
// on; the journal still records everything.
type stickyWriter struct {
	mu   sync.Mutex
	w    io.Writer
	dead error
}

func newStickyWriter(w io.Writer) *stickyWriter {
	if sw, ok := w.(*stickyWriter); ok {
		return sw
	}
	return &stickyWriter{w: w}
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead != nil {
		return len(p), nil
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.dead = err
		return len(p), nil
	}
	return n, nil
}

// Err is the write error that stopped the writer, nil while it works.
func (s *stickyWriter) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead
}
