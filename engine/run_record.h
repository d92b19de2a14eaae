// RunRecord: one run of a plan as read back from its journal (`runs/<run-id>/journal.jsonl`) or
// from an `ordo run --events FILE` stream — the two share one JSON-lines format
// (events-format.md). Used by `ordo graph --run` (colours) and `ordo report` (the HTML).
//
// Reading is forgiving where a crash can leave marks and strict elsewhere: a last line cut off
// mid-write (no newline, not JSON) is dropped and counted in `torn_lines`, trailing NUL bytes
// (the zero tail of a preallocated journal, journal.h) are ignored; a bad line in the
// middle, a missing `run_started`, or an unknown format version is an error. Record types and
// fields this reader does not know are ignored, as the format asks.
// Plain data, built once by parse_run_record(); not thread-safe for mutation. Finding a run in
// the state dir (run_location.cpp) reads the file system only; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duration.h"
#include "event.h"
#include "result.h"
#include "value.h"

namespace ordo {

// Where a step ended up, as far as the record tells. NotRun: no record of it at all (the run
// was killed before it, or is still going); Running: started and not finished when the
// record ends.
enum class StepState { NotRun, Running, Succeeded, Failed, TimedOut, Cancelled, Skipped };
const char* step_state_name(StepState s);  // "not_run", "running", "succeeded", "skipped", ...

// One attempt of one step: from its `step_started` to the `step_retrying` or `step_finished`
// that ended it. All times are the records' `mono_ms` (milliseconds since the run started).
struct AttemptRecord {
  int run = 1;                // which run of the step: a triggered step runs once per firing
  int attempt = 1;            // 1-based within the run
  Millis start{0};            // step_started
  std::optional<Millis> end;  // nullopt: still running when the record ends
  StepState outcome = StepState::Running;  // Succeeded/Failed/TimedOut/Cancelled once ended
  std::string message;                     // why it failed ("exit code 1")
  Millis wait{0};  // backoff between this attempt's end and the next attempt's start
};

// One `watcher_fired` record.
struct FiringRecord {
  Millis at{0};
  int count = 1;                      // firings so far, this one included
  std::vector<std::string> triggers;  // the steps it started
  ValueTable details;                 // what the watcher reported
};

// A line of a step's output as recorded in the stream (not every journal keeps output).
struct OutputLine {
  Millis at{0};
  std::string stream;  // "stdout", "stderr", "info"
  std::string line;
};

struct StepRecord {
  std::string id;
  std::string kind;      // from step_started ("" when it never started)
  bool watcher = false;  // from step_started
  bool declared = true;  // listed in run_started.steps (false: only seen in later records)
  StepState state = StepState::NotRun;
  std::vector<AttemptRecord> attempts;  // every attempt of every run, in order
  int runs = 0;                         // step_finished records seen (triggered steps: >1)
  int exit_code = -1;                   // from the last step_finished
  std::string message;                  // from the last step_finished
  ValueTable outputs;                   // from the last step_finished
  Millis duration{0};                   // from the last step_finished (backoff included)
  std::optional<Millis> settled_at;     // mono of step_finished or step_skipped
  std::optional<SkipKind> skip_kind;    // set when state == Skipped
  std::string skip_reason;              // "requires upgrade, which failed"
  std::string skip_cause;               // root-cause step of a Blocked/NotReached skip
  std::string command;                  // step_started `command`, when the writer records one
  std::vector<FiringRecord> firings;    // watchers: each firing
  std::vector<std::string> warnings;    // step_warning messages
  std::vector<OutputLine> output_tail;  // the last kOutputTail output lines
  long output_lines = 0;                // output lines seen in all

  static constexpr size_t kOutputTail = 200;
  // Start of the first attempt, if any.
  std::optional<Millis> first_start() const;
};

struct RunRecord {
  int version = 0;                // the records' `v`
  std::string run_id;             // "20261126T010203Z-1a2b"
  std::string plan;               // plan name
  std::string path;               // the plan file as given to `ordo run`
  std::string host;               // facts.hostname
  int jobs = 0;                   // -j
  ValueTable vars;                // as recorded (secret ones already "***")
  std::string started_at;         // run_started `ts` ("2026-11-26T01:02:03.456Z")
  std::string last_at;            // `ts` of the last record read
  Millis last_mono{0};            // `mono_ms` of the last record read
  std::vector<StepRecord> steps;  // run_started.steps order, then others as first seen

  std::optional<RunOutcome> outcome;     // nullopt: no run_finished (killed, or still running)
  StepCounts counts;                     // from run_finished
  std::vector<std::string> root_causes;  // from run_finished
  Millis duration{0};                    // run_finished duration_ms, else last_mono

  bool aborted = false;      // a run_aborting record was seen (the first one is kept)
  std::string abort_reason;  // "upgrade failed", "interrupted: ..."
  std::string abort_cause;   // the failed step, or ""
  Millis aborted_at{0};
  int interrupts = 0;  // from the last run_aborting

  // `run_resumed` records (ordo resume): each opens a part that continues the run; the fields
  // above describe the last part (an earlier part's outcome and abort are dropped at a resume,
  // the attempts it left open end at its last record, as `cancelled`, "interrupted: ...").
  int resumes = 0;
  std::vector<Millis> resumed_at;  // per resume: the earlier part's last mono_ms

  int torn_lines = 0;       // a cut-off last line that was dropped (0 or 1)
  int unknown_records = 0;  // records of a type this reader does not know (ignored)

  bool finished() const { return outcome.has_value(); }
  // The step with this id: by index when `step_index` covers every step (as the parser keeps
  // it), else by a linear scan (a RunRecord built by hand).
  const StepRecord* find(std::string_view id) const;
  StepRecord* find(std::string_view id);

  // id -> position in `steps`, filled by the parser (a 100k-step record is looked up per step
  // by status and reports: a scan made that quadratic).
  std::unordered_map<std::string, size_t> step_index;
};

// Parses JSON-lines text. `name` names the source in error messages ("journal.jsonl:7: ...").
Result<RunRecord> parse_run_record(std::string_view text, const std::string& name);
// Reads and parses a file.
Result<RunRecord> read_run_record(const std::string& path);

// The journal of a run directory: "<run_dir>/journal.jsonl".
std::string journal_path(const std::string& run_dir);
// "<state>/<plan>/runs/<run_id>".
std::string run_dir_of(const std::string& state_dir, const std::string& plan,
                       const std::string& run_id);
// The run ids under "<state>/<plan>/runs/", oldest first (run ids start with their UTC start
// time; runs of the same second are ordered by their directory's modification time).
std::vector<std::string> list_runs(const std::string& state_dir, const std::string& plan);

// Where a run's record is. `which` is a run id, a path to a journal/events file, or "" for
// the last run of the plan that has a journal. The error says what was looked for.
struct RunLocation {
  std::string record;   // the JSON-lines file to read
  std::string run_dir;  // the run's directory ("" when unknown until the record is read)
};
Result<RunLocation> locate_run(const std::string& state_dir, const std::string& plan,
                               const std::string& which);

}  // namespace ordo
