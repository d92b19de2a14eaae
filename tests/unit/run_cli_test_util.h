// Helpers shared by the tests that run `ordo run` with the real binary and look at what it left
// (test_run_cli, test_run_process): a scratch directory per case, `ordo ARGS...` as a child
// process with its output in files, and a glob. Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.h"

namespace run_cli_test {

using cli_test::ordo_bin;
using cli_test::read_file;

inline std::vector<std::string> glob_paths(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  return out;
}

// A scratch directory, removed at the end unless a REQUIRE aborted the test (it is then kept
// for a look; its path is in the INFO of every test) or ORDO_KEEP_TEST_DIRS is set.
struct Scratch : cli_test::Scratch {
  Scratch() : cli_test::Scratch("ordo-run-test") {}
};

// `ordo ARGS...` run in `dir` with stdout/stderr to files there.
struct Ordo {
  pid_t pid = -1;
  std::string dir;
  int status = -1;

  Ordo(const std::string& d, const std::vector<std::string>& args) : dir(d) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      if (::chdir(dir.c_str()) != 0) ::_exit(126);
      int out = ::open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in = ::open("/dev/null", O_RDONLY);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::dup2(in, 0);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(ordo_bin()));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(ordo_bin(), argv.data());
      ::_exit(127);
    }
  }
  // Waits up to `seconds`; returns the exit code, or -1 (and kills it) on timeout.
  int wait(int seconds = 30) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  std::string out() const { return read_file(dir + "/stdout.txt"); }
  std::string err() const { return read_file(dir + "/stderr.txt"); }
};

inline int run_ordo(const Scratch& s, const std::vector<std::string>& args) {
  Ordo o(s.dir, args);
  int rc = o.wait();
  INFO("stdout:\n" << o.out() << "\nstderr:\n" << o.err());
  CHECK(rc >= 0);  // not a timeout
  return rc;
}

}  // namespace run_cli_test
