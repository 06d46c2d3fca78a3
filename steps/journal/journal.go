package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
)

// RecordKind names a journal record.
type RecordKind string

const (
	RecordRunStarted   RecordKind = "run-started"  // options + plan
	RecordPlan         RecordKind = "plan"         // a re-plan (regime fallback, resume with a changed plan)
	RecordProxies      RecordKind = "proxies"      // the original registrations: the rollback record
	RecordStep         RecordKind = "step"         // a step transition
	RecordMutation     RecordKind = "mutation"     // a mutating call and its request id
	RecordCall         RecordKind = "call"         // audit: every AWS call
	RecordDeployment   RecordKind = "deployment"   // the deployment this run owns
	RecordCompensation RecordKind = "compensation" // what compensation did
	RecordProxyless    RecordKind = "proxyless"    // read only: an older rdsbg's critical-section window (now RecordOutage)
	RecordOutage       RecordKind = "outage"       // an outage window opened or closed (outage.go)
	RecordRenames      RecordKind = "renames"      // before → after names and the old blue ARNs, at switchover
	RecordFinish       RecordKind = "finish"
	RecordTask         RecordKind = "task"      // a deployment task's status and since when (steps/deployment.go)
	RecordDBLedger     RecordKind = "db-ledger" // what the database checks saw of blue's replication (dbchecks.go)
	RecordRDSEvent     RecordKind = "rds-event" // one RDS event: its message, the step it came in (rdsevents.go)
)

// Step transitions recorded in RecordStep.State.
const (
	StepStateStarted = "started"
	StepStateDone    = "done"
	StepStateFailed  = "failed"
	StepStateSkipped = "skipped"
	// StepStateInterrupted: the run was stopped (SIGINT, SIGTERM, quit)
	// while the step was under way; resume re-observes it like any step
	// that did not finish.
	StepStateInterrupted = "interrupted"
)

// Record is one journal line. Only the fields that apply are set.
type Record struct {
	Time         time.Time                    `json:"time"`
	Kind         RecordKind                   `json:"kind"`
	Source       string                       `json:"source,omitempty"`
	Step         contract.StepID              `json:"step,omitempty"`
	State        string                       `json:"state,omitempty"`
	Operation    string                       `json:"operation,omitempty"`
	RequestID    string                       `json:"request_id,omitempty"`
	DeploymentID string                       `json:"deployment_id,omitempty"`
	Message      string                       `json:"message,omitempty"`
	Options      *contract.Options            `json:"options,omitempty"`
	Plan         *contract.Plan               `json:"plan,omitempty"`
	Proxies      []contract.ProxyRegistration `json:"proxies,omitempty"`
	Outage       *contract.OutageWindow       `json:"outage,omitempty"` // outage.go
	Call         *awsclient.Call              `json:"call,omitempty"`
	Renames      map[string]string            `json:"renames,omitempty"`
	OldBlue      []string                     `json:"old_blue,omitempty"` // ARNs of the -oldN resources
	Finished     *contract.Finished           `json:"finished,omitempty"`
	Task         *TaskMark                    `json:"task,omitempty"`
	RDSEvent     *awsclient.RDSEvent          `json:"rds_event,omitempty"` // rdsevents.go
	DBLedger     *dbcheck.Ledger              `json:"db_ledger,omitempty"` // dbchecks.go
}

// Journal is the append-only, fsynced record of one source's runs.
type Journal struct {
	mu   sync.Mutex
	path string
	file *os.File
	now  func() time.Time
	// AfterAppend, when set (by the engine, for its tests), runs after
	// each durable append: the crash-safety tests stop the process image
	// there.
	AfterAppend func()
}

// JournalPath is the journal file of a source (identifier or ARN) under
// stateDir. The name keeps only safe characters so an ARN maps to one file.
func Path(stateDir, sourceKey string) string {
	return filepath.Join(stateDir, safeName(sourceKey)+".journal.jsonl")
}

// safeName maps an identifier or ARN to a file name: the identifier part of
// an ARN (its last ':' field) so `db-1` and its ARN share a journal.
func safeName(source string) string {
	if i := strings.LastIndex(source, ":"); i >= 0 && strings.HasPrefix(source, "arn:") {
		source = source[i+1:]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(source) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// ensureStateDir creates the directory and proves it is writable, before
// anything is changed in AWS.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &StateDirError{Dir: dir, Err: err}
	}
	if err := checkStateDir(dir); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return &StateDirError{Dir: dir, Err: err}
	}
	name := probe.Name()
	probe.Close()
	os.Remove(name)
	return nil
}

// OpenJournal opens (creating if needed) the journal at path for appending.
func Open(path string, now func() time.Time) (*Journal, error) {
	f, err := openStateFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
	if err != nil {
		var unsafe *UnsafeStateDirError
		if errors.As(err, &unsafe) {
			return nil, err
		}
		return nil, &StateDirError{Dir: filepath.Dir(path), Err: err}
	}
	return &Journal{path: path, file: f, now: now}, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Append writes one record and fsyncs it: a crash right after Append returns
// never loses the record.
func (j *Journal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.file == nil {
		return errors.New("journal closed")
	}
	if r.Time.IsZero() {
		r.Time = j.now()
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	line = append(line, '\n')
	if _, err := j.file.Write(line); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.file.Sync(); err != nil {
		return fmt.Errorf("journal %s: fsync: %w", j.path, err)
	}
	if j.AfterAppend != nil {
		j.mu.Unlock()
		defer j.mu.Lock()
		j.AfterAppend()
	}
	return nil
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.file == nil {
		return nil
	}
	err := j.file.Close()
	j.file = nil
	return err
}

// ReadJournal reads every complete record of a journal, whatever the
// length of its lines. A torn last line (a crash mid-write) is ignored: the
// record before it is the truth. A symlink in place of the journal is
// refused, never read as if it were ours.
func Read(path string) ([]Record, error) {
	f, err := openStateFile(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Record
	rd := bufio.NewReaderSize(f, 64*1024)
	for {
		line, err := rd.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var r Record
			if json.Unmarshal(line, &r) == nil {
				out = append(out, r)
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, &UnreadableError{Path: path, Err: err}
		}
	}
}

// JournalError: a journal that exists but cannot be read. It is never
// taken for an absent journal: a run that forgot a detached proxy would
// leave it empty.
type UnreadableError struct {
	Path string
	Err  error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("the journal %s exists but cannot be read (%v): rdsbg will not act on %s without it; fix or move it aside after checking `rdsbg status`", e.Path, e.Err, filepath.Base(e.Path))
}

func (e *UnreadableError) Unwrap() error { return e.Err }

// readPrior reads the journal a run starts from: absent is an empty
// history, anything else unreadable is refused.
func ReadState(path string) (State, error) {
	recs, err := Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		var je *UnreadableError
		var unsafe *UnsafeStateDirError
		if !errors.As(err, &je) && !errors.As(err, &unsafe) {
			err = &UnreadableError{Path: path, Err: err}
		}
		return State{}, err
	}
	return Fold(recs), nil
}

// JournalState is what a journal says about the latest run of a source.
type State struct {
	Source       string
	Options      contract.Options
	Plan         *contract.Plan
	Proxies      []contract.ProxyRegistration // the rollback record
	Outages      []contract.OutageWindow      // the run's outage windows so far (outage.go)
	DeploymentID string
	Steps        map[contract.StepID]string // last transition per step
	Started      map[contract.StepID]time.Time
	Finished     *contract.Finished
	ProxylessAt  *time.Time // the proxy-less window opened and was not closed
	RunStarted   time.Time
	Renames      map[string]string
	OldBlue      []string
	// ContinueWithoutProxy: the operator chose to leave the proxy empty
	// until the switchover.
	ContinueWithoutProxy bool
	// Tasks are the deployment tasks' clocks (steps/deployment.go).
	Tasks map[string]TaskMark
	// FinishedAt is when the latest run's finish record was written.
	FinishedAt time.Time
	// LastRecordAt is the latest time any record carries: where the
	// journal's clock stood when its writer stopped (outage.go).
	LastRecordAt time.Time
	// DBLedger is the latest ledger the database checks journalled.
	DBLedger *dbcheck.Ledger
}

// Unfinished is true when the latest run started and never finished, or
// finished in a resumable way (failed, interrupted).
func (s State) Unfinished() bool {
	if s.Plan == nil {
		return false
	}
	if s.Finished == nil {
		return true
	}
	switch s.Finished.Outcome {
	case contract.OutcomeDone, contract.OutcomeRolledBack, contract.OutcomeBlocked, contract.OutcomeCancelled:
		return false
	}
	return true
}

// Done is true when the journal says the step finished (done or skipped).
func (s State) Done(id contract.StepID) bool {
	st := s.Steps[id]
	return st == StepStateDone || st == StepStateSkipped
}

// FoldJournal reduces records to the latest run's state.
func Fold(records []Record) State {
	var s State
	var last time.Time
	for _, r := range records {
		if r.Time.After(last) {
			last = r.Time
		}
		switch r.Kind {
		case RecordRunStarted:
			// A new run starts over: nothing of a finished run (its
			// renames, its deployment) may leak into the next one.
			s = State{Source: r.Source, RunStarted: r.Time}
			if r.Options != nil {
				s.Options = *r.Options
			}
			s.Plan = r.Plan
		case RecordPlan:
			s.Plan = r.Plan
			s.Finished = nil
		case RecordProxies:
			s.Proxies = r.Proxies
		case RecordOutage:
			s.Outages = foldOutage(s.Outages, r)
		case RecordDeployment:
			s.DeploymentID = r.DeploymentID
		case RecordStep:
			if s.Steps == nil {
				s.Steps = map[contract.StepID]string{}
				s.Started = map[contract.StepID]time.Time{}
			}
			s.Steps[r.Step] = r.State
			if r.State == StepStateStarted {
				s.Started[r.Step] = r.Time
			}
		case RecordProxyless:
			// Written by an older rdsbg only: the outage records hold the
			// critical section's window now (restoreOutages converts it).
			if r.State == "open" {
				t := r.Time
				s.ProxylessAt = &t
			} else {
				s.ProxylessAt = nil
			}
		case RecordRenames:
			s.Renames = r.Renames
			s.OldBlue = r.OldBlue
		case RecordFinish:
			s.Finished = r.Finished
			s.FinishedAt = r.Time
		case RecordDBLedger:
			s.DBLedger = r.DBLedger
		case RecordTask:
			if r.Task != nil {
				if s.Tasks == nil {
					s.Tasks = map[string]TaskMark{}
				}
				s.Tasks[r.Task.Name] = *r.Task
			}
		}
		if r.Kind == RecordStep && r.Step == contract.StepAttachProxyBlue && r.Message == ContinueWithoutProxyNote {
			s.ContinueWithoutProxy = true
		}
		if r.DeploymentID != "" && r.Kind != RecordCall {
			s.DeploymentID = r.DeploymentID
		}
	}
	s.LastRecordAt = last
	return s
}

// FindJournals returns the sources whose latest run is unfinished
// (resumable), sorted: `rdsbg resume` and `rdsbg status` without --source
// use the one when there is exactly one.
func UnfinishedSources(stateDir string) ([]string, error) {
	open, err := Unfinished(stateDir)
	if err != nil {
		return nil, err
	}
	sources := make([]string, 0, len(open))
	for _, src := range open {
		sources = append(sources, src)
	}
	sort.Strings(sources)
	return sources, nil
}

// journalFiles lists the journal files under stateDir, newest first.
func Files(stateDir string) ([]string, error) {
	entries, err := os.ReadDir(stateDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type found struct {
		path string
		mod  time.Time
	}
	var out []found
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".journal.jsonl") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, found{filepath.Join(stateDir, e.Name()), info.ModTime()})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].mod.After(out[k].mod) })
	paths := make([]string, len(out))
	for i, f := range out {
		paths[i] = f.path
	}
	return paths, nil
}

// UnfinishedJournals returns the journals whose latest run can be resumed,
// with the source each names: `rdsbg resume` without --source uses the one
// when there is exactly one.
func Unfinished(stateDir string) (map[string]string, error) {
	paths, err := Files(stateDir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range paths {
		recs, err := Read(p)
		if err != nil {
			// Unreadable is not "nothing to resume": say so.
			return nil, err
		}
		st := Fold(recs)
		if st.Unfinished() {
			out[p] = st.Source
		}
	}
	return out, nil
}

// continueWithoutProxyNote marks the journal record of that choice.
const ContinueWithoutProxyNote = "continue-without-proxy approved"

// A finished run's journal is archived as <source>.<run>.journal.jsonl
// (issue 20): the next run of the source starts from an empty history, so
// nothing of a finished run (its renames, its skipped steps, its
// deployment) can leak into it, and no run ever resumes or adopts a
// finished one. `status` and `resume` still read the newest archive to say
// how the last run ended.

// ArchivePath is where the journal of run on source is archived.
func ArchivePath(stateDir, source, run string) string {
	return filepath.Join(stateDir, safeName(source)+"."+safeName(run)+".journal.jsonl")
}

// archiveRunID names the archived run: its plan's run id, else the time
// its run-started record was written.
func archiveRunID(st State) string {
	if st.Plan != nil {
		return contract.RunID(*st.Plan)
	}
	if !st.RunStarted.IsZero() {
		return st.RunStarted.UTC().Format("20060102T150405Z")
	}
	return "unknown"
}

// archiveDest is the archive name for a journal whose latest run is st:
// an existing archive of the same run is never overwritten (a number is
// added).
func ArchiveDest(stateDir, source string, st State) string {
	dest := ArchivePath(stateDir, source, archiveRunID(st))
	for n := 2; ; n++ {
		if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
			return dest
		}
		dest = ArchivePath(stateDir, source, fmt.Sprintf("%s-%d", archiveRunID(st), n))
	}
}

// archiveJournal moves the journal at path to dest.
func Archive(stateDir, path, dest string) error {
	if err := os.Rename(path, dest); err != nil {
		return &StateDirError{Dir: stateDir, Err: fmt.Errorf("archive the finished journal %s: %w", filepath.Base(path), err)}
	}
	return nil
}

// isArchive: a journal file name of the form <source>.<run>.journal.jsonl.
func isArchive(name string) bool {
	return strings.Count(strings.TrimSuffix(name, ".journal.jsonl"), ".") > 0
}

// latestArchive is the newest archived journal of source, "" when none.
func LatestArchive(stateDir, source string) string {
	paths, err := Files(stateDir)
	if err != nil {
		return ""
	}
	prefix := safeName(source) + "."
	for _, p := range paths {
		base := filepath.Base(p)
		if isArchive(base) && strings.HasPrefix(base, prefix) && !strings.Contains(strings.TrimPrefix(strings.TrimSuffix(base, ".journal.jsonl"), prefix), ".") {
			return p
		}
	}
	return ""
}

// foldOutage folds one outage record of the journal into ws.
func foldOutage(ws []contract.OutageWindow, r Record) []contract.OutageWindow {
	if r.Outage == nil {
		return ws
	}
	o := *r.Outage
	switch r.State {
	case "open":
		for i := range ws {
			if ws[i].Open && ws[i].Step == o.Step && ws[i].Cause == o.Cause {
				for _, p := range o.Proxies {
					if !slices.Contains(ws[i].Proxies, p) {
						ws[i].Proxies = append(ws[i].Proxies, p)
					}
				}
				return ws
			}
		}
		o.Open = true
		o.Proxies = slices.Clone(o.Proxies)
		return append(ws, o)
	case "closed":
		o.Open = false
		for i := range ws {
			if ws[i].Start.Equal(o.Start) && ws[i].Cause == o.Cause {
				ws[i] = o
				return ws
			}
		}
		return append(ws, o)
	}
	return ws
}

// TaskMark is a deployment task's status and when it entered it, as the
// journal keeps it (RecordTask).
type TaskMark struct {
	Name   string    `json:"name"`
	Status string    `json:"status"`
	Since  time.Time `json:"since"`
	// Took is, for a COMPLETED task, the time it spent in its status
	// before: how long it ran. 0 when it was first seen COMPLETED.
	Took time.Duration `json:"took_ns,omitempty"`
	// AtLeast: the task was already in its status when rdsbg first read it
	// (rdsbg does not read the tasks while it registers blue again), so
	// the time is a lower bound (walkthrough D18).
	AtLeast bool `json:"at_least,omitempty"`
}
