// `ordo run PLAN`: load and validate, take the plan's run lock, refuse while an unfinished run
// of the plan exists (unless --fresh, which stops that run's leftover step processes and marks
// it abandoned), make the run's directory (its
// vars file and journal), then run the scheduler with the real clock and one thread per running
// step (run_session.h). SIGINT/SIGTERM reach the scheduler through a self-pipe read by a small
// thread: the first interrupt stops running steps and runs the cleanup (`always`) steps, the
// second skips the cleanup, a third exits at once.
#include <iostream>
#include <optional>

#include "builtin.h"
#include "commands.h"
#include "fingerprint.h"
#include "journal_replay.h"
#include "loading.h"
#include "orphans.h"
#include "run_record.h"
#include "run_session.h"
#include "run_vars.h"

namespace ordo::cli {
namespace {

// Refuses (exit 3) while the plan's last run is unfinished; with --fresh stops what its killed
// ordo left running (orphans.h), then marks it abandoned.
std::optional<int> check_unfinished(const RunOptions& opts, const Plan& current,
                                    const std::string& state, const std::string& plan,
                                    const std::string& new_run_id) {
  Result<std::optional<JournalReplay>> last = read_last_run(state, plan);
  if (!last.ok()) {
    if (opts.fresh) {
      std::cerr << "ordo: warning: the last run's journal cannot be read (" << last.error().str()
                << "); starting a new run\n";
      return std::nullopt;
    }
    std::cerr << "ordo: the journal of the last run of plan " << plan
              << " cannot be read: " << last.error().str()
              << "\n  start a new run with: ordo run --fresh " << opts.plan << "\n";
    return kExitRefused;
  }
  if (!*last || !(*last)->unfinished()) return std::nullopt;
  const JournalReplay& old = **last;
  if (!opts.fresh) {
    int settled = 0;
    for (const StepRecord& st : old.record.steps)
      if (st.state != StepState::NotRun && st.state != StepState::Running) ++settled;
    std::cerr << "ordo: plan " << plan << " has an unfinished run: " << old.record.run_id
              << " (started " << local_datetime(old.record.started_at) << ", " << settled << " of "
              << old.record.steps.size() << " steps settled, last record "
              << local_datetime(old.record.last_at) << ")\n"
              << "  continue it:   ordo resume " << opts.plan << "\n"
              << "  or start over: ordo run --fresh " << opts.plan
              << "   (marks that run abandoned)\n";
    return kExitRefused;
  }
  if (auto rc = settle_orphans(old, current, opts.wait_orphans, "starting the new run")) return *rc;
  if (Status st = append_journal_record(old.path, run_abandoned_json(old, new_run_id)); !st.ok()) {
    std::cerr << "ordo: " << st.error().str() << "\n";
    return kExitInvalid;
  }
  std::cerr << "ordo: run " << old.record.run_id << " marked abandoned (--fresh)\n";
  return std::nullopt;
}

}  // namespace

int cmd_run(const RunOptions& opts) {
  Registry registry = builtin_registry();
  Diagnostics diags;
  std::optional<LoadedPlan> loaded = load_and_validate(opts.plan, opts.common, registry, diags);
  if (!loaded) {
    print_diagnostics(diags);
    return kExitInvalid;
  }
  if (!diags.empty()) print_diagnostics(diags);  // warnings
  std::optional<std::vector<std::string>> unselected = select_or_report(*loaded, opts.tags);
  if (!unselected) return kExitInvalid;

  const std::string state = state_dir_of(opts.common);
  const std::string& name = loaded->plan.name;
  RunLock lock;
  if (auto rc = take_run_lock(lock, state, name)) return *rc;

  const std::string run_id = new_run_id();
  if (auto rc = check_unfinished(opts, loaded->plan, state, name, run_id)) return *rc;

  Result<RunPaths> paths = create_run_dirs(state, name, run_id);
  if (!paths.ok()) {
    std::cerr << "ordo: " << paths.error().str() << "\n";
    return kExitInvalid;
  }
  Result<std::vector<FileDigest>> files = digest_files(loaded->plan.files);
  if (!files.ok()) {
    std::cerr << "ordo: " << files.error().str() << "\n";
    return kExitInvalid;
  }
  const std::string salt = new_fingerprint_salt();
  FactOverrides facts;
  for (const std::string& f : opts.common.facts)
    if (size_t eq = f.find('='); eq != std::string::npos && eq > 0)
      facts.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  Status vars = write_run_vars(paths->run_dir + "/vars.toml",
                               "ordo: variables of run " + run_id + " of plan " + name +
                                   " (secrets included; ordo resume uses them)",
                               loaded->plan, loaded->vars, salt, facts);
  if (!vars.ok()) {
    std::cerr << "ordo: " << vars.error().str() << "\n";
    return kExitInvalid;
  }
  Result<std::unique_ptr<JournalSink>> journal = JournalSink::create(journal_path(paths->run_dir));
  if (!journal.ok()) {
    std::cerr << "ordo: " << journal.error().str() << "\n";
    return kExitInvalid;
  }
  if (Status st = lock.describe(run_id); !st.ok())
    std::cerr << "ordo: warning: " << st.error().str() << "\n";

  Session session{*loaded,
                  registry,
                  state,
                  run_id,
                  *paths,
                  **journal,
                  salt,
                  *files,
                  nullptr,
                  opts.tags,
                  std::move(*unselected)};
  return execute_run(session, opts);
}

}  // namespace ordo::cli
