// Scheduler: runs a validated plan. It owns the RunState, decides what may start (run_state.h
// holds the truth table), starts steps through a Dispatcher with at most `jobs` running at once
// (watchers take no slot), retries with backoff, enforces deadlines, aborts on an unhandled
// failure (fail-fast: nothing new starts but `always` steps and needed handlers), and emits
// every Event to one EventSink.
//
// Threading: one scheduler thread calls start()/pump()/run() and is the only one that touches
// RunState or emits events. Executors run elsewhere (the Dispatcher) and post their output,
// firings, warnings and outcome back through a thread-safe inbox. interrupt() may be called
// from any thread (the signal thread of `ordo run`); the scheduler knows nothing of signals.
//
// Retries: attempt k+1 waits backoff * 2^(k-1), capped at max_backoff; with jitter a wait w
// becomes a value in [w/2, w]. Waiting holds no slot. Failed and timed-out attempts are
// retried; cancelled ones are not.
// Timeouts: each attempt gets ctx.deadline = start + timeout; at the deadline the scheduler
// also requests stop on the attempt, and a Cancelled outcome then counts as TimedOut.
// Watchers: started when the first watched step starts; stop is requested when the last
// watched step settles, and a Cancelled outcome after that counts as Succeeded. ctx.fire()
// returns true while more firings may follow and false once this one reached `max_fires` (or
// the limit was already reached: the firing is then dropped).
// Steps wait for the steps their `when` and `${...}` refer to (unless that would deadlock:
// a step that depends on this one, or its own watcher/watched steps).
// Durability (group commit): after each turn's events the sink is flushed; before the turn's
// steps start, sink.sync() is called once if one of them is not idempotent or depends (an
// in-edge, or a `when`/`${...}` reference) on a step whose end or firing has not been synced
// yet; and once at the end. A chain of N steps costs N syncs, a wave of finishing steps one.
// Resume: with SchedulerOptions::resume the run starts from the seeded state (kept steps are
// settled without events) and opens with a `run_resumed` record (RunStarted with `resume`).
// Determinism: pending steps are decided in topological order; ready steps start by
// Graph::rank (critical path first), then declaration order.
// Testing: with a fake RunClock and a fake Dispatcher, drive start()/pump() by hand.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dispatcher.h"
#include "event.h"
#include "facts.h"
#include "graph.h"
#include "plan.h"
#include "registry.h"
#include "run_clock.h"
#include "run_state.h"
#include "vars.h"

namespace ordo {

// What the run is about. All referenced objects must outlive the Scheduler.
struct RunInputs {
  const Plan& plan;
  const Graph& graph;  // REQUIRES: built from `plan` and validated.
  const Registry& registry;
  const VarValues& vars;
  const Facts& facts;
};

// Where a step starts when a run is resumed (`ordo resume`; resume.h decides the seeds).
struct StepSeed {
  enum class Start {
    Fresh,  // decided and run as in a new run (triggered steps may carry an earlier result)
    Kept,   // settled earlier: the fields below are its result; not run again, no event
    Skip,   // interrupted earlier and not to be run again: skipped (NotApplicable), `reason`
  };
  Start start = Start::Fresh;
  // Kept; or Fresh with has_result: a triggered step that ran (its result stands until it runs
  // again, as within one run).
  bool has_result = false;
  StepStatus status = StepStatus::Succeeded;
  SkipKind skip_kind = SkipKind::NotApplicable;  // a kept skip
  std::string reason;                            // Skip, or a kept skip's reason
  int exit_code = -1;
  std::string message;
  ValueTable outputs;
  int runs = 0;              // triggered steps: runs finished earlier
  int fired = 0;             // watchers: firings earlier (`steps.ID.fired` carries over)
  int pending_triggers = 0;  // triggered steps: earlier firings still to answer
};

struct ResumeSeed {
  ResumeInfo info;              // for the run_resumed record
  std::vector<StepSeed> steps;  // by step index; steps beyond the end start Fresh
  Millis mono_offset{0};        // this part's mono_ms continue from here
};

struct SchedulerOptions {
  int jobs = 1;              // -j: steps running at once (watchers not counted)
  std::string run_id;        // for RunStarted
  bool assume_yes = false;   // --yes, passed to StepContext
  bool interactive = false;  // stdin/stdout are a terminal, passed to StepContext
  Millis tick_interval{0};   // > 0: call EventSink::on_tick this often while steps run
  // Picks a jittered wait in [lo, hi]. Default: uniform random.
  std::function<Millis(Millis lo, Millis hi)> jitter;
  std::string fingerprint_salt;        // salts StepStarted::fingerprint (fingerprint.h)
  std::string plan_digest;             // for RunStarted
  std::vector<FileDigest> plan_files;  // for RunStarted
  const ResumeSeed* resume = nullptr;  // set: continue an earlier run; must outlive the run
  // By step index (empty: every step): non-empty = not selected by --only-tags/--skip-tags
  // (selection.h); such a step is skipped as not applicable with this reason at the start,
  // unless a resume keeps it. The filter itself goes into RunStarted for the record.
  std::vector<std::string> unselected;
  std::vector<std::string> only_tags, skip_tags;
};

struct RunSummary {
  RunOutcome outcome = RunOutcome::Succeeded;
  StepCounts counts;
  std::vector<int> root_causes;  // unhandled failures, in declaration order
  Millis duration{0};
};

// A failed step's outputs say it was a gate that refused: `refused` is true (or "true"), or,
// without `refused`, `answer` is "no" (the `confirm` kind). A run whose only unhandled failures
// are refusals ends RunOutcome::Refused (exit 3).
bool is_refusal(const ValueTable& outputs);

// The wait before retry number `retry` (1: before the second attempt), without jitter.
Millis backoff_wait(const RetryPolicy& policy, int retry);

class Scheduler {
 public:
  Scheduler(RunInputs inputs, RunClock& clock, Dispatcher& dispatcher, EventSink& sink,
            SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs the plan to the end on the calling thread: start(), then pump() whenever a message
  // arrives or a timer is due, until finished().
  RunSummary run();

  // Thread-safe. The first call stops launching, requests stop on every running step, then
  // lets `always` steps run; the second also skips (and stops) the cleanup.
  void interrupt();

  // For tests (run() is these in a loop):
  void start();           // emits RunStarted and launches the first steps
  void pump();            // handles posted messages and due timers, launches what became ready
  bool finished() const;  // every step settled, nothing running; RunFinished was emitted
  std::optional<Clock::time_point> next_timer() const;  // earliest retry/deadline/tick
  const RunState& state() const;
  RunSummary summary() const;
  int syncs() const;  // sink.sync() calls so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ordo
