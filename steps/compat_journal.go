package steps

// Names that package main still reads from steps while it is reworked in
// parallel (issue 24): each is a sub-package's own (an alias, a copy of a
// constant or error, a wrapper). They go once package main reads them
// from the sub-packages.

import (
	"time"

	"github.com/rdsbg/rdsbg/steps/journal"
)

func FindJournals(p0 string) ([]string, error) { return journal.UnfinishedSources(p0) }
func JournalPath(p0 string, p1 string) string  { return journal.Path(p0, p1) }
func OpenJournal(p0 string, p1 func() time.Time) (*journal.Journal, error) {
	return journal.Open(p0, p1)
}

type PausedRun = journal.PausedRun

func PausedRuns(p0 string) ([]journal.PausedRun, error) { return journal.PausedRuns(p0) }

type RecentRun = journal.RecentRun

func RecentRuns(p0 string, p1 int) ([]journal.RecentRun, error) { return journal.RecentRuns(p0, p1) }

type Record = journal.Record

const RecordFinish = journal.RecordFinish
const RecordRunStarted = journal.RecordRunStarted

func RenderPausedRuns(p0 []journal.PausedRun, p1 time.Time) string {
	return journal.RenderPausedRuns(p0, p1)
}
func RenderRecentRuns(p0 string, p1 []journal.RecentRun) string {
	return journal.RenderRecentRuns(p0, p1)
}
