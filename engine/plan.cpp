#include "plan.h"

namespace ordo {

const char* var_type_name(VarType t) {
  switch (t) {
    case VarType::String:
      return "string";
    case VarType::Bool:
      return "bool";
    case VarType::Int:
      return "int";
    case VarType::Path:
      return "path";
    case VarType::List:
      return "list";
    case VarType::Duration:
      return "duration";
  }
  return "?";
}

std::optional<VarType> parse_var_type(std::string_view s) {
  if (s == "string") return VarType::String;
  if (s == "bool") return VarType::Bool;
  if (s == "int") return VarType::Int;
  if (s == "path") return VarType::Path;
  if (s == "list") return VarType::List;
  if (s == "duration") return VarType::Duration;
  return std::nullopt;
}

const StepDecl* Plan::find_step(std::string_view id) const {
  int i = step_index(id);
  return i < 0 ? nullptr : &steps[i];
}

int Plan::step_index(std::string_view id) const {
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].id == id) return static_cast<int>(i);
  return -1;
}

const VarDecl* Plan::find_var(std::string_view name) const {
  for (const auto& v : vars)
    if (v.name == name) return &v;
  return nullptr;
}

const std::vector<std::string>& common_step_keys() {
  static const std::vector<std::string> keys = {
      "kind",         "description", "requires", "after",      "on_failure", "always", "watches",
      "triggered_by", "when",        "timeout",  "kill_grace", "retries",    "user",   "env",
      "venv",         "cwd",         "outputs",  "idempotent", "tags",       "handles"};
  return keys;
}

}  // namespace ordo
