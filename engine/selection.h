// Step selection by tags: `ordo run/plan --only-tags A,B --skip-tags C` (plan-language.md,
// `tags`). Decides, per step, whether it is selected and, if not, the reason its skip carries
// ("not selected (--only-tags backup)"). A step that is not selected is skipped as not
// applicable, like a `when` that is false: its dependents still run — without it, which
// selection_warnings() says before anything runs.
//
// With --only-tags, a step is selected when it has one of those tags, and so are the safety
// nets of selected steps: the watchers watching one (and the steps those watchers trigger)
// and the on_failure handlers of one. --skip-tags deselects every step with one of its tags,
// those nets included: what the admin names explicitly wins. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "graph.h"
#include "plan.h"
#include "result.h"

namespace ordo {

struct TagFilter {
  std::vector<std::string> only;  // --only-tags (empty: every step, less --skip-tags)
  std::vector<std::string> skip;  // --skip-tags
  bool empty() const { return only.empty() && skip.empty(); }
  // As given on the command line: "--only-tags db,backup --skip-tags verify" ("" when empty).
  std::string describe() const;
};

// By step index: "" when selected, else why not; empty (no string per step) when the filter is
// empty and every step is selected. Errors: a tag no step has (with a suggestion
// and the known tags), a filter that leaves no step selected.
Result<std::vector<std::string>> select_steps(const Plan& plan, const TagFilter& filter);

// One line per selected step that requires, or runs after, a step that is not selected:
// "db-upgrade requires stop-celery, which is not selected: it runs without it".
std::vector<std::string> selection_warnings(const Plan& plan, const Graph& graph,
                                            const std::vector<std::string>& unselected);

}  // namespace ordo
