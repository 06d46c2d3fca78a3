package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The state directory may be shared (a bastion's /var/lib, a team's
// directory): nothing planted there may make rdsbg write where it should
// not, or read someone else's journal as its own.
//
//   - A directory writable by others is refused unless it is sticky and
//     owned by the user (then others cannot replace or remove our files).
//   - Every file is opened with O_NOFOLLOW: a symlink planted in place of
//     the journal, the lock or the runbook is never written through.
//   - New files are created with O_EXCL (the runbook's temporary file, the
//     probe), and an existing journal or lock must be a regular file owned
//     by the user with one link (no hard link to a file elsewhere).

// UnsafeStateDirError: a state directory or a file in it that rdsbg will
// not use.
type UnsafeStateDirError struct {
	Path   string
	Reason string
}

func (e *UnsafeStateDirError) Error() string {
	return fmt.Sprintf("refusing %s: %s; pass --state-dir with a directory only you can write to (mode 0700)", e.Path, e.Reason)
}

// checkStateDir refuses a directory others can write to, unless it is
// sticky and ours.
func checkStateDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return &StateDirError{Dir: dir, Err: err}
	}
	if !fi.IsDir() {
		return &UnsafeStateDirError{Path: dir, Reason: "it is not a directory"}
	}
	perm := fi.Mode().Perm()
	if perm&0o022 == 0 {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	owned := ok && int(st.Uid) == os.Geteuid()
	if fi.Mode()&os.ModeSticky != 0 && owned {
		return nil
	}
	return &UnsafeStateDirError{Path: dir, Reason: fmt.Sprintf("the directory is writable by other users (mode %04o) and not sticky and owned by you", perm|stickyBits(fi.Mode()))}
}

func stickyBits(m fs.FileMode) fs.FileMode {
	if m&os.ModeSticky != 0 {
		return 0o1000
	}
	return 0
}

// openStateFile opens a file of the state directory without following a
// symlink, and checks that what it opened is ours alone.
func openStateFile(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &UnsafeStateDirError{Path: path, Reason: "it is a symbolic link (rdsbg never writes or reads through one in its state directory)"}
		}
		return nil, err
	}
	if err := checkStateFile(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkStateFile: a regular file, owned by the user, with one link.
func checkStateFile(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &UnsafeStateDirError{Path: path, Reason: "it is not a regular file"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if int(st.Uid) != os.Geteuid() {
			return &UnsafeStateDirError{Path: path, Reason: fmt.Sprintf("it belongs to another user (uid %d)", st.Uid)}
		}
		if st.Nlink > 1 {
			return &UnsafeStateDirError{Path: path, Reason: fmt.Sprintf("it has %d hard links (one may point at a file outside the state directory)", st.Nlink)}
		}
	}
	return nil
}

// writeFileAtomic writes data to path through a fresh temporary file
// (O_EXCL, O_NOFOLLOW) renamed over it: a symlink planted at path is
// replaced, never followed.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
	}
	return werr
}

// StateDirError reports a state directory the journal cannot be written to.
type StateDirError struct {
	Dir string
	Err error
}

func (e *StateDirError) Error() string {
	return fmt.Sprintf("state directory %s is not writable (%v): the journal must be written before any change; pass --state-dir with a writable directory", e.Dir, e.Err)
}

func (e *StateDirError) Unwrap() error { return e.Err }
