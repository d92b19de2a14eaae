// Loading a plan for a command: load the file, apply --vars/--set/--fact, validate against the
// built-in kinds. Shared by every plan-reading subcommand so they agree on what "valid" means.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "diagnostics.h"
#include "facts.h"
#include "graph.h"
#include "plan.h"
#include "registry.h"
#include "vars.h"

namespace ordo::cli {

struct LoadedPlan {
  Plan plan;
  VarValues vars;
  Facts facts;
  Graph graph;
};

// Loads and validates. On problems returns nullopt with everything in diags; warnings may be
// present on success too.
std::optional<LoadedPlan> load_and_validate(const std::string& path, const CommonOptions& common,
                                            const Registry& registry, Diagnostics& diags);

// The same for a plan already loaded, with `overrides` applied before --vars/--set and
// `fact_overrides` over the gathered facts before --fact (ordo resume: the run's stored ones).
std::optional<LoadedPlan> validate_with(Plan plan, std::vector<VarOverride> overrides,
                                        const Facts& fact_overrides, const CommonOptions& common,
                                        const Registry& registry, Diagnostics& diags);

// The steps --only-tags/--skip-tags leave out (selection.h), by step index. On a bad filter
// prints the error and returns nullopt; prints the selection's warnings (a selected step that
// needs one left out) to stderr as "ordo: warning: ...".
std::optional<std::vector<std::string>> select_or_report(const LoadedPlan& loaded,
                                                         const TagFilter& filter);

// Prints diagnostics to stderr followed by "N error(s)" when there are errors.
void print_diagnostics(const Diagnostics& diags);

// True when output should be coloured: a terminal, no NO_COLOR, no --no-color.
bool use_color(int fd, const CommonOptions& common);

}  // namespace ordo::cli
