// RunState: the mutable state of one run, indexed by step (the Graph stays immutable), plus the
// readiness rules of the edge truth table (decide()) and RunScope, which resolves `when` and
// `${...}` references against the run's variables, facts and settled steps.
//
// Owned by the scheduler; only the scheduler thread reads or changes it. Not thread-safe.
//
// The truth table (architecture.md, "Edge semantics") as decide() applies it to step B:
//   requires = [A]   wait for A to settle; run if A succeeded or was skipped as not applicable;
//                    else skip B as Blocked: "requires A, which failed" (root cause kept).
//   after = [A]      wait for A to settle; any outcome.
//   on_failure = [A] wait; run only if some A failed or timed out; else skip "not needed".
//   always = true    wait for requires/after/on_failure to settle, then run whatever they did;
//                    also runs while the run is aborting; a second interrupt skips it.
//   watches = [A]    start once some A has started; stopped (by the scheduler) when all settle.
//   triggered_by = W run once per firing of W; once W is done, never-run means "not triggered".
// While the run aborts (an unhandled failure, or an interrupt) steps that have not started end
// NotReached, except `always` steps and on_failure handlers (a handler still answers failures);
// a blocked requirement is reported as Blocked first, a triggered step never fired stays
// "not triggered", a watcher whose steps never ran "none of the watched steps ran".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event.h"
#include "facts.h"
#include "graph.h"
#include "plan.h"
#include "refs.h"
#include "vars.h"

namespace ordo {

enum class Phase : uint8_t {
  Pending,    // waiting for its dependencies (or, triggered steps, for a firing)
  Queued,     // ready, `when` true, waiting for a -j slot
  Running,    // an attempt is running
  RetryWait,  // an attempt failed; the next starts at retry_at (holds no slot)
  Done,       // settled: status (and skip kind/reason) final
};

// One per step for the whole run (RunState holds N of them): the members are ordered by size,
// strings and tables first, the one-byte flags last, so no padding is spent between them.
struct StepRun {
  // The result: final once phase == Done. A triggered step that ran and may run again keeps its
  // last run's result here while Pending (has_result).
  std::string reason;            // skip reason, when status == Skipped
  std::string message;           // the outcome's message (failures: "exit code 1")
  std::string last_skip_reason;  // triggered steps: why the last firing did not run it
  ValueTable outputs;            // `steps.ID.outputs.*`

  std::optional<Clock::time_point> first_start;  // first attempt of the current run
  std::optional<Clock::time_point> retry_at;     // RetryWait: when the next attempt starts

  StepStatus status = StepStatus::Skipped;
  SkipKind skip_kind = SkipKind::NotApplicable;  // when status == Skipped
  int cause = -1;  // root-cause step: itself for a failure, the failure behind a Blocked skip
  int exit_code = -1;
  int attempt = 0;           // attempts started in the current run of the step
  int runs = 0;              // runs finished (a triggered step runs once per firing)
  int fired = 0;             // watchers: firings so far (`steps.ID.fired`)
  int pending_triggers = 0;  // triggered steps: firings not yet answered by a run

  Phase phase = Phase::Pending;
  bool has_result = false;
  bool started = false;           // some attempt has started
  bool handled = false;           // a failure answered by a successful `handles = true` handler
  bool awaiting_handler = false;  // a failure whose `handles = true` handlers have not settled
};

class RunState {
 public:
  explicit RunState(size_t steps) : steps_(steps) {}

  size_t size() const { return steps_.size(); }
  StepRun& operator[](int v) { return steps_[static_cast<size_t>(v)]; }
  const StepRun& operator[](int v) const { return steps_[static_cast<size_t>(v)]; }

  bool done(int v) const { return (*this)[v].phase == Phase::Done; }
  // Done as Failed, TimedOut or Cancelled.
  bool is_failure(int v) const;
  // Done and not fit for `requires`: a failure, or skipped Blocked / NotReached.
  bool blocks(int v) const;
  // `steps.ID.status`: the status once the step has a result; nullopt before.
  std::optional<std::string> status_name(int v) const;
  // Counts of settled steps.
  StepCounts counts() const;

 private:
  std::vector<StepRun> steps_;
};

// Run-wide conditions the rules depend on.
struct RunFlags {
  bool aborting = false;         // no new steps but `always` ones and needed handlers
  bool cleanup_skipped = false;  // second interrupt: nothing new starts at all
  std::string abort_reason;      // "the run was aborted after a failed", "interrupted"
  int abort_cause = -1;          // the failed step behind the abort, or -1
};

struct Decision {
  enum class Kind {
    Wait,    // not yet
    Run,     // dependencies allow it (the scheduler then evaluates `when`)
    Skip,    // skip with `skip`, `reason`, `cause`
    Settle,  // a triggered step that ran: done, keeping its last run's result
  };
  Kind kind = Kind::Wait;
  SkipKind skip = SkipKind::NotApplicable;
  std::string reason;
  int cause = -1;
};

// Applies the truth table to step v, which must be Pending. `extra_deps` are steps v must
// also wait for (steps its `when` or `${...}` refer to).
Decision decide(int v, const Plan& plan, const Graph& graph, const RunState& state,
                const RunFlags& flags, const std::vector<int>& extra_deps);

// "a failed", "a timed out", "a was cancelled" — the root cause in words.
std::string cause_text(const Graph& graph, const RunState& state, int cause);

// Resolves refs for `when` and `${...}` during a run: vars, facts, and the steps' status,
// fired count and outputs (an output name may be dotted: `after.indico` is looked up as that
// key, then as nested tables). Unknown or not-yet-known values are nullopt.
class RunScope final : public Scope {
 public:
  RunScope(const VarValues& vars, const Facts& facts, const Graph& graph, const RunState& state)
      : vars_(vars), facts_(facts), graph_(graph), state_(state) {}
  std::optional<Value> lookup(const Ref& ref) const override;

 private:
  const VarValues& vars_;
  const Facts& facts_;
  const Graph& graph_;
  const RunState& state_;
};

// Looks `name` up in an outputs table: the exact key first, then a dotted path through
// nested tables.
const Value* find_output(const ValueTable& outputs, std::string_view name);

}  // namespace ordo
