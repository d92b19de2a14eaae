// `ordo report PLAN [RUN] [-o FILE]`: one self-contained HTML file about a run — the outcome
// and root cause, the graph coloured by outcome, a timeline, and every step's command and log.
// RUN is a run id, a journal/events file, or nothing for the last run of the plan.
#include <fmt/core.h>

#include <filesystem>

#include "builtin.h"
#include "commands.h"
#include "loading.h"
#include "render/report.h"
#include "run_record.h"
#include "state_dir.h"

namespace ordo::cli {

int cmd_report(const ReportOptions& opts) {
  Registry registry = builtin_registry();
  Diagnostics diags;
  auto loaded = load_and_validate(opts.plan, opts.common, registry, diags);
  print_diagnostics(diags);
  if (!loaded) return kExitInvalid;

  const std::string state =
      opts.common.state_dir.empty() ? default_state_dir() : opts.common.state_dir;
  Result<RunLocation> where = locate_run(state, loaded->plan.name, opts.run);
  if (!where.ok()) {
    fmt::print(stderr, "ordo: {}\n", where.error().str());
    return kExitInvalid;
  }
  Result<RunRecord> run = read_run_record(where->record);
  if (!run.ok()) {
    fmt::print(stderr, "ordo: {}\n", run.error().str());
    return kExitInvalid;
  }
  if (run->plan != loaded->plan.name) {
    fmt::print(stderr, "ordo: {} is a run of plan '{}', not '{}'\n", where->record, run->plan,
               loaded->plan.name);
    return kExitInvalid;
  }

  std::error_code ec;
  std::string run_dir = where->run_dir;
  if (run_dir.empty()) {
    std::string dir = run_dir_of(state, run->plan, run->run_id);
    if (std::filesystem::is_directory(dir, ec)) run_dir = dir;
  }
  std::string out = opts.output;
  if (out.empty()) {
    if (run_dir.empty()) {
      fmt::print(stderr,
                 "ordo: the directory of run {} is not in {}; say where to write: -o FILE\n",
                 run->run_id, state);
      return kExitInvalid;
    }
    out = run_dir + "/report.html";
  }

  ReportInputs in{loaded->plan,
                  loaded->graph,
                  *run,
                  run_dir,
                  where->record,
                  &registry,
                  secret_var_values(loaded->plan, loaded->vars)};
  std::string html = render_report(in);
  Status created = create_private_file(out);
  std::FILE* f = created.ok() ? std::fopen(out.c_str(), "wb") : nullptr;
  bool ok = f && std::fwrite(html.data(), 1, html.size(), f) == html.size();
  if (f) ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    fmt::print(stderr, "ordo: cannot write {}\n", out);
    return kExitFailed;
  }
  std::string outcome = run->outcome ? run_outcome_name(*run->outcome) : "unfinished";
  fmt::print("report of run {} ({}): {}\n", run->run_id, outcome, out);
  return kExitOk;
}

}  // namespace ordo::cli
