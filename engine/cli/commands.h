// The subcommands of `ordo`, one function each (each in its own cmd_<name>.cpp), and the option
// structs that app.cpp fills from the command line. No CLI11 here: it stays in app.cpp.
//
// Exit codes: 0 success, 1 a step failed, 2 invalid plan or usage, 3 refused, 130 interrupted.
#pragma once

#include <string>
#include <vector>
#include "selection.h"

namespace ordo::cli {

enum ExitCode {
  kExitOk = 0,
  kExitFailed = 1,
  kExitInvalid = 2,
  kExitRefused = 3,
  kExitInterrupted = 130
};

// Options every plan-reading command takes.
struct CommonOptions {
  std::string state_dir;                // --state-dir (empty: the default)
  std::vector<std::string> set;         // --set name=value (repeatable)
  std::vector<std::string> vars_files;  // --vars FILE.toml (repeatable)
  std::vector<std::string> facts;       // --fact name=value (repeatable)
  bool no_color = false;                // --no-color (NO_COLOR in the environment too)
};

int cmd_check(const std::vector<std::string>& plans, const CommonOptions& common);
int cmd_kinds();
int cmd_explain(const std::string& kind);
int cmd_schema();

struct PlanOptions {
  std::string plan;
  TagFilter tags;  // --only-tags / --skip-tags
  CommonOptions common;
};
int cmd_plan(const PlanOptions& opts);

struct GraphOptions {
  std::string plan;
  std::string format = "text";        // dot | mermaid | text | svg
  std::string output;                 // -o FILE (empty: stdout)
  bool with_run = false;              // --run given: colour by a run's outcome
  std::string run;                    // --run RUN-ID or a journal/events file ("": the last run)
  std::string focus;                  // --focus STEP ("": the whole plan)
  int depth = -1;                     // --depth N (-1: not given, the default)
  std::vector<std::string> collapse;  // --collapse TAG..., in the order given
  CommonOptions common;
};
int cmd_graph(const GraphOptions& opts);

struct ReportOptions {
  std::string plan;
  std::string run;     // RUN-ID or a journal/events file ("": the last run of the plan)
  std::string output;  // -o FILE (empty: <run dir>/report.html)
  CommonOptions common;
};
int cmd_report(const ReportOptions& opts);

struct RunOptions {
  std::string plan;
  int jobs = 0;               // -j N: steps running at once (0: the number of hardware threads)
  bool yes = false;           // --yes: answer yes to `confirm` gates
  std::string events;         // --events FILE: the JSON-lines event stream (events-format.md)
  bool no_report = false;     // --no-report: do not write <run dir>/report.html at the end
  bool fresh = false;         // --fresh: abandon the plan's unfinished run and start a new one
  bool wait_orphans = false;  // --wait-orphans: wait for a killed run's steps, not stop them
  TagFilter tags;             // --only-tags / --skip-tags
  CommonOptions common;
};
int cmd_run(const RunOptions& opts);

// `ordo resume PLAN`: the run flags, and what to do with interrupted non-idempotent steps.
struct ResumeOptions {
  RunOptions run;                  // -j, --yes, --events, --no-report, --state-dir, --set...
  bool rerun_interrupted = false;  // --rerun-interrupted
  bool skip_interrupted = false;   // --skip-interrupted
};
int cmd_resume(const ResumeOptions& opts);

// `ordo status PLAN [RUN-ID]`: a run's steps from its journal.
struct StatusOptions {
  std::string plan;  // plan file or plan name
  std::string run;   // run id ("": the last run)
  bool json = false;
  CommonOptions common;
};
int cmd_status(const StatusOptions& opts);

// `ordo unlock PLAN`: remove a lock left by a dead run (--force: even a live one's).
struct UnlockOptions {
  std::string plan;  // plan file or plan name
  bool force = false;
  CommonOptions common;
};
int cmd_unlock(const UnlockOptions& opts);

}  // namespace ordo::cli
