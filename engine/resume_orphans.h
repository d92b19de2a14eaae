// Orphaned step processes: what an ordo killed with SIGKILL left running. Every step's processes
// carry ORDO_RUN_ID and ORDO_STEP in their environment (step_env.h), so `ordo resume` can find
// the processes an earlier part of the same run started and stop them (or wait for them) before
// it runs any step again — an interrupted idempotent step must not run twice at once.
//
// Linux only: scans /proc/<pid>/environ (readable for processes of the same user, or as root).
// A process that replaced its environment (env -i, execve with its own envp) is not found by
// itself, but its process group is signalled with a process that is.
// Pure functions over /proc and kill(2); thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace ordo {

struct StepProcess {
  pid_t pid = 0;
  pid_t pgid = 0;
  std::string step;     // its ORDO_STEP
  std::string command;  // /proc/<pid>/cmdline, arguments joined by spaces (may be "")
};

// Live processes (not zombies, not this process) whose environment has ORDO_RUN_ID=run_id and
// whose ORDO_STEP is one of `steps` (resume passes the steps that were running when ordo died:
// what a step that finished left behind, a daemon it started, is not an orphan), by pid.
std::vector<StepProcess> find_step_processes(const std::string& run_id,
                                             const std::set<std::string>& steps);

// Terminates the process groups of `procs` (each group once; a process in ordo's own group
// alone): SIGTERM, then SIGKILL to what is left of the run's processes after `grace`. Returns
// when none of the run's processes is left, or after `grace` + 5 s; the result is what is
// still alive then (normally empty).
std::vector<StepProcess> terminate_step_processes(const std::string& run_id,
                                                  const std::set<std::string>& steps,
                                                  const std::vector<StepProcess>& procs,
                                                  std::chrono::milliseconds grace);

// Waits until no process of the run is left, polling. `timeout` < 0: no limit. Returns what is
// still alive at the end (empty: all gone).
std::vector<StepProcess> wait_step_processes(const std::string& run_id,
                                             const std::set<std::string>& steps,
                                             std::chrono::milliseconds timeout);

}  // namespace ordo
