#include "loading.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "plan_loader.h"
#include "validate.h"

namespace ordo::cli {

std::optional<LoadedPlan> load_and_validate(const std::string& path, const CommonOptions& common,
                                            const Registry& registry, Diagnostics& diags) {
  std::optional<Plan> plan = load_plan_file(path, diags);
  if (!plan) return std::nullopt;
  return validate_with(std::move(*plan), {}, {}, common, registry, diags);
}

std::optional<LoadedPlan> validate_with(Plan plan, std::vector<VarOverride> overrides,
                                        const Facts& fact_overrides, const CommonOptions& common,
                                        const Registry& registry, Diagnostics& diags) {
  for (const auto& f : common.vars_files) {
    auto from_file = load_vars_file(f, diags);
    overrides.insert(overrides.end(), from_file.begin(), from_file.end());
  }
  for (const auto& s : common.set) {
    auto o = parse_set_arg(s);
    if (!o.ok()) {
      diags.add(o.take_error());
      continue;
    }
    overrides.push_back(std::move(o).value());
  }
  VarValues vars = resolve_vars(plan, overrides, diags);

  Facts facts = gather_facts();
  for (const auto& [k, v] : fact_overrides) facts[k] = v;
  for (const auto& f : common.facts) {
    auto eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      diags.error({"--fact", 0, 0}, "expected NAME=VALUE, got '" + f + "'");
      continue;
    }
    facts[f.substr(0, eq)] = f.substr(eq + 1);
  }

  std::optional<Validated> v = validate(plan, registry, vars, diags);
  if (!v || diags.has_errors()) return std::nullopt;
  return LoadedPlan{std::move(plan), std::move(vars), std::move(facts), std::move(v->graph)};
}

std::optional<std::vector<std::string>> select_or_report(const LoadedPlan& loaded,
                                                         const TagFilter& filter) {
  Result<std::vector<std::string>> unselected = select_steps(loaded.plan, filter);
  if (!unselected.ok()) {
    std::cerr << "ordo: " << unselected.error().message << "\n";
    return std::nullopt;
  }
  for (const std::string& w : selection_warnings(loaded.plan, loaded.graph, *unselected))
    std::cerr << "ordo: warning: " << w << "\n";
  return std::move(*unselected);
}

void print_diagnostics(const Diagnostics& diags) {
  diags.print(std::cerr);
  size_t n = diags.error_count();
  if (n) std::cerr << n << (n == 1 ? " error\n" : " errors\n");
}

bool use_color(int fd, const CommonOptions& common) {
  if (common.no_color) return false;
  const char* nc = std::getenv("NO_COLOR");
  if (nc && *nc) return false;
  return ::isatty(fd) == 1;
}

}  // namespace ordo::cli
