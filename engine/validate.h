// validate(): Plan x Registry -> Diagnostics, every problem at once.
//
// Checks: unknown kinds (did you mean), executor parameters against each kind's table
// (check_params + Executor::check), references to unknown steps in requires/after/on_failure/
// watches/triggered_by, `triggered_by` naming a non-watcher, watchers of a non-watcher kind
// and vice versa, undefined ${...} refs in every interpolated string, `when` expressions
// (parse errors, unknown names, type errors, with suggestions), outputs refs to unknown
// outputs, and cycles (via Graph::build). Thread-safe (no shared state).
#pragma once

#include <optional>

#include "diagnostics.h"
#include "facts.h"
#include "graph.h"
#include "plan.h"
#include "registry.h"
#include "vars.h"

namespace ordo {

struct Validated {
  Graph graph;
};

// Returns the graph when there are no errors in diags (warnings allowed).
std::optional<Validated> validate(const Plan& plan, const Registry& registry, const VarValues& vars,
                                  Diagnostics& diags);

}  // namespace ordo
