// Running one tool for the execution benchmark (run_bench.cpp): fork, exec with a 1 GiB stack
// limit (make and ninja recurse along a 100k-step chain), stdin/stdout to /dev/null and stderr
// to a file, then the wall time, the tool's own CPU (read from /proc/PID/stat of its zombie,
// before it is reaped), its CPU with its children and its peak RSS (wait4). Header-only; for
// the benchmarks only (single-threaded: the child allocates between fork and exec).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

constexpr rlim_t kStackBytes = rlim_t{1} << 30;  // stack limit of every tool (see spawn)

struct Sample {
  double wall = 0;       // seconds
  double cpu_self = 0;   // the tool's own user+sys, all threads (seconds)
  double cpu_total = 0;  // the tool plus its reaped children
  long maxrss_kib = 0;
  bool ok = false;
  std::string failure;  // "killed by signal 13", "exit code 1"
};

inline double tv(const timeval& t) {
  return double(t.tv_sec) + double(t.tv_usec) / 1e6;
}

// utime+stime of a zombie from /proc/PID/stat (before it is reaped).
inline double proc_self_cpu(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t p = s.rfind(')');
  if (p == std::string::npos) return 0;
  std::istringstream in(s.substr(p + 2));
  std::vector<std::string> fields;
  for (std::string w; in >> w;) fields.push_back(w);
  if (fields.size() < 13) return 0;  // fields[11], [12]: utime, stime (fields 14, 15)
  return double(std::stoll(fields[11]) + std::stoll(fields[12])) / double(sysconf(_SC_CLK_TCK));
}

inline pid_t spawn(const std::vector<std::string>& argv, const std::string& cwd,
                   const std::string& err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    // make and ninja recurse along a chain's dependencies: 100k deep overflows the default 8 MiB.
    rlimit stack{kStackBytes, kStackBytes};
    setrlimit(RLIMIT_STACK, &stack);
    int null = open("/dev/null", O_RDWR);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(null, 0);
    dup2(null, 1);
    dup2(err >= 0 ? err : null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

inline Sample run(const std::vector<std::string>& argv, const std::string& cwd,
                  const std::string& err_path) {
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = spawn(argv, cwd, err_path);
  Sample m;
  siginfo_t info{};
  waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
  m.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.cpu_self = proc_self_cpu(pid);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  m.cpu_total = tv(ru.ru_utime) + tv(ru.ru_stime);
  m.maxrss_kib = ru.ru_maxrss;
  m.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!m.ok) {
    m.failure = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                    : "exit code " + std::to_string(WEXITSTATUS(status));
    std::fprintf(stderr, "FAILED (%s): %s; stderr in %s\n", m.failure.c_str(), argv[0].c_str(),
                 err_path.c_str());
  }
  return m;
}

}  // namespace bench
