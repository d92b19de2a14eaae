// The run report: one self-contained HTML file about one run of a plan (inline CSS and a few
// lines of inline JS; no network, no external files, system fonts), readable in ten seconds —
// the outcome and the root cause first, then the graph coloured by outcome, a timeline of
// every attempt, and each step's command, exit code, duration and the end of its log.
// Also the graph colours of a run, shared with `ordo graph --run`.
//
// Pure functions of their inputs, except that render_report reads the step logs under
// `run_dir` and spawns Graphviz's `dot` (through render_svg). Thread-safe for const inputs.
// REQUIRES (every function): `graph` was built from `plan`.
#pragma once

#include <string>
#include <vector>

#include "graph.h"
#include "plan.h"
#include "registry.h"
#include "render.h"
#include "result.h"
#include "run_record.h"
#include "vars.h"

namespace ordo {

// The run state of each step as RenderOptions wants it ("succeeded", "failed", "timed_out",
// "skipped", "cancelled", "not_reached", "running"), a note for the tooltip (the skip reason,
// the failure message), a short detail under the id ("exit 1 · 26ms"), and the watchers'
// firing counts. A step the run never reached is "not_reached" once the run has finished.
RenderOptions run_render_options(const Plan& plan, const RunRecord& run);

// The chain of steps that set the run's length, first step first: from the step that settled
// last, back through the predecessor (requires/after/on_failure; the watcher for a triggered
// step; the watched step for a watcher) that released it last. Empty when nothing ran.
std::vector<std::string> run_critical_path(const Graph& graph, const RunRecord& run);

// The values of the plan's `secret = true` variables (for ReportInputs::secret_values).
std::vector<std::string> secret_var_values(const Plan& plan, const VarValues& vars);

// The last `n` lines of a text file (reads at most its last 256 KiB); empty if unreadable.
std::vector<std::string> tail_lines(const std::string& path, size_t n);

// Above this many steps the report does not draw the whole graph (Graphviz takes 1.4 s for
// 3000 steps, 20 s for 10000): it draws the part around the first root cause, if any, and
// says how to draw the rest with `ordo graph`.
inline constexpr size_t kReportGraphMaxSteps = 2000;

struct ReportInputs {
  const Plan& plan;
  const Graph& graph;
  const RunRecord& run;
  std::string run_dir;                 // holds steps/<id>.log ("" : use the output in the record)
  std::string record_path;             // the journal or events file the record came from (shown)
  const Registry* registry = nullptr;  // to redact `secret` parameters in commands
  std::vector<std::string> secret_values;  // literal values replaced by "***" in logs/commands
  size_t log_lines = 40;                   // lines of each step's log to show
};

// The report as one HTML document. When Graphviz is missing the graph section says so.
std::string render_report(const ReportInputs& in);

// Reads the run's record from `record_path`, renders the report and writes it to `out_path`
// (mode 0600: logs may hold secrets). `run_dir` "" : derived from `state_dir` and the record.
struct ReportFiles {
  std::string record_path;
  std::string run_dir;
  std::string state_dir;
  std::string out_path;
};
Status write_report(const Plan& plan, const Graph& graph, const ReportFiles& files,
                    const Registry* registry = nullptr,
                    const std::vector<std::string>& secret_values = {});

}  // namespace ordo
