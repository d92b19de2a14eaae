// `ordo resume PLAN`: continue the plan's last run that did not succeed (killed, interrupted or
// failed) from its journal, with the run's own variables (<run dir>/vars.toml; --set/--vars
// override them). The resumed part is appended to the same journal under the same run id,
// opening with a `run_resumed` record (journal-format.md). resume.h decides what each step
// does; interrupted steps that are not idempotent need --rerun-interrupted/--skip-interrupted or
// an answer on a terminal (without one: exit 3). Steps the killed ordo started and that still
// run (found by ORDO_RUN_ID, resume_orphans.h) are named and stopped — or, with
// --wait-orphans, waited for — before anything runs again.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <set>
#include <string>

#include "builtin.h"
#include "commands.h"
#include "duration.h"
#include "fingerprint.h"
#include "journal_replay.h"
#include "loading.h"
#include "orphans.h"
#include "plan_loader.h"
#include "resume.h"
#include "run_session.h"
#include "run_vars.h"
#include "validate.h"

namespace ordo::cli {
namespace {

// load_and_validate() with the run's stored variables and facts first, then the command line's.
std::optional<LoadedPlan> load_with_stored(Plan plan, const StoredVars& stored,
                                           const CommonOptions& common, const Registry& registry,
                                           Diagnostics& diags) {
  std::vector<VarOverride> overrides;
  for (const VarOverride& o : stored.overrides)
    if (plan.find_var(o.name)) overrides.push_back(o);  // dropped: no longer declared
  Facts facts;
  for (const auto& [k, v] : stored.facts) facts[k] = v;
  return validate_with(std::move(plan), std::move(overrides), facts, common, registry, diags);
}

// Asks on the terminal about one interrupted step. nullopt: abort.
std::optional<StepResume::Action> ask(const std::string& step, const std::string& reason) {
  for (;;) {
    std::cout << "Step " << step << " " << reason << ": it may have done part of its work.\n"
              << "Run it again? [r]un again / [s]kip it / [a]bort the resume: " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return std::nullopt;
    if (answer == "r" || answer == "run" || answer == "y" || answer == "yes")
      return StepResume::Action::Rerun;
    if (answer == "s" || answer == "skip") return StepResume::Action::Skip;
    if (answer == "a" || answer == "abort" || answer == "n" || answer == "no") return std::nullopt;
  }
}

// Settles every Ask: by flag, on a terminal, or refuses (exit code).
std::optional<int> resolve_asks(ResumePlan& rp, const LoadedPlan& lp, const ResumeOptions& opts) {
  std::vector<int> asks = rp.asks();
  if (asks.empty()) return std::nullopt;
  if (opts.rerun_interrupted || opts.skip_interrupted) {
    for (int v : asks)
      rp.steps[static_cast<size_t>(v)].action =
          opts.rerun_interrupted ? StepResume::Action::Rerun : StepResume::Action::Skip;
    return std::nullopt;
  }
  if (::isatty(STDIN_FILENO) != 1) {
    std::string names;
    for (int v : asks)
      names += (names.empty() ? "" : ", ") + lp.plan.steps[static_cast<size_t>(v)].id;
    std::cerr << "ordo: cannot resume without a decision: step" << (asks.size() > 1 ? "s " : " ")
              << names << (asks.size() > 1 ? " were" : " was")
              << " interrupted (started, never finished) and " << (asks.size() > 1 ? "are" : "is")
              << " not idempotent.\n"
              << "  --rerun-interrupted runs " << (asks.size() > 1 ? "them" : "it")
              << " again, --skip-interrupted does not (ordo asks when run on a terminal)\n";
    return kExitRefused;
  }
  for (int v : asks) {
    StepResume& r = rp.steps[static_cast<size_t>(v)];
    auto choice = ask(lp.plan.steps[static_cast<size_t>(v)].id, r.reason);
    if (!choice) {
      std::cerr << "ordo: resume aborted; nothing was run\n";
      return kExitRefused;
    }
    r.action = *choice;
  }
  return std::nullopt;
}

void print_decisions(const ResumePlan& rp, const LoadedPlan& lp, const JournalReplay& old) {
  std::cout << "Resuming run " << old.record.run_id << " of plan " << lp.plan.name << " (started "
            << local_datetime(old.record.started_at) << ", last record "
            << local_datetime(old.record.last_at) << ")\n";
  if (rp.plan_changed) {
    std::cout << "  the plan changed since that run";
    if (!rp.changed_files.empty()) {
      std::cout << " (";
      for (size_t i = 0; i < rp.changed_files.size(); ++i)
        std::cout << (i ? ", " : "") << rp.changed_files[i];
      std::cout << ")";
    }
    std::cout << ": steps whose parameters changed run again\n";
  }
  std::vector<int> kept = rp.kept();
  if (!kept.empty()) {
    std::cout << "  keeping " << kept.size() << " step" << (kept.size() > 1 ? "s" : "")
              << " done earlier:";
    for (size_t i = 0; i < kept.size() && i < 12; ++i)
      std::cout << " " << lp.plan.steps[static_cast<size_t>(kept[i])].id;
    if (kept.size() > 12) std::cout << " ...";
    std::cout << "\n";
  }
  for (size_t i = 0; i < rp.steps.size(); ++i) {
    const StepResume& r = rp.steps[i];
    const std::string& id = lp.plan.steps[i].id;
    const StepDecl& decl = lp.plan.steps[i];
    const bool conditional = decl.when || !decl.on_failure.empty() || decl.is_triggered();
    if (r.action == StepResume::Action::Rerun)
      std::cout << "  step " << id << " " << r.reason
                << (conditional ? ": not kept, decided again when it is reached\n"
                                : ": running it again\n");
    else if (r.action == StepResume::Action::Skip)
      std::cout << "  step " << id << " was interrupted: not running it again (skipped)\n";
    else if (r.action == StepResume::Action::Fresh && !r.reason.empty())
      std::cout << "  watcher " << id << " " << r.reason << "\n";
  }
  for (const std::string& id : rp.gone)
    std::cout << "  step " << id << " of that run is no longer in the plan\n";
  std::cout << std::flush;
}

}  // namespace

int cmd_resume(const ResumeOptions& opts) {
  const RunOptions& ropts = opts.run;
  Registry registry = builtin_registry();
  Diagnostics diags;
  std::optional<Plan> plan = load_plan_file(ropts.plan, diags);
  if (!plan) {
    print_diagnostics(diags);
    return kExitInvalid;
  }
  const std::string state = state_dir_of(ropts.common);
  const std::string name = plan->name;
  RunLock lock;
  if (auto rc = take_run_lock(lock, state, name)) return *rc;

  Result<std::optional<JournalReplay>> last = read_last_run(state, name);
  if (!last.ok()) {
    std::cerr << "ordo: cannot resume: " << last.error().str() << "\n";
    return kExitRefused;
  }
  if (!*last) {
    std::cerr << "ordo: nothing to resume: plan " << name << " has no run in " << state << "\n";
    return kExitRefused;
  }
  const JournalReplay& old = **last;
  if (old.abandoned) {
    std::cerr << "ordo: nothing to resume: the last run of plan " << name << " ("
              << old.record.run_id << ") was abandoned by ordo run --fresh\n";
    return kExitRefused;
  }
  if (old.finished && old.outcome == RunOutcome::Succeeded) {
    std::cout << "Nothing to resume: run " << old.record.run_id << " of plan " << name
              << " succeeded.\n";
    return kExitOk;
  }

  StoredVars stored;
  const std::string vars_file = old.run_dir + "/vars.toml";
  if (::access(vars_file.c_str(), F_OK) == 0)
    stored = read_run_vars(vars_file, diags);
  else
    std::cerr << "ordo: warning: " << vars_file
              << " is missing: resuming with the plan's defaults and this command's --set/--vars; "
                 "no step can be matched to the run's, so every step runs again\n";
  std::optional<LoadedPlan> loaded =
      load_with_stored(std::move(*plan), stored, ropts.common, registry, diags);
  if (!loaded) {
    print_diagnostics(diags);
    std::cerr << "ordo: refusing to resume run " << old.record.run_id
              << ": the plan does not validate (with the run's variables)\n";
    return kExitInvalid;
  }
  if (!diags.empty()) print_diagnostics(diags);  // warnings
  // The run's own --only-tags/--skip-tags hold for all of it.
  const TagFilter selection{old.only_tags, old.skip_tags};
  std::optional<std::vector<std::string>> unselected = select_or_report(*loaded, selection);
  if (!unselected) {
    std::cerr << "ordo: refusing to resume run " << old.record.run_id
              << ": its step selection does not fit the plan any more\n";
    return kExitInvalid;
  }
  if (!selection.empty())
    std::cout << "The run's step selection holds: " << selection.describe() << "\n";

  Result<std::vector<FileDigest>> files = digest_files(loaded->plan.files);
  if (!files.ok()) {
    std::cerr << "ordo: " << files.error().str() << "\n";
    return kExitInvalid;
  }
  ResumeInputs in{loaded->plan,  loaded->graph, registry,    loaded->vars,
                  loaded->facts, old,           stored.salt, *files};
  ResumePlan rp = plan_resume(in);
  if (auto rc = resolve_asks(rp, *loaded, opts)) return *rc;
  print_decisions(rp, *loaded, old);
  if (auto rc = settle_orphans(old, loaded->plan, ropts.wait_orphans, "resuming")) return *rc;

  Result<RunPaths> paths = create_run_dirs(state, name, old.record.run_id);
  if (!paths.ok()) {
    std::cerr << "ordo: " << paths.error().str() << "\n";
    return kExitInvalid;
  }
  Result<std::unique_ptr<JournalSink>> journal = JournalSink::append(old.path);
  if (!journal.ok()) {
    std::cerr << "ordo: " << journal.error().str() << "\n";
    return kExitInvalid;
  }
  if ((*journal)->torn_tail_removed())
    std::cerr << "ordo: note: the journal's last record was cut off mid-write (crash); removed\n";
  if (Status st = lock.describe(old.record.run_id); !st.ok())
    std::cerr << "ordo: warning: " << st.error().str() << "\n";

  ResumeSeed seed = make_resume_seed(in, rp, std::chrono::system_clock::now());
  Session session{
      *loaded, registry, state,     old.record.run_id,     *paths, **journal, stored.salt,
      *files,  &seed,    selection, std::move(*unselected)};
  return execute_run(session, ropts);
}

}  // namespace ordo::cli
