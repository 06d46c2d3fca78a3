// Package steps is the blue/green procedure itself: the plan, the steps
// that carry it out against AWS, and what keeps production served while
// they do (design.md §1, §5, §8). Package main and the wizard (ui) drive it
// through Engine (Run, Resume, Abort) and Backend; everything it knows of
// AWS it reads through awsclient.
//
// # The life of a run
//
//  1. Prepare (prepare.go), one fixed order: discover the source and its
//     proxies (steps/preflight), resolve the upgrade against the engine
//     catalogue, run the read-only preflight checks (steps/preflight, with
//     the database checks of dbchecks.go) and build the plan from the step
//     table (plan.go, step.go). Nothing changes AWS; `plan` and
//     `iam-policy` (iampolicy.go) stop here.
//  2. Begin (runner.go): Run discovers the source, takes its lock and
//     opens its journal (steps/journal), gates on what AWS holds for it
//     (ownership.go: a deployment of another run, a lease another process
//     holds), prepares as above, adds the permission probe (permprobe.go),
//     journals the plan and the original proxy registrations (the rollback
//     record) and asks for the plan.
//  3. Steps (runner.go, step.go): for each planned step, in order, the
//     runner reads the world (reconcile.go, steps/world), observes whether
//     AWS already shows the step's effect, asks the operator before a
//     change (the critical section is one question), journals "started",
//     reconciles the view with what the plan expects, applies the change
//     and settles it: a wait (steps/poll) that renews the owner lease and
//     watches the proxies while it waits (reconcile.go's heartbeat). The
//     step_<id>.go files hold each step's plan facet, observe, apply,
//     settle and IAM grants; the row in stepTable declares its traits.
//  4. Meanwhile: every moment a proxy of production has no AVAILABLE
//     target is one outage window (outage.go, fed by proxy_targets.go's
//     reads), shown live, journalled and summed; RDS events are read for
//     explanations (rdsevents.go); the observers (steps/observe: metrics,
//     the connectivity probe, --hook commands) see each step start and end.
//  5. Failure (compensate.go): a failure or an interrupt after a
//     deregistration puts the proxy's target back before the run stops,
//     and keeps trying until AWS accepts it or the operator explicitly
//     stops it; where AWS refuses blue while the run's own deployment
//     exists, it rolls back at --max-proxy-outage.
//  6. End (finish.go): one read of AWS says what is left (leftovers, the
//     proxy's state), the lease is released, and the summary is journalled
//     and sent as run-finished. A run stopped at ready-check pauses ready
//     (runner.go) and is continued by Resume (resume.go), which observes
//     every step again from live AWS state; Abort (abort.go) deletes a
//     deployment not yet switched over and registers blue again.
//
// # Which file owns what
//
//   - engine.go: Config, Engine, New, the event sink, the engine's wait and
//     retry delays (through steps/poll), exit codes; Backend, the engine as
//     the front ends see it.
//   - prepare.go: the one order of preparation (Prepare, PrepareFor).
//   - plan.go: BuildPlan, the plan's builder, notes, CLI lines and runbook.
//   - step.go: the step row (stepDef and its traits), the step table, the
//     shape every step shares and runStep, with its retries.
//   - step_<id>.go: one step each (its plan facet, observe / apply /
//     settle, grants and undo).
//   - runner.go: Run, the walk over the plan, the critical section's
//     question, the pause at ready, exit 3 while nothing has changed.
//   - resume.go, abort.go: Resume and Abort.
//   - run.go: the run hub (what every step needs) and its questions.
//   - reconcile.go: the world view before every change, the heartbeat, the
//     resume's gate.
//   - ownership.go: what a run may act on, and its owner lease.
//   - deployment.go: finding and reading the run's deployment, its tasks'
//     clocks.
//   - proxy_targets.go: registering and deregistering proxy targets, their
//     waits and health, the critical section's pacing.
//   - proxy_tags.go: the tags rdsbg keeps on proxies and the deployment,
//     the claim of the proxies, the restore without a journal.
//   - outage.go: the one book of the proxies' empty time (outage windows).
//   - compensate.go: compensation, the rollback, the fallback to detach.
//   - finish.go: the end of a run, its summary and leftovers.
//   - renames.go: what the switchover renamed, and its check.
//   - dbchecks.go: the database checks within a run (steps/dbcheck).
//   - rdsevents.go: RDS events in the timeline.
//   - permprobe.go: the permission probe before the first change.
//   - iampolicy.go: the least-privilege IAM policy and the grants' scope.
//
// # Packages below this one
//
// None imports steps, and each imports only packages named after it here
// (the compiler refuses a cycle): steps/status (`rdsbg status`),
// steps/journal (records, their fold, the state directory, the lock),
// steps/preflight (discovery and the read-only checks), steps/observe (the
// observers), steps/poll (how the engine waits), steps/contract (the plan,
// options, events, summary and their words), steps/world (the world view
// read from AWS), steps/dbcheck and steps/probe. The fleet engine, which
// runs this package over many databases, sits above it at the top level
// (fleet/), beside ui/.
package steps
