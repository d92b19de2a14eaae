// Helpers shared by the tests of reading runs back (test_run_record_*.cpp, test_run_colors.cpp):
// the recorded fixture run tests/golden/run/rescue.jsonl (a real run of rescue.toml: retries, a
// watcher that fired, a failure with its handler, a timeout, every kind of skip), read as text,
// as a RunRecord, and its plan with the plan's graph. Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "graph.h"
#include "plan_loader.h"
#include "run_record.h"

namespace run_record_test {

inline std::string source_root() {
  const char* root = std::getenv("ORDO_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "ORDO_SOURCE_ROOT is not set (run through meson test)");
  return root;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string fixture_text() {
  return slurp(std::filesystem::path(source_root()) / "tests/golden/run/rescue.jsonl");
}

inline ordo::RunRecord fixture() {
  auto r = ordo::parse_run_record(fixture_text(), "rescue.jsonl");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().str()));
  return std::move(r).value();
}

struct LoadedFixture {
  ordo::Plan plan;
  ordo::Graph graph;
};

inline LoadedFixture fixture_plan() {
  ordo::Diagnostics d;
  auto plan = ordo::load_plan_file(source_root() + "/tests/golden/run/rescue.toml", d);
  REQUIRE(plan.has_value());
  auto graph = ordo::Graph::build(*plan, d);
  REQUIRE(graph.has_value());
  return {std::move(*plan), std::move(*graph)};
}

}  // namespace run_record_test
