// Helpers shared by the tests of the built-in kinds' parameter tables (test_specs_*.cpp): the
// built-in registry, a StepDecl built the way the loader would place it, and every problem
// check_params and the kind's own check() find in it. Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "builtin.h"
#include "spec.h"

namespace specs_test {

inline const ordo::Registry& registry() {
  static const ordo::Registry r = ordo::builtin_registry();
  return r;
}

// Builds a step the way the loader would: each parameter on its own line, the key at column 1
// and the value at column key.size() + 4 (`key = value`).
struct StepBuilder {
  ordo::StepDecl s;
  int line = 2;
  explicit StepBuilder(const std::string& kind) {
    s.id = "s";
    s.kind = kind;
    s.loc = {"t.toml", 1, 1};
    s.kind_loc = {"t.toml", 1, 8};
  }
  StepBuilder& set(const std::string& name, ordo::Value v) {
    v.key_loc = {"t.toml", line, 1};
    if (!v.loc.known()) v.loc = {"t.toml", line, static_cast<int>(name.size()) + 4};
    s.params.emplace_back(name, std::move(v));
    ++line;
    return *this;
  }
  StepBuilder& venv(const std::string& path) {
    s.venv = ordo::LocatedText{path, {"t.toml", line++, 8}};
    return *this;
  }
  StepBuilder& watches(const std::string& id) {
    s.watches.push_back({id, {"t.toml", line++, 11}});
    return *this;
  }
};

// Every problem check_params and the kind's check() find, as "file:line:col: message".
inline std::vector<std::string> problems(const ordo::StepDecl& step) {
  const ordo::Executor* e = registry().find(step.kind);
  REQUIRE(e != nullptr);
  ordo::Diagnostics d;
  ordo::check_params(e->spec(), step, d);
  e->check(step, d);
  std::vector<std::string> out;
  for (const auto& item : d.sorted()) out.push_back(item.str());
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace specs_test
