#include "resume_orphans.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <thread>

namespace ordo {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The value of NAME in a NUL-separated environment block, or nullopt.
std::optional<std::string> env_value(const std::string& block, std::string_view name) {
  for (size_t at = 0; at < block.size();) {
    size_t end = block.find('\0', at);
    if (end == std::string::npos) end = block.size();
    std::string_view kv(block.data() + at, end - at);
    if (kv.size() > name.size() && kv.starts_with(name) && kv[name.size()] == '=')
      return std::string(kv.substr(name.size() + 1));
    at = end + 1;
  }
  return std::nullopt;
}

// State and process group from /proc/<pid>/stat ("pid (comm) S ppid pgrp ..."; comm may hold
// spaces and parentheses, so fields are counted after the last ')').
bool stat_of(pid_t pid, char& state, pid_t& pgid) {
  std::string s = read_all("/proc/" + std::to_string(pid) + "/stat");
  size_t rp = s.rfind(')');
  if (rp == std::string::npos || rp + 2 >= s.size()) return false;
  state = s[rp + 2];
  long ppid = 0, pgrp = 0;
  if (std::sscanf(s.c_str() + rp + 3, "%ld %ld", &ppid, &pgrp) != 2) return false;
  pgid = static_cast<pid_t>(pgrp);
  return true;
}

}  // namespace

std::vector<StepProcess> find_step_processes(const std::string& run_id,
                                             const std::set<std::string>& steps) {
  std::vector<StepProcess> out;
  if (run_id.empty()) return out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  const pid_t self = ::getpid();
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    if (pid == self) continue;
    const std::string dir = std::string("/proc/") + e->d_name;
    std::string env = read_all(dir + "/environ");  // empty for zombies and others' processes
    if (env_value(env, "ORDO_RUN_ID") != run_id) continue;
    std::string step = env_value(env, "ORDO_STEP").value_or("");
    if (!steps.count(step)) continue;
    char state = '?';
    pid_t pgid = 0;
    if (!stat_of(pid, state, pgid) || state == 'Z' || state == 'X') continue;
    StepProcess p{pid, pgid, std::move(step), read_all(dir + "/cmdline")};
    std::replace(p.command.begin(), p.command.end(), '\0', ' ');
    while (!p.command.empty() && p.command.back() == ' ') p.command.pop_back();
    out.push_back(std::move(p));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const StepProcess& a, const StepProcess& b) { return a.pid < b.pid; });
  return out;
}

std::vector<StepProcess> terminate_step_processes(const std::string& run_id,
                                                  const std::set<std::string>& steps,
                                                  const std::vector<StepProcess>& procs,
                                                  std::chrono::milliseconds grace) {
  const pid_t own_group = ::getpgrp();
  auto signal_all = [&](const std::vector<StepProcess>& ps, int sig) {
    std::set<pid_t> groups;
    for (const StepProcess& p : ps) {
      if (p.pgid > 1 && p.pgid != own_group) {
        if (groups.insert(p.pgid).second) ::kill(-p.pgid, sig);
      } else {
        ::kill(p.pid, sig);
      }
    }
  };
  signal_all(procs, SIGTERM);
  std::vector<StepProcess> left = wait_step_processes(run_id, steps, grace);
  if (left.empty()) return left;
  signal_all(left, SIGKILL);
  return wait_step_processes(run_id, steps, std::chrono::seconds(5));
}

std::vector<StepProcess> wait_step_processes(const std::string& run_id,
                                             const std::set<std::string>& steps,
                                             std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<StepProcess> left = find_step_processes(run_id, steps);
    if (left.empty()) return left;
    if (timeout.count() >= 0 && std::chrono::steady_clock::now() >= until) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace ordo
