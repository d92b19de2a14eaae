// Event: what happened during a run, as a closed set of named structs (a std::variant), and
// EventSink, the open set of consumers (console, per-step logs, --events file, journal, spdlog).
//
// Only the scheduler thread emits events, in order; sinks are called on that thread and need no
// locking unless they also do work on another thread. Every event carries the wall-clock time
// (for humans and the JSON `ts`) and the monotonic milliseconds since the run started.
// The JSON-lines form of these events is documented in events-format.md.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "duration.h"
#include "executor.h"
#include "value.h"

namespace ordo {

// The result of a step once it has settled. Spelled as in `steps.ID.status`.
enum class StepStatus { Succeeded, Failed, TimedOut, Cancelled, Skipped };
const char* step_status_name(StepStatus s);  // "succeeded", "failed", "timed_out", ...
StepStatus step_status_of(Outcome::Status s);

// Why a step was skipped. NotApplicable satisfies `requires` (its `when` was false, a handler
// was not needed, a triggered step was not triggered, a watcher had nothing to watch); Blocked
// (a requirement failed) and NotReached (the run was aborted or interrupted before the step
// could start) do not.
enum class SkipKind { NotApplicable, Blocked, NotReached };
const char* skip_kind_name(SkipKind k);  // "not_applicable", "blocked", "not_reached"

// How the run as a whole ended. Refused: the only unhandled failures are gates that refused
// (see is_refusal() in scheduler.h: outputs `refused = "true"` or `answer = "no"`, `confirm`).
enum class RunOutcome { Succeeded, Failed, Refused, Interrupted };
const char* run_outcome_name(RunOutcome o);  // "succeeded", "failed", "refused", "interrupted"

const char* output_stream_name(OutputStream s);  // "stdout", "stderr", "info"

// Settled steps by outcome. `skipped` counts every skip; the next three split it by kind.
struct StepCounts {
  int succeeded = 0;
  int failed = 0;
  int timed_out = 0;
  int cancelled = 0;
  int skipped = 0;
  int not_applicable = 0;
  int blocked = 0;
  int not_reached = 0;
  int total() const { return succeeded + failed + timed_out + cancelled + skipped; }
};

// One plan file of the run and its SHA-256 (hex).
struct FileDigest {
  std::string path;
  std::string sha256;
};

// What `ordo resume` decided when it continued a run (journal.md): a RunStarted with this set
// is written as a `run_resumed` record.
struct ResumeInfo {
  int resumes = 1;                // 1 for the first resume of the run, 2 for the next, ...
  bool plan_changed = false;      // the plan's digest differs from the run's
  std::vector<std::string> kept;  // succeeded earlier, unchanged: not run again
  std::vector<std::pair<std::string, std::string>> rerun;  // step, why it runs again
  std::vector<std::string> skipped;  // interrupted, not run again (--skip-interrupted)
};

struct RunStarted {
  std::string run_id;                  // "20261126T010203Z-1a2b"
  std::string plan;                    // plan name
  std::string path;                    // plan file as given
  std::string host;                    // facts.hostname
  int jobs = 1;                        // -j
  std::vector<std::string> steps;      // every step id, in declaration order
  ValueTable vars;                     // resolved variables; secret ones are "***"
  std::string digest;                  // SHA-256 over `files` (empty: not known)
  std::vector<FileDigest> files;       // the main plan file, then each include
  std::optional<ResumeInfo> resume;    // set: this starts a resumed part of an earlier run
  std::vector<std::string> only_tags;  // --only-tags of the run (selection.h); resume keeps them
  std::vector<std::string> skip_tags;  // --skip-tags of the run
};
struct StepStarted {
  std::string step;
  int attempt = 1;          // 1-based, within this run of the step
  bool watcher = false;     // a watcher (runs beside its watched steps, takes no -j slot)
  std::string kind;         // the executor kind ("shell", "confirm", ...)
  std::string fingerprint;  // SHA-256 of kind + resolved params (fingerprint.h); "" if unknown
};
struct StepOutput {
  std::string step;
  OutputStream stream = OutputStream::Stdout;
  std::string line;  // without the newline
};
struct StepWarning {
  std::string step;
  std::string message;
};
struct WatcherFired {
  std::string step;
  int count = 1;                      // firings so far, this one included
  ValueTable details;                 // what the watcher reported
  std::vector<std::string> triggers;  // the steps this firing readies (empty when aborting)
};
struct StepRetrying {
  std::string step;
  int attempt = 2;      // the attempt that will start after the wait
  Millis wait{0};       // backoff before it
  std::string message;  // why the previous attempt failed
  bool timed_out = false;
};
struct StepFinished {
  std::string step;
  StepStatus status = StepStatus::Succeeded;  // never Skipped
  int attempt = 1;                            // the attempt that ended the step
  int exit_code = -1;
  std::string message;
  ValueTable outputs;  // the executor's outputs and the step's `outputs` declarations
  Millis duration{0};  // from the first attempt's start (backoff waits included)
};
struct StepSkipped {
  std::string step;
  SkipKind kind = SkipKind::NotApplicable;
  std::string reason;  // "condition false (...)", "requires a, which failed", ...
  std::string cause;   // Blocked/NotReached: the step whose failure is the root cause ("" if none)
};
// The run stops launching new steps: an unhandled failure (fail-fast) or an interrupt.
struct RunAborting {
  std::string reason;  // "a failed", "interrupted", "interrupted again: skipping cleanup"
  std::string cause;   // the failed step, or ""
  int interrupts = 0;  // SIGINT/SIGTERM received so far
};
struct RunFinished {
  RunOutcome outcome = RunOutcome::Succeeded;
  StepCounts counts;
  std::vector<std::string> root_causes;  // unhandled failures, in declaration order
  Millis duration{0};
};

using EventBody = std::variant<RunStarted, StepStarted, StepOutput, StepWarning, WatcherFired,
                               StepRetrying, StepFinished, StepSkipped, RunAborting, RunFinished>;

struct Event {
  std::chrono::system_clock::time_point time;  // wall clock
  Millis mono{0};                              // monotonic, since the run started
  EventBody body;
};

// "run_started", "step_output", ... (the JSON `t` field); "run_resumed" for a RunStarted with
// `resume` set.
const char* event_type_name(const EventBody& body);

// A consumer of events. Called on the scheduler thread only.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
  // Called periodically while steps run (if the scheduler was given a tick interval), so a live
  // display can update elapsed times.
  virtual void on_tick(std::chrono::system_clock::time_point now, Millis mono) {
    (void)now;
    (void)mono;
  }
  // End of a scheduler turn: write out what is buffered. The scheduler calls it after the
  // events of one turn and before it starts the steps that turn launches (one group commit).
  virtual void flush() {}
  // Make every record written so far durable (the journal: one fdatasync). The scheduler calls
  // it after flush() and before it starts a step that depends on a record not yet synced (a
  // step's end, a watcher's firing), or a step that is not idempotent; and at the end of the
  // run. Sinks with nothing durable to keep ignore it.
  virtual void sync() {}
  // End of a turn, after its steps were started (every turn calls it, launching or not, and
  // the run's end after its last flush and sync). What may trail the processes is written here,
  // off the path from one step's end to the next one's start (FanOut's late sinks).
  virtual void after_launch() {}
};

// Forwards every call to each added sink, in the order they were added. Does not own them.
// A sink added as Flush::AfterLaunch (a console, a log: nothing a crash must find) is flushed
// at after_launch() instead of flush(), so its writes overlap the steps just started.
class FanOut final : public EventSink {
 public:
  enum class Flush { BeforeLaunch, AfterLaunch };
  void add(EventSink& sink, Flush when = Flush::BeforeLaunch) {
    sinks_.push_back(&sink);
    late_.push_back(when == Flush::AfterLaunch);
  }
  void on_event(const Event& event) override;
  void on_tick(std::chrono::system_clock::time_point now, Millis mono) override;
  void flush() override;
  void sync() override;
  void after_launch() override;

 private:
  std::vector<EventSink*> sinks_;
  std::vector<bool> late_;  // per sink: flushed at after_launch()
};

}  // namespace ordo
