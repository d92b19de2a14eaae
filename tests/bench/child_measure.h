// Measuring one child process, for the benchmarks (bench.cpp, svg_bench.cpp, journal_bench.cpp):
// fork and exec a command with its standard streams redirected, reap it with wait4, and return
// its wall time, CPU time and peak RSS; plus the median the benchmarks report. Header-only; for
// benchmarks only (they print figures and never assert). measure_child() blocks until its child
// ends; it is for single-threaded programs only (the child allocates between fork and exec).
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace bench {

// Where the child's standard streams go (stdin is always /dev/null: a benchmark never waits on
// the terminal) and what it adds to its environment.
struct ChildIo {
  std::string out = "/dev/null";  // stdout: created or truncated
  std::string err;                // stderr: created or truncated; "" keeps the benchmark's own
  std::vector<std::string> env;   // "NAME=value" entries set in the child only
};

struct ChildMeasure {
  double wall_s = 0;     // from before fork to the child reaped
  double cpu_s = 0;      // user + sys of the child and of the children it waited for
  long max_rss_kib = 0;  // peak RSS of the child (or of the largest child it waited for)
  int status = 0;        // as wait4 gave it; exec or fork failure reads as exit code 127

  bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  // The exit code, or 128 + the signal that killed it (the shell's convention).
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
};

// Runs argv (argv[0] is looked up in PATH unless it contains a '/') and waits for it.
inline ChildMeasure measure_child(const std::vector<std::string>& argv, const ChildIo& io = {}) {
  ChildMeasure m;
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    m.status = 127 << 8;
    return m;
  }
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(io.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    if (!io.err.empty()) {
      int err = ::open(io.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, 2);
    }
    for (const std::string& kv : io.env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  rusage ru{};
  ::wait4(pid, &m.status, 0, &ru);
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.max_rss_kib = ru.ru_maxrss;
  m.cpu_s = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return m;
}

// The median of v (the upper one of an even count); 0 for none.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace bench
