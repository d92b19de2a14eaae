// Forecast: what `ordo plan` says about each step before anything runs — will it run, be
// skipped (and why), or is that decided at run time (and by what)?
//
// Only variables and facts are known at plan time. A `when` that uses only them is evaluated;
// one that uses steps.* is "decided at run time". Handlers and triggered steps depend on
// failures and firings. Skips that are "not applicable" do not block dependents (see the edge
// table in architecture.md), so dependents of a skipped step still run. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "facts.h"
#include "graph.h"
#include "plan.h"
#include "refs.h"
#include "registry.h"
#include "vars.h"

namespace ordo {

struct StepForecast {
  enum class Kind {
    WillRun,    // runs unless something before it fails
    Skipped,    // `when` is false with these variables/facts
    RunTime,    // `when` depends on earlier steps' results
    OnFailure,  // a handler: runs only if a step it handles fails
    Triggered,  // runs only when a watcher fires
    Watcher,    // runs alongside the steps it watches
    Always,     // cleanup: runs whatever happens before it
  };
  Kind kind = Kind::WillRun;
  std::string verdict;  // "will run", "skipped: condition false (plugins = \"none\")", ...
  std::string action;   // what it does, interpolated where possible: "systemctl stop x.service"
};

std::vector<StepForecast> forecast(const Plan& plan, const Graph& graph, const VarValues& vars,
                                   const Facts& facts, const Registry& registry);

// A Scope over variables and facts only (steps.* are unknown).
class PlanScope final : public Scope {
 public:
  PlanScope(const VarValues& vars, const Facts& facts) : vars_(vars), facts_(facts) {}
  std::optional<Value> lookup(const Ref& ref) const override;

 private:
  const VarValues& vars_;
  const Facts& facts_;
};

}  // namespace ordo
