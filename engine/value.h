// Value: a toml-free tree of plan values (bool, int, double, string, list, table), each node
// carrying the source position it came from.
//
// The loader converts toml++ nodes into Values so nothing but the loader files (plan_loader.cpp and
// its parts) include toml++. Tables keep declaration order (a vector of pairs), which keeps output
// deterministic. Plain value type; not thread-safe beyond const access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "result.h"

namespace ordo {

struct Value;
using ValueList = std::vector<Value>;
using ValueTable = std::vector<std::pair<std::string, Value>>;

enum class ValueKind { Null, Bool, Int, Double, String, List, Table };
const char* value_kind_name(ValueKind k);  // "string", "integer", "list", ...

struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, ValueList, ValueTable> data;
  SourceLoc loc;      // where the value starts
  SourceLoc key_loc;  // for table members: where the key starts (else unknown)

  Value() = default;
  Value(bool b, SourceLoc l = {}) : data(b), loc(std::move(l)) {}
  Value(int64_t i, SourceLoc l = {}) : data(i), loc(std::move(l)) {}
  Value(int i, SourceLoc l = {}) : data(int64_t{i}), loc(std::move(l)) {}
  Value(double d, SourceLoc l = {}) : data(d), loc(std::move(l)) {}
  Value(std::string s, SourceLoc l = {}) : data(std::move(s)), loc(std::move(l)) {}
  Value(const char* s, SourceLoc l = {}) : data(std::string(s)), loc(std::move(l)) {}
  Value(ValueList v, SourceLoc l = {}) : data(std::move(v)), loc(std::move(l)) {}
  Value(ValueTable t, SourceLoc l = {}) : data(std::move(t)), loc(std::move(l)) {}

  ValueKind kind() const { return static_cast<ValueKind>(data.index()); }
  bool is_null() const { return kind() == ValueKind::Null; }
  bool is_bool() const { return kind() == ValueKind::Bool; }
  bool is_int() const { return kind() == ValueKind::Int; }
  bool is_string() const { return kind() == ValueKind::String; }
  bool is_list() const { return kind() == ValueKind::List; }
  bool is_table() const { return kind() == ValueKind::Table; }

  // REQUIRES: the matching kind.
  bool as_bool() const { return std::get<bool>(data); }
  int64_t as_int() const { return std::get<int64_t>(data); }
  double as_double() const { return std::get<double>(data); }
  const std::string& as_string() const { return std::get<std::string>(data); }
  const ValueList& as_list() const { return std::get<ValueList>(data); }
  ValueList& as_list() { return std::get<ValueList>(data); }
  const ValueTable& as_table() const { return std::get<ValueTable>(data); }
  ValueTable& as_table() { return std::get<ValueTable>(data); }

  // Table lookup; nullptr when not a table or no such key.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Table insert-or-replace (REQUIRES: is_table()).
  void set(std::string key, Value v);

  // Human/TOML-ish rendering: strings quoted, lists [a, b], tables { k = v }.
  std::string to_string() const;
  // Rendering for interpolation: strings unquoted, lists joined by spaces, others as to_string.
  std::string to_text() const;
  // Canonical JSON text (used for fingerprints and events).
  std::string to_json() const;
  // Structural equality, ignoring source positions.
  bool same_as(const Value& other) const;
};

// Finds key in an ordered table; nullptr if missing.
const Value* table_find(const ValueTable& t, std::string_view key);

}  // namespace ordo
