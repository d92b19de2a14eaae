// Executor: the interface every step kind implements, and the types it exchanges with the
// scheduler (StepContext in, Outcome out). This header is all an executor includes from the
// engine.
//
// run() is called on a worker thread, blocks until the step ends and returns promptly once
// ctx.stop is requested or ctx.deadline passes. An Executor object is shared by all steps of
// its kind and may run concurrently: run() must not mutate the Executor.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "diagnostics.h"
#include "duration.h"
#include "plan.h"
#include "spec.h"
#include "value.h"

namespace ordo {

using Clock = std::chrono::steady_clock;

enum class OutputStream { Stdout, Stderr, Info };

// How to run a step's processes: who, where, with what environment. Computed by the engine
// from `user`, `env`, `venv`, `cwd` (see step_env.h).
struct RunAs {
  std::string user;  // empty: the current user
  uid_t uid = 0;     // valid when !user.empty()
  gid_t gid = 0;
  std::string home;                                      // the step user's home (for ~ expansion)
  std::vector<std::pair<std::string, std::string>> env;  // the full environment of the child
  std::string cwd;                                       // empty: inherit
};

struct StepContext {
  std::string step_id;
  std::string kind;
  int attempt = 1;    // 1-based
  ValueTable params;  // interpolated, defaults applied, ~ not yet expanded
  RunAs run_as;
  std::stop_token stop;                       // cancellation (Ctrl-C, abort); timeout via deadline
  std::optional<Clock::time_point> deadline;  // end of this attempt's `timeout`
  Millis kill_grace{10000};
  bool assume_yes = false;   // --yes
  bool interactive = false;  // stdin and stdout are a terminal

  // Output lines from the step (one call per line, without the newline). Thread-safe.
  std::function<void(OutputStream, std::string_view)> output = [](OutputStream, std::string_view) {
  };
  // For watchers: report a firing with its details; returns false once the watcher's
  // max_fires is reached (the watcher should then stop polling). Thread-safe.
  std::function<bool(const ValueTable&)> fire = [](const ValueTable&) { return false; };
  // Warnings for the run log and console (e.g. "database unreachable"). Thread-safe.
  std::function<void(std::string_view)> warn = [](std::string_view) {};

  // Expands a leading ~ to run_as.home (or the current user's home).
  std::string expand_path(std::string_view p) const;
};

struct Outcome {
  enum class Status { Succeeded, Failed, TimedOut, Cancelled };
  Status status = Status::Failed;
  int exit_code = -1;   // process exit code; -1 when not a process or killed
  int signal = 0;       // the signal that killed the process, if any
  std::string message;  // one line for humans: "exit code 2", "unit foo.service not found"
  ValueTable outputs;   // the executor's own outputs (`exit_code`, `stdout`, `state`, ...)

  static Outcome succeeded(ValueTable outputs = {}) {
    Outcome o;
    o.status = Status::Succeeded;
    o.exit_code = 0;
    o.outputs = std::move(outputs);
    return o;
  }
  static Outcome failed(std::string message, int exit_code = -1) {
    Outcome o;
    o.status = Status::Failed;
    o.message = std::move(message);
    o.exit_code = exit_code;
    return o;
  }
};
const char* outcome_status_name(Outcome::Status s);  // "succeeded", "failed", "timed_out", ...

class Executor {
 public:
  virtual ~Executor() = default;
  virtual const ExecutorSpec& spec() const = 0;
  // Cross-field rules beyond the table (e.g. "give `dsn` or `indico_conf`"). Report at
  // step.loc or at the offending parameter's loc.
  virtual void check(const StepDecl& step, Diagnostics& diags) const {
    (void)step;
    (void)diags;
  }
  virtual Outcome run(StepContext& ctx) const = 0;
};

}  // namespace ordo
