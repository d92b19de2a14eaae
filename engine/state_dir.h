// The state directory: where runs leave their files.
//
//   <state>/                       --state-dir; default $XDG_STATE_HOME/ordo, ~/.local/state/ordo,
//                                  or /var/lib/ordo for root
//     <plan-name>/runs/<run-id>/   one directory per run (run id: 20261126T010203Z-1a2b)
//       ordo.log                   engine diagnostics (spdlog)
//       steps/<step-id>.log        each step's full output, every attempt
// Directories are created 0700, files 0600 (plans handle credentials and hosts' secrets).
// Pure functions over the file system; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "result.h"

namespace ordo {

// The default state dir for this process (reads the euid, XDG_STATE_HOME and HOME).
std::string default_state_dir();
// The rule itself: root -> /var/lib/ordo; else $XDG_STATE_HOME/ordo when set (and absolute),
// else $HOME/.local/state/ordo.
std::string default_state_dir(bool root, const char* xdg_state_home, const char* home);

// "20261126T010203Z-1a2b": the UTC time of `t` and 4 hex digits of `random`.
std::string make_run_id(std::chrono::system_clock::time_point t, uint32_t random);
// A run id for now, with a random suffix.
std::string new_run_id();

struct RunPaths {
  std::string plan_dir;   // <state>/<plan>
  std::string run_dir;    // <state>/<plan>/runs/<run-id>
  std::string steps_dir;  // <run_dir>/steps
  std::string log_file;   // <run_dir>/ordo.log
  std::string step_log(const std::string& step_id) const {
    return steps_dir + "/" + step_id + ".log";
  }
};

// Creates the run's directories (0700; existing parents are left as they are).
Result<RunPaths> create_run_dirs(const std::string& state_dir, const std::string& plan_name,
                                 const std::string& run_id);

// mkdir -p; directories it creates get mode 0700.
Status make_private_dirs(const std::string& path);
// Creates (or truncates) a file with mode 0600.
Status create_private_file(const std::string& path);

}  // namespace ordo
