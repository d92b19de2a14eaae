// `ordo plan PLAN`: a dry run. The steps in waves (what may run in parallel), and for each
// whether it will run, be skipped and why, or is decided at run time.
#include <fmt/core.h>

#include <algorithm>

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

  std::optional<std::vector<std::string>> unselected = select_or_report(*loaded, opts.tags);
  if (!unselected) return kExitInvalid;
  auto fc = forecast(plan, g, loaded->vars, loaded->facts, registry);
  for (size_t v = 0; v < unselected->size(); ++v)
    if (!(*unselected)[v].empty()) {
      fc[v].kind = StepForecast::Kind::Skipped;
      fc[v].verdict = "skipped: " + (*unselected)[v];
    }
  // A watcher runs beside the steps it watches, and what it triggers runs meanwhile: show
  // them in the wave of the first watched step rather than after it.
  std::vector<std::vector<int>> waves = g.waves();
  for (int v : g.topo_order()) {
    const StepDecl& s = plan.steps[v];
    int shown = -1;
    if (s.is_watcher()) {
      for (const auto& r : s.watches)
        if (int w = g.index(r.id); w >= 0)
          shown = shown < 0 ? g.wave_of(w) : std::min(shown, g.wave_of(w));
    } else if (s.is_triggered() && s.requires_.empty() && s.after.empty()) {
      for (const auto& r : s.triggered_by)
        for (size_t w = 0; w < waves.size(); ++w)
          if (std::find(waves[w].begin(), waves[w].end(), g.index(r.id)) != waves[w].end())
            shown = static_cast<int>(w);
    }
    if (shown < 0 || shown == g.wave_of(v)) continue;
    auto& from = waves[g.wave_of(v)];
    from.erase(std::find(from.begin(), from.end(), v));
    waves[shown].push_back(v);
  }
  std::erase_if(waves, [](const std::vector<int>& w) { return w.empty(); });
  size_t run = 0, skipped = 0, runtime = 0, conditional = 0;
  for (size_t w = 0; w < waves.size(); ++w) {
    size_t parallel = std::count_if(waves[w].begin(), waves[w].end(), [&](int v) {
      return !plan.steps[v].is_watcher() && !plan.steps[v].is_triggered();
    });
    fmt::print(
        "\nwave {}{}\n", w + 1,
        parallel > 1 ? dim(" (" + std::to_string(parallel) + " steps may run in parallel)") : "");
    for (int v : waves[w]) {
      const StepDecl& s = plan.steps[v];
      const StepForecast& f = fc[v];
      fmt::print("  {}{}\n", bold(s.id), s.description.empty() ? "" : " — " + s.description);
      fmt::print("      {}\n", f.verdict);
      if (!f.action.empty()) fmt::print("      {}\n", dim(f.action));
      switch (f.kind) {
        case StepForecast::Kind::WillRun:
        case StepForecast::Kind::Always:
        case StepForecast::Kind::Watcher:
          ++run;
          break;
        case StepForecast::Kind::Skipped:
          ++skipped;
          break;
        case StepForecast::Kind::RunTime:
          ++runtime;
          break;
        case StepForecast::Kind::OnFailure:
        case StepForecast::Kind::Triggered:
          ++conditional;
          break;
      }
    }
  }
  fmt::print(
      "\n{} steps: {} will run, {} skipped, {} decided at run time, {} only on a "
      "failure or firing\n",
      plan.steps.size(), run, skipped, runtime, conditional);
  return kExitOk;
}

}  // namespace ordo::cli
