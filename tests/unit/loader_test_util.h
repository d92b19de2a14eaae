// Helpers shared by the plan loader's tests (test_loader_*.cpp): a plan loaded from a string
// with its diagnostics as sorted "file:line:col: message" lines, and a scratch directory for
// the tests that load files. Header-only; for tests only. Not thread-safe: ChangeDir changes
// the working directory of the whole process.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan_loader.h"

namespace loader_test {

// One string per line, so a failed CHECK prints both sides readably.
inline std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Every diagnostic, sorted, as "file:line:col: message".
inline std::vector<std::string> lines(const ordo::Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.sorted()) out.push_back(x.str());
  return out;
}

struct Loaded {
  std::optional<ordo::Plan> plan;
  std::vector<std::string> errors;
};

inline Loaded load(std::string_view text, const std::string& path = "t.toml") {
  ordo::Diagnostics d;
  auto plan = ordo::load_plan_text(text, path, d);
  return {std::move(plan), lines(d)};
}

// A plan with the [plan] header, so tests only write what they test (steps start at line 3).
inline Loaded load_steps(const std::string& body) {
  return load("[plan]\nname = \"p\"\n" + body);
}

// A fresh scratch directory per test, removed afterwards unless ORDO_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ordo-loader-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("ORDO_KEEP_TEST_DIRS")) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes rel (creating directories) and returns its full path.
  std::string write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path(const std::string& rel) const { return (path_ / rel).string(); }
  const std::filesystem::path& root() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs a test with the working directory inside a TempDir; restores it afterwards.
class ChangeDir {
 public:
  explicit ChangeDir(const std::filesystem::path& to) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(to);
  }
  ~ChangeDir() { std::filesystem::current_path(old_); }
  ChangeDir(const ChangeDir&) = delete;
  ChangeDir& operator=(const ChangeDir&) = delete;

 private:
  std::filesystem::path old_;
};

}  // namespace loader_test
