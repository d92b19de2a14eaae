#include "orphans.h"

#include <algorithm>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "duration.h"
#include "resume_orphans.h"

namespace ordo::cli {

std::optional<int> settle_orphans(const JournalReplay& old, const Plan& plan, bool wait,
                                  const char* before) {
  const std::string& run_id = old.record.run_id;
  std::set<std::string> interrupted;  // running when ordo died; a finished step's daemon stays
  for (const StepRecord& s : old.record.steps)
    if (s.state == StepState::Running) interrupted.insert(s.id);
  if (interrupted.empty()) return std::nullopt;
  std::vector<StepProcess> procs = find_step_processes(run_id, interrupted);
  if (procs.empty()) return std::nullopt;
  Millis grace{0};
  std::cout << "Processes of steps started by the earlier ordo of run " << run_id
            << " are still running:\n";
  for (const StepProcess& p : procs) {
    std::cout << "  pid " << p.pid << " (step " << (p.step.empty() ? "?" : p.step) << ")"
              << (p.command.empty() ? "" : ": " + p.command.substr(0, 120)) << "\n";
    const StepDecl* s = plan.find_step(p.step);
    grace = std::max(grace, s ? s->kill_grace : Millis(10000));
  }
  std::vector<StepProcess> left;
  if (wait) {
    std::cout << "Waiting for them to end before " << before << " (--wait-orphans)...\n"
              << std::flush;
    left = wait_step_processes(run_id, interrupted, Millis(-1));
  } else {
    std::cout << "Terminating them before " << before
              << " (SIGTERM to their process groups, SIGKILL after " << format_duration(grace)
              << "; --wait-orphans waits instead)...\n"
              << std::flush;
    left = terminate_step_processes(run_id, interrupted, procs, grace);
  }
  if (left.empty()) {
    std::cout << "  they are gone\n" << std::flush;
    return std::nullopt;
  }
  std::cerr << "ordo: refusing to go on: steps of run " << run_id << " still run:";
  for (const StepProcess& p : left) std::cerr << " pid " << p.pid << " (step " << p.step << ")";
  std::cerr << "\n";
  return kExitRefused;
}

}  // namespace ordo::cli
