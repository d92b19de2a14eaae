#include "spec.h"

#include <algorithm>

namespace ordo {

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::String:
      return "string";
    case ParamType::Bool:
      return "bool";
    case ParamType::Int:
      return "integer";
    case ParamType::Duration:
      return "duration";
    case ParamType::Path:
      return "path";
    case ParamType::StringList:
      return "list of strings";
    case ParamType::StringOrList:
      return "string or list of strings";
    case ParamType::Table:
      return "table";
    case ParamType::List:
      return "list";
    case ParamType::Any:
      return "string, integer, bool or list";
  }
  return "?";
}

const ParamSpec* ExecutorSpec::find(std::string_view name) const {
  for (const auto& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

bool ExecutorSpec::has_output(std::string_view name) const {
  for (const auto& o : outputs) {
    if (o.name == name) return true;
    if (o.name.size() > 2 && o.name.ends_with(".*")) {
      std::string_view prefix(o.name.data(), o.name.size() - 1);  // "before."
      if (name.size() > prefix.size() && name.starts_with(prefix)) return true;
    }
  }
  return false;
}

static bool has_ref(const Value& v) {
  return v.is_string() && v.as_string().find("${") != std::string::npos;
}

static bool is_string_list(const Value& v) {
  if (!v.is_list()) return false;
  return std::all_of(v.as_list().begin(), v.as_list().end(),
                     [](const Value& e) { return e.is_string(); });
}

// Checks one value against its declared type; returns the message or "".
static std::string type_problem(const ParamSpec& p, const Value& v) {
  auto want = [&] {
    return "parameter '" + p.name + "' must be a " + param_type_name(p.type) + ", not a " +
           value_kind_name(v.kind());
  };
  switch (p.type) {
    case ParamType::String:
    case ParamType::Path:
      if (!v.is_string()) return want();
      if (!p.choices.empty() && !has_ref(v) &&
          std::find(p.choices.begin(), p.choices.end(), v.as_string()) == p.choices.end()) {
        std::string all;
        for (const auto& c : p.choices) all += (all.empty() ? "" : ", ") + c;
        return "bad value \"" + v.as_string() + "\" for '" + p.name + "'" +
               did_you_mean(v.as_string(), p.choices) + "; expected one of: " + all;
      }
      return "";
    case ParamType::Bool:
      return v.is_bool() ? "" : want();
    case ParamType::Int:
      return v.is_int() ? "" : want();
    case ParamType::Duration:
      if (!v.is_string()) return want();
      if (has_ref(v)) return "";
      if (auto d = parse_duration(v.as_string()); !d.ok())
        return "parameter '" + p.name + "': " + d.error().message;
      return "";
    case ParamType::StringList:
      return is_string_list(v) ? "" : want();
    case ParamType::StringOrList:
      return v.is_string() || is_string_list(v) ? "" : want();
    case ParamType::Table:
      return v.is_table() ? "" : want();
    case ParamType::List:
      return v.is_list() ? "" : want();
    case ParamType::Any:
      return v.is_table() || v.is_null() ? want() : "";
  }
  return "";
}

void check_params(const ExecutorSpec& spec, const StepDecl& step, Diagnostics& diags) {
  std::vector<std::string> candidates;
  for (const auto& p : spec.params) candidates.push_back(p.name);
  for (const auto& k : common_step_keys()) candidates.push_back(k);

  for (const auto& [key, value] : step.params) {
    const ParamSpec* p = spec.find(key);
    SourceLoc at = value.key_loc.known() ? value.key_loc : value.loc;
    if (!p) {
      std::string msg =
          "unknown key '" + key + "' in step '" + step.id + "' (kind '" + spec.kind + "')";
      std::string s = closest_match(key, candidates);
      if (!s.empty()) msg += " (did you mean '" + s + "'?)";
      diags.error(at, msg);
      continue;
    }
    std::string problem = type_problem(*p, value);
    if (!problem.empty()) diags.error(value.loc.known() ? value.loc : at, problem);
  }
  for (const auto& p : spec.params) {
    if (p.required && !table_find(step.params, p.name))
      diags.error(step.loc, "step '" + step.id + "' (kind '" + spec.kind +
                                "') is missing required parameter '" + p.name + "' (" +
                                param_type_name(p.type) + ": " + p.doc + ")");
  }
}

ValueTable resolve_params(const ExecutorSpec& spec, const ValueTable& params) {
  ValueTable out = params;
  for (const auto& p : spec.params)
    if (p.default_value && !table_find(out, p.name)) out.emplace_back(p.name, *p.default_value);
  return out;
}

}  // namespace ordo
