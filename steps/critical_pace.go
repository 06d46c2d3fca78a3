package steps

import (
	"context"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

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
func (r *run) paceHealthWait(spec *poll.Spec) {
	def, _ := r.e.rows.def(spec.Step)
	switch {
	case spec.Speed != poll.Critical:
		spec.Ramp = true
		if def.refills() && def.section == outsideSection {
			spec.Seen = func(lo, hi time.Duration) { r.pace.registration = &registrationTiming{lo: lo, hi: hi} }
			// Blue's registration wait follows the deployment's reads and
			// the step's own; its closely spaced reads are marked urgent
			// (the proxy is empty until blue is AVAILABLE) so that the
			// pacer does not stretch them and blur the timing.
			poll := spec.Poll
			spec.Poll = func(ctx context.Context) (bool, contract.Progress, error) { return poll(awsclient.Urgent(ctx)) }
		}
	case def.refills() && def.section == inSection && r.pace.registered:
		// attach-proxy-primary's own wait, right after its registration
		// (compensation's waits on the same step keep the stable reads:
		// no verify follows them).
		r.pace.registered = false
		if r.planHas(contract.StepVerify) {
			spec.Stable = 1
		}
		reg := r.pace.registration
		if reg == nil {
			return // no prediction: read at once, then every critical interval
		}
		// Blue turned AVAILABLE between lo and hi: read in the middle of
		// that span, and at its end if not yet (one or two reads, a lag of
		// at most half the span). Until then read about once a second
		// (Fast): enough to see a registration quicker than blue's.
		half := max((reg.hi-reg.lo)/2, poll.DueMinStep)
		mid := max(reg.hi-half, 0)
		spec.Due = &poll.DueWindow{From: mid, To: reg.hi, Step: half, Before: r.e.cfg.Poll.Fast}
		spec.First = min(mid, r.e.cfg.Poll.Fast)
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
