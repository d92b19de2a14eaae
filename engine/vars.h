// Variable resolution: the plan's [vars] defaults, overridden by --vars FILE and --set k=v,
// converted to each variable's declared type. The result is what `${name}` expands to.
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "plan.h"
#include "value.h"

namespace ordo {

// The resolved variables, by name.
using VarValues = std::map<std::string, Value>;

struct VarOverride {
  std::string name;
  std::string text;            // from --set name=text (converted to the var's type)
  std::optional<Value> value;  // from --vars FILE (already typed)
  SourceLoc loc;               // "--set" or the vars file position
};

// Parses "name=value" from --set; error if there is no '='.
Result<VarOverride> parse_set_arg(std::string_view arg);

// Applies overrides in order. Unknown names are errors (with a suggestion); values that do
// not convert to the declared type are errors; a var with no default that is not set is an
// error. Variable values are literal: `${...}` inside a value is not expanded.
VarValues resolve_vars(const Plan& plan, const std::vector<VarOverride>& overrides,
                       Diagnostics& diags);

}  // namespace ordo
