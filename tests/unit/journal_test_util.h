// Helpers shared by the journal's tests (test_journal_*.cpp): a scratch directory kept on
// failure, small file helpers, the fingerprint salt the scheduler runs use, and a three-step
// chain plan. Header-only; for tests only. Not thread-safe (TempDir is owned by one test).
#pragma once

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include "scheduler.h"

namespace journal_test {

// A scratch directory, removed at the end unless the test failed or ORDO_KEEP_TEST_DIRS is set.
struct TempDir {
  std::string dir;
  TempDir() {
    char tmpl[] = "/tmp/ordo-journal-test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    if (std::uncaught_exceptions() > 0 || std::getenv("ORDO_KEEP_TEST_DIRS")) return;
    [[maybe_unused]] int rc = std::system(("rm -rf '" + dir + "'").c_str());
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

// Writes `text` to `path` as is, replacing what was there.
inline void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The permission bits of `path`.
inline int mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

// Scheduler options with a fixed fingerprint salt, so that fingerprints compare across runs.
inline ordo::SchedulerOptions salted() {
  ordo::SchedulerOptions o;
  o.fingerprint_salt = "test-salt";
  return o;
}

// A chain a -> b -> c of jobs.
inline const char* const kChain = R"(
[steps.a]
kind = "job"
msg = "a"
[steps.b]
kind = "job"
requires = ["a"]
[steps.c]
kind = "job"
requires = ["b"]
)";

}  // namespace journal_test
