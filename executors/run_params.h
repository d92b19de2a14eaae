// run_params: reading a step's resolved parameters (StepContext::params: interpolated, defaults
// applied) in run(), where check() has already vouched for their types. A missing or
// mistyped value yields the fallback. Header-only, pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "executor.h"

namespace ordo {

inline std::string param_string(const ValueTable& params, std::string_view name,
                                std::string fallback = "") {
  const Value* v = table_find(params, name);
  return v && v->is_string() ? v->as_string() : fallback;
}

inline bool param_bool(const ValueTable& params, std::string_view name, bool fallback) {
  const Value* v = table_find(params, name);
  return v && v->is_bool() ? v->as_bool() : fallback;
}

// A duration parameter ("30s"); nullopt when absent or unparsable.
inline std::optional<Millis> param_duration(const ValueTable& params, std::string_view name) {
  const Value* v = table_find(params, name);
  if (!v || !v->is_string()) return std::nullopt;
  auto d = parse_duration(v->as_string());
  if (!d.ok()) return std::nullopt;
  return d.value();
}

inline std::vector<std::string> param_strings(const ValueTable& params, std::string_view name) {
  std::vector<std::string> out;
  const Value* v = table_find(params, name);
  if (v && v->is_list())
    for (const Value& e : v->as_list()) out.push_back(e.is_string() ? e.as_string() : e.to_text());
  else if (v && v->is_string())
    out.push_back(v->as_string());
  return out;
}

}  // namespace ordo
