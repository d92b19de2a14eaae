// `ordo plan PLAN`: a dry run. The steps in waves (what may run in parallel), and for each
// whether it will run, be skipped and why, or is decided at run time.
#include <fmt/core.h>

#include "builtin.h"
#include "commands.h"
#include "forecast.h"
#include "loading.h"

namespace ordo::cli {

int cmd_plan(const PlanOptions& opts) {
  Registry registry = builtin_registry();
  Diagnostics diags;
  auto loaded = load_and_validate(opts.plan, opts.common, registry, diags);
  print_diagnostics(diags);
  if (!loaded) return kExitInvalid;
  const Plan& plan = loaded->plan;
  const Graph& g = loaded->graph;
  bool color = use_color(1, opts.common);
  auto bold = [&](const std::string& s) { return color ? "\x1b[1m" + s + "\x1b[0m" : s; };
  auto dim = [&](const std::string& s) { return color ? "\x1b[2m" + s + "\x1b[0m" : s; };

  fmt::print("{}{}\n", bold("plan " + plan.name),
             plan.description.empty() ? "" : " — " + plan.description);
  if (!plan.vars.empty()) {
    fmt::print("\nvariables:\n");
    for (const auto& v : plan.vars) {
      auto it = loaded->vars.find(v.name);
      std::string value = it == loaded->vars.end() ? "?" : it->second.to_string();
      if (v.secret) value = "(secret)";
      bool changed = it != loaded->vars.end() && !v.default_value.is_null() &&
                     !it->second.same_as(v.default_value);
      fmt::print("  {} = {}{}\n", v.name, value, changed ? "   (set)" : "");
    }
  }

  auto fc = forecast(plan, g, loaded->vars, loaded->facts, registry);
  size_t run = 0, skipped = 0, runtime = 0, conditional = 0;
  for (size_t w = 0; w < g.waves().size(); ++w) {
    fmt::print("\nwave {}{}\n", w + 1,
               g.waves()[w].size() > 1 ? dim(" (" + std::to_string(g.waves()[w].size()) +
                                             " steps may run in parallel)")
                                       : "");
    for (int v : g.waves()[w]) {
      const StepDecl& s = plan.steps[v];
      const StepForecast& f = fc[v];
      fmt::print("  {}{}\n", bold(s.id), s.description.empty() ? "" : " — " + s.description);
      fmt::print("      {}\n", f.verdict);
      if (!f.action.empty()) fmt::print("      {}\n", dim(f.action));
      switch (f.kind) {
        case StepForecast::Kind::WillRun:
        case StepForecast::Kind::Always:
        case StepForecast::Kind::Watcher: ++run; break;
        case StepForecast::Kind::Skipped: ++skipped; break;
        case StepForecast::Kind::RunTime: ++runtime; break;
        case StepForecast::Kind::OnFailure:
        case StepForecast::Kind::Triggered: ++conditional; break;
      }
    }
  }
  fmt::print("\n{} steps: {} will run, {} skipped, {} decided at run time, {} only on a "
             "failure or firing\n",
             plan.steps.size(), run, skipped, runtime, conditional);
  return kExitOk;
}

}  // namespace ordo::cli
