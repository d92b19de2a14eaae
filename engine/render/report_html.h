// Internal to the run report (render/report*.cpp): the sections, HTML escaping, time
// formatting, and the inline stylesheet and script. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duration.h"
#include "graph.h"
#include "plan.h"
#include "report.h"
#include "run_record.h"

namespace ordo::report {

// What the sections of one report share.
struct Context {
  const ReportInputs& in;
  std::vector<std::string> critical;  // run_critical_path()

  const RunRecord& run() const { return in.run; }
  const StepDecl* decl(const std::string& id) const {
    const int v = in.graph.index(id);  // the graph's vertices are the plan's step indices
    return v < 0 ? nullptr : &in.plan.steps[static_cast<size_t>(v)];
  }
  // Each of in.secret_values (3 characters or more) replaced by "***".
  std::string redact(std::string text) const;
  // <a href="#step-ID">ID</a>
  std::string link(const std::string& id) const;
  // "3 attempts of 3"
  std::string attempts_text(const StepRecord& s) const;
};

// The run's outcome as the header shows it.
struct OutcomeView {
  std::string cls;   // CSS class: "failed", "succeeded", "interrupted", "refused", "unfinished"
  std::string word;  // "✘ FAILED"
};
OutcomeView outcome_of(const RunRecord& run);

// The banner under the header: the outcome in a sentence and each root cause with its output
// and what followed from it.
std::string banner_html(const Context& c);
// The steps section: one row per step, with command, outputs, firings and the end of its log.
std::string steps_html(const Context& c);

// A word as a person would type it in a POSIX shell: as is when it needs no quoting, else in
// single quotes ("it's" -> 'it'\''s').
std::string shell_word(const std::string& w);

// Text for HTML element content and attribute values: & < > " ' as entities.
std::string esc(std::string_view s);

// "2026-11-26T01:02:03.456Z" -> a time point; nullopt if it is not that shape.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view ts);
// "2026-11-26 01:02:03 UTC"
std::string show_utc(std::chrono::system_clock::time_point t);
// Offset from the run's start: "+0ms", "+1.2s", "+1m30s".
std::string show_offset(Millis at);

// The CSS class of a step's state: "succeeded", "failed", "timed_out", "cancelled", "running",
// "skipped", "not_reached", "not_run".
std::string state_class(const StepRecord* s);
// The words a reader sees for it: "succeeded", "FAILED", "timed out", "skipped", ...
std::string state_label(const StepRecord* s);

// The Gantt timeline: one lane per step (those that ran in order of their first start, then
// the rest), each attempt a bar on a shared time axis, backoff waits hatched, watcher firings
// as ⚡ marks, the steps of `critical` outlined, and the moment the run aborted.
std::string timeline_html(const Plan& plan, const Graph& graph, const RunRecord& run,
                          const std::vector<std::string>& critical);

extern const char kReportCss[];
extern const char kReportJs[];

}  // namespace ordo::report
