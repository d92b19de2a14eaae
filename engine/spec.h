// ParamSpec / ExecutorSpec: the one table per executor that drives validation, `ordo explain`,
// and the JSON Schema. Declared once beside each executor (executors/<kind>.cpp).
//
// check_params() checks a step's executor parameters against its kind's table: unknown keys
// (with a suggestion among the parameters and the common keys), missing required parameters,
// wrong types, values outside `choices`, bad durations. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "plan.h"
#include "value.h"

namespace ordo {

enum class ParamType {
  String,
  Bool,
  Int,
  Duration,      // a duration string ("5s")
  Path,          // a string; `~` expands to the step user's home
  StringList,    // a list of strings
  StringOrList,  // a string or a list of strings
  Table,         // a table (sub-keys described in `doc`, checked by Executor::check)
  List,          // a list of any values (e.g. sql `params`)
  Any,           // a string, integer, bool or list (e.g. sql `expect`)
};
const char* param_type_name(ParamType t);  // "string", "duration", "list of strings", ...

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::String;
  bool required = false;
  std::optional<Value> default_value;  // shown in explain/schema; applied by resolve_params()
  std::vector<std::string> choices;    // allowed values for String params (empty: any)
  std::string doc;                     // one line
  // Interpolation of this parameter at run time: `${...}` values are inserted shell-quoted
  // (the `script` of `shell`); `${raw:...}` stays unquoted.
  bool shell_quoted = false;
  // The parameter is a secret (e.g. a password): redacted in output, events and reports.
  bool secret = false;
};

struct OutputSpec {
  std::string name;  // "state", or a pattern ending in ".*" such as "before.*"
  std::string doc;
};

struct ExecutorSpec {
  std::string kind;     // "systemd"
  std::string summary;  // one line for `ordo kinds`
  std::string doc;      // a paragraph for `ordo explain`
  std::vector<ParamSpec> params;
  std::vector<OutputSpec> outputs;
  bool watcher = false;  // true: only valid with `watches` (lock-watchdog)
  std::string example;   // a TOML snippet for `ordo explain`

  const ParamSpec* find(std::string_view name) const;
  // True if `name` is one of `outputs` (patterns like "before.*" match "before.indico").
  bool has_output(std::string_view name) const;
};

// Checks step.params against spec. Values containing `${...}` that `vars_resolved` could not
// resolve are only checked for shape, not for content.
void check_params(const ExecutorSpec& spec, const StepDecl& step, Diagnostics& diags);

// Returns params with defaults filled in for every missing optional parameter that has one.
ValueTable resolve_params(const ExecutorSpec& spec, const ValueTable& params);

}  // namespace ordo
