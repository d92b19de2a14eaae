// Helpers shared by the tests of the `when` language (test_expr_*.cpp): expressions parsed at
// a fixed position (p.toml:5:10), a map-backed Scope, parse/evaluate-or-fail shortcuts, and the
// type checker run against a small table of known names. Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "expr.h"

namespace expr_test {

using ordo::Error;
using ordo::Expr;
using ordo::ExprType;
using ordo::Ref;
using ordo::SourceLoc;
using ordo::Value;

// Expressions in these tests start at p.toml:5:10.
inline const SourceLoc kAt{"p.toml", 5, 10};
inline int col(size_t offset) {
  return 10 + static_cast<int>(offset);
}

// A scope backed by a map keyed by Ref::str().
struct MapScope : ordo::Scope {
  std::map<std::string, Value> values;
  std::optional<Value> lookup(const Ref& ref) const override {
    auto it = values.find(ref.str());
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

inline Expr parse_ok(const std::string& text) {
  auto e = Expr::parse(text, kAt);
  if (!e.ok()) FAIL("parse failed: " << e.error().str());
  return *e;
}

inline Error parse_fail(const std::string& text) {
  auto e = Expr::parse(text, kAt);
  REQUIRE_FALSE(e.ok());
  return e.error();
}

inline bool eval_true(const std::string& text, const MapScope& scope = {}) {
  auto r = parse_ok(text).eval_bool(scope);
  if (!r.ok()) FAIL("eval failed for " << text << ": " << r.error().str());
  return *r;
}

inline Error eval_fail(const std::string& text, const MapScope& scope = {}) {
  auto r = parse_ok(text).eval_bool(scope);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

// The static types the checker tests use; anything else is "unknown name" (without a
// position, so the checker must place it at the ref).
inline ordo::Result<ExprType> test_types(const Ref& r) {
  static const std::map<std::string, ExprType> types = {
      {"vars.a", ExprType::Bool},
      {"vars.b", ExprType::Bool},
      {"vars.n", ExprType::Int},
      {"vars.s", ExprType::String},
      {"vars.l", ExprType::List},
      {"vars.anything", ExprType::Any},
      {"steps.x.fired", ExprType::Int},
      {"steps.x.status", ExprType::String},
      {"steps.lock-wait-watchdog.fired", ExprType::Int},
      {"steps.pip-indico.outputs.after.indico", ExprType::String},
      {"facts.os_family", ExprType::String},
  };
  auto it = types.find(r.str());
  if (it == types.end()) return ordo::make_error("unknown name '" + r.str() + "'");
  return it->second;
}

// Every problem the type checker finds in `text`, as "file:line:col: message".
inline std::vector<std::string> check(const std::string& text) {
  ordo::Diagnostics d;
  parse_ok(text).check(test_types, d);
  std::vector<std::string> out;
  for (const auto& item : d.sorted()) out.push_back(item.str());
  return out;
}

// "p.toml:5:COL: msg" for the column `offset` characters into the expression.
inline std::string at(size_t offset, const std::string& msg) {
  return "p.toml:5:" + std::to_string(col(offset)) + ": " + msg;
}

}  // namespace expr_test
