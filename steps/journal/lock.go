package journal

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sourceLock is an exclusive flock on <journal>.lock. flock locks belong to
// the open file, so the kernel drops the lock when the process dies: a crash
// never leaves a stale lock behind, and two runs in one process conflict too.
type Lock struct {
	file *os.File
}

// acquireLock takes the lock for source or returns a *LockError naming the
// holder.
func Acquire(stateDir, source string) (*Lock, error) {
	if err := EnsureDir(stateDir); err != nil {
		return nil, err
	}
	path := Path(stateDir, source) + ".lock"
	f, err := openStateFile(path, os.O_CREATE|os.O_RDWR)
	if err != nil {
		var unsafe *UnsafeStateDirError
		if errors.As(err, &unsafe) {
			return nil, err
		}
		return nil, &StateDirError{Dir: stateDir, Err: err}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockError{Source: source, Path: path, Holder: holder}
		}
		return nil, &StateDirError{Dir: stateDir, Err: fmt.Errorf("lock %s: %w", path, err)}
	}
	// Record the holder for whoever is refused next.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		_ = f.Sync()
	}
	return &Lock{file: f}, nil
}

func readHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid := strings.TrimSpace(string(buf[:n]))
	if pid == "" {
		return ""
	}
	return "pid " + pid
}

// release drops the lock. The file stays: removing it would race with a
// process that has just opened it.
func (l *Lock) Release() {
	if l == nil || l.file == nil {
		return
	}
	_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
	l.file.Close()
	l.file = nil
}

// lockHolder reports whether another process holds source's lock now,
// and who ("pid 1234"), without taking it: a shared, non-blocking probe
// released at once (status takes no lock).
func LockedBy(stateDir, source string) (holder string, held bool) {
	path := Path(stateDir, source) + ".lock"
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return readHolder(f), true
		}
		return "", false
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return "", false
}

// LockError reports a source already being worked on by another run.
type LockError struct {
	Source string
	Path   string
	Holder string // "pid 1234" when known
}

func (e *LockError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "another process"
	}
	return fmt.Sprintf("another rdsbg run holds the lock for %s (%s, lock file %s); wait for it to finish or check `rdsbg status --source %s`", e.Source, holder, e.Path, e.Source)
}
