// Helpers shared by the tests that drive the `ordo` binary (test_run_cli, test_resume_cli_*):
// the binary's path, small file helpers, and a scratch directory removed at the end unless
// the test is unwinding from a failed REQUIRE or ORDO_KEEP_TEST_DIRS is set.
// Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>

namespace cli_test {

// The `ordo` binary under test (meson passes ORDO_BIN).
inline const char* ordo_bin() {
  return std::getenv("ORDO_BIN");
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

inline bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// A fresh directory /tmp/<prefix>.XXXXXX for one test case.
struct Scratch {
  std::string dir;
  explicit Scratch(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  Scratch(const Scratch&) = delete;
  ~Scratch() {
    if (std::uncaught_exceptions() > 0 || std::getenv("ORDO_KEEP_TEST_DIRS")) return;
    [[maybe_unused]] int rc = std::system(("rm -rf '" + dir + "'").c_str());
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

}  // namespace cli_test
