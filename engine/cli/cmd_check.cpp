// `ordo check PLAN...`: load and validate; every problem as file:line:col: message; exit 2.
#include <fmt/core.h>

#include "builtin.h"
#include "commands.h"
#include "loading.h"

namespace ordo::cli {

int cmd_check(const std::vector<std::string>& plans, const CommonOptions& common) {
  Registry registry = builtin_registry();
  bool bad = false;
  for (const auto& path : plans) {
    Diagnostics diags;
    auto loaded = load_and_validate(path, common, registry, diags);
    print_diagnostics(diags);
    if (!loaded) {
      bad = true;
      continue;
    }
    fmt::print("{}: ok — plan '{}', {} steps, {} waves\n", path, loaded->plan.name,
               loaded->plan.steps.size(), loaded->graph.waves().size());
  }
  return bad ? kExitInvalid : kExitOk;
}

}  // namespace ordo::cli
