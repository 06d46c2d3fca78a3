package steps

import (
	"context"
	"math"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// When the reads of a wait come (issue 11 item 7). The proxy-less window
// is AWS's own time (the switchover, the new primary's registration) plus
// what rdsbg adds: the round trips between the steps, and the lag between
// a transition and the read that sees it. At an even interval I that lag
// is I/2 on average for each of the section's two waits, and the section
// may spend about 2 reads/s (design.md §5: far below RDS's 12/s). So the
// reads go where they tell something:
//
//   - none at once after a mutation whose answer already showed the state
//     (waitSpec.afterMutation): the switchover was just accepted, the
//     target was just registered;
//   - the new primary's registration is expected to take about as long as
//     blue's took earlier in this run (same proxy, same AWS): the health
//     wait reads when that time has passed, and densely just after it,
//     instead of every Critical interval from the registration on;
//   - blue's registration is timed closely for that prediction: while it
//     is not AVAILABLE the reads start rampStart apart and the gap grows
//     by rampGrowth (a few extra reads, outside the critical section);
//   - inside the critical section the new primary's health wait ends at
//     the first AVAILABLE read: the step after it, verify, requires
//     StableReads AVAILABLE reads in a row before the run is done, so
//     AVAILABLE is still believed only after several polls (design.md §5),
//     but those polls no longer keep the critical section open.

const (
	rampStart  = 100 * time.Millisecond
	rampGrowth = 1.2
	// dueMinStep is the shortest gap between reads inside a due window.
	dueMinStep = 100 * time.Millisecond
)

// dueWindow is when a wait's transition is expected, as elapsed time from
// the start of the wait.
type dueWindow struct {
	from, to time.Duration
	step     time.Duration // the gap between reads inside the window
	before   time.Duration // the gap between reads before it (0: the wait's interval)
}

// firstRead is the wait before the first read: none, unless the wait
// follows its own mutation (one interval) or has a due window that starts
// sooner than that.
func (s waitSpec) firstRead(interval time.Duration) time.Duration {
	first := s.first
	if first <= 0 && s.afterMutation {
		first = interval
	}
	if s.due != nil && first > s.due.from {
		first = s.due.from
	}
	return max(first, 0)
}

// sooner shortens the gap before the next read (next, the jittered
// interval) while the transition is not seen yet: the ramp after reads
// unsatisfied reads, and the due window at elapsed.
func (s waitSpec) sooner(next time.Duration, reads int, elapsed time.Duration) time.Duration {
	if s.ramp {
		// Compared as floats: after about 140 reads the gap no longer fits
		// a Duration, and the conversion of a too-large float turned it
		// negative, so a wait that outlived its ramp (blue's 5–7 min
		// registration on AWS) read back to back at the call latency's pace.
		if gap := float64(rampStart) * math.Pow(rampGrowth, float64(max(reads-1, 0))); gap < float64(next) {
			next = time.Duration(gap)
		}
	}
	if d := s.due; d != nil && elapsed < d.to {
		if elapsed < d.from {
			next = max(next, d.before)
		}
		next = min(next, max(d.from-elapsed, d.step))
	}
	return next
}

// criticalPace is what a run remembers to pace its critical waits.
type criticalPace struct {
	// registration: how long blue's registration took to turn AVAILABLE in
	// this run: after lo (a read still showed it registering) and by hi
	// (the first AVAILABLE read), from the start of its wait.
	registration *registrationTiming
	// registered: attach-proxy-primary registered the new primary in this
	// process just now (the call succeeded), so the health wait that
	// follows starts at the registration. Consumed by that wait.
	registered bool
}

type registrationTiming struct{ lo, hi time.Duration }

// paceHealthWait shapes a waitHealthy: blue's registration (outside the
// critical section) is timed closely and remembered; the new primary's,
// inside it, is read when blue's time has passed and ends at the first
// AVAILABLE read when verify follows.
func (r *run) paceHealthWait(spec *waitSpec) {
	def, _ := r.e.rows.def(spec.step)
	switch {
	case spec.speed != pollCritical:
		spec.ramp = true
		if def.refills() && def.section == outsideSection {
			spec.seen = func(lo, hi time.Duration) { r.pace.registration = &registrationTiming{lo: lo, hi: hi} }
			// Blue's registration wait follows the deployment's reads and
			// the step's own; its closely spaced reads are marked urgent
			// (the proxy is empty until blue is AVAILABLE) so that the
			// pacer does not stretch them and blur the timing.
			poll := spec.poll
			spec.poll = func(ctx context.Context) (bool, contract.Progress, error) { return poll(awsclient.Urgent(ctx)) }
		}
	case def.refills() && def.section == inSection && r.pace.registered:
		// attach-proxy-primary's own wait, right after its registration
		// (compensation's waits on the same step keep the stable reads:
		// no verify follows them).
		r.pace.registered = false
		if r.planHas(contract.StepVerify) {
			spec.stable = 1
		}
		reg := r.pace.registration
		if reg == nil {
			return // no prediction: read at once, then every critical interval
		}
		// Blue turned AVAILABLE between lo and hi: read in the middle of
		// that span, and at its end if not yet (one or two reads, a lag of
		// at most half the span). Until then read about once a second
		// (Fast): enough to see a registration quicker than blue's.
		half := max((reg.hi-reg.lo)/2, dueMinStep)
		mid := max(reg.hi-half, 0)
		spec.due = &dueWindow{from: mid, to: reg.hi, step: half, before: r.e.cfg.Poll.Fast}
		spec.first = min(mid, r.e.cfg.Poll.Fast)
	}
}

func (r *run) planHas(id contract.StepID) bool {
	for _, s := range r.plan.Steps {
		if s.ID == id {
			return true
		}
	}
	return false
}
