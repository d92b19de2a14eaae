// Helpers shared by the tests of durable runs with the real binary (test_resume_cli_*.cpp): a
// scratch directory per case, a child process with its output in files, `ordo` run to the end,
// the "crashy" plan whose middle step hangs, and `ordo run` killed with SIGKILL while it hangs.
// Header-only; for tests only; not thread-safe (use from the test case's own thread).
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.h"

namespace resume_test {

using cli_test::exists;
using cli_test::ordo_bin;
using cli_test::read_file;
using cli_test::write_file;

// A scratch directory per test case (cli_test_util.h).
struct Scratch : cli_test::Scratch {
  Scratch() : cli_test::Scratch("ordo-resume-test") {}
};

// A process in `dir` with stdout/stderr to files there and stdin from /dev/null (or `in`).
struct Proc {
  pid_t pid = -1;
  std::string dir, tag;
  Proc(const std::string& d, const std::vector<std::string>& argv, const std::string& t = "ordo",
       const std::vector<std::string>& env = {}, const std::string& in = "/dev/null")
      : dir(d), tag(t) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      if (::chdir(dir.c_str()) != 0) ::_exit(126);
      int o = ::open((tag + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open((tag + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int i = ::open(in.c_str(), O_RDONLY);
      ::dup2(o, 1);
      ::dup2(e, 2);
      ::dup2(i, 0);
      for (const std::string& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  int wait(int seconds = 60) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(pid, &status, WNOHANG) == pid)
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  std::string out() const { return read_file(dir + "/" + tag + ".out"); }
  std::string err() const { return read_file(dir + "/" + tag + ".err"); }
};

inline std::vector<std::string> ordo_args(std::vector<std::string> args) {
  args.insert(args.begin(), ordo_bin());
  for (const char* a : {"--state-dir", "st", "--no-color"}) args.push_back(a);
  return args;
}

// Runs `ordo ARGS --state-dir st --no-color` to the end.
struct Result {
  int rc;
  std::string out, err;
};
inline Result ordo(const Scratch& s, std::vector<std::string> args,
                   const std::vector<std::string>& env = {}) {
  Proc p(s.dir, ordo_args(std::move(args)), "ordo", env);
  int rc = p.wait();
  INFO("ordo stdout:\n" << p.out() << "\nstderr:\n" << p.err());
  CHECK(rc >= 0);
  return {rc, p.out(), p.err()};
}

inline bool wait_for_file(const std::string& path, int seconds = 30) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (exists(path) && !read_file(path).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// `first` appends to the ledger, `hang` blocks (until the file `go` exists), `last` after it.
// `$$$$` is the shell's `$$` (a `$$` in a plan is a literal `$`).
inline std::string crash_plan(bool hang_idempotent = true) {
  return R"([plan]
name = "crashy"

[vars]
msg = "one"

[steps.first]
kind = "shell"
script = "echo first ${msg} >> ledger.txt; echo ledger written"

[steps.hang]
kind = "shell"
requires = ["first"]
)" + std::string(hang_idempotent ? "" : "idempotent = false\n") +
         R"(script = "if [ -f go ]; then echo hang >> ledger.txt; exit 0; fi; echo $$$$ > hang.pid; exec sleep 30"

[steps.last]
kind = "shell"
requires = ["hang"]
script = "echo last >> ledger.txt"
)";
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Starts `ordo run`, waits until `hang` is running, then SIGKILLs ordo (and the orphaned step).
// Returns the run id.
inline std::string run_and_crash(const Scratch& s, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"run", "plan.toml", "--no-report"};
  args.insert(args.end(), extra.begin(), extra.end());
  ::unlink(s.path("hang.pid").c_str());
  Proc p(s.dir, ordo_args(args), "crashed");
  REQUIRE(wait_for_file(s.path("hang.pid")));
  // Step logs are written by a writer thread after the turn (the journal is the durable
  // record; a kill -9 may take a log's last lines with it): let `first`'s log reach its file.
  Proc log(s.dir,
           {"/bin/sh", "-c",
            "for i in $(seq 200); do ls -t st/crashy/runs/*/steps/first.log >/dev/null 2>&1 && "
            "exit 0; sleep 0.05; done; exit 1"},
           "wait for first.log");
  CHECK(log.wait() == 0);
  ::kill(p.pid, SIGKILL);
  CHECK(p.wait() == 128 + SIGKILL);
  ::kill(std::stoi(read_file(s.path("hang.pid"))), SIGKILL);
  // The run's id: the newest directory under st/crashy/runs.
  Proc ls(s.dir, {"/bin/sh", "-c", "ls -t st/crashy/runs | head -1"}, "ls");
  REQUIRE(ls.wait() == 0);
  std::string id = ls.out();
  while (!id.empty() && id.back() == '\n') id.pop_back();
  REQUIRE_FALSE(id.empty());
  return id;
}

inline std::string journal_of(const Scratch& s, const std::string& run_id) {
  return s.path("st/crashy/runs/" + run_id + "/journal.jsonl");
}

inline bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// "ordo: journal: N fdatasyncs ..." -> N
inline int syncs_in(const std::string& err) {
  std::smatch m;
  REQUIRE(std::regex_search(err, m, std::regex("journal: ([0-9]+) fdatasyncs")));
  return std::stoi(m[1]);
}

}  // namespace resume_test
