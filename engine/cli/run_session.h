// What `ordo run` and `ordo resume` share: the plan's run lock, the state dir's layout, and
// executing the scheduler with every sink (console, per-step logs, ordo.log, --events, the
// journal), signal forwarding and the report at the end.
// Used on the main thread of the command; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "journal.h"
#include "loading.h"
#include "registry.h"
#include "run_lock.h"
#include "scheduler.h"
#include "state_dir.h"

namespace ordo::cli {

// --state-dir, or the default.
std::string state_dir_of(const CommonOptions& common);
// <state>/<plan>/lock
std::string lock_path(const std::string& state, const std::string& plan);

// Takes the plan's run lock (creating <state>/<plan>/ if needed). Returns an exit code when the
// command must stop: kExitRefused when another process holds it ("plan X is being run by pid
// 1234 on host vm since 02:10:00 (run ...)"), kExitInvalid on an I/O error. A lock left by a
// dead holder is taken over with a warning.
std::optional<int> take_run_lock(RunLock& lock, const std::string& state, const std::string& plan);

// The plan name from a PLAN argument: a plan file (its [plan] name), or a plan name itself.
// Errors are printed; nullopt then.
std::optional<std::string> plan_name_of(const std::string& arg);

// A record's `ts` as local "2026-11-26 02:10:00" (the text itself if it is not one).
std::string local_datetime(const std::string& ts);

// One execution of the scheduler over a prepared run directory.
struct Session {
  LoadedPlan& plan;
  const Registry& registry;
  std::string state;
  std::string run_id;
  RunPaths paths;
  JournalSink& journal;
  std::string salt;               // fingerprint salt (run_vars.h)
  std::vector<FileDigest> files;  // the plan's files and their digests
  const ResumeSeed* resume = nullptr;
  TagFilter tags;  // the run's --only-tags/--skip-tags
  // By step index: why it is left out ("" selected); empty when every step is selected.
  // execute_run() moves it into the scheduler's options.
  std::vector<std::string> unselected;
};

// Runs it; returns the exit code (0 succeeded, 1 failed, 3 refused, 130 interrupted).
// With ORDO_DEBUG_SYNCS=1 in the environment, prints the journal's sync count to stderr.
int execute_run(Session& session, const RunOptions& opts);

}  // namespace ordo::cli
