// `ordo graph PLAN --format dot|mermaid|text|svg [-o FILE] [--run [RUN-ID]] [--focus STEP
// [--depth N]] [--collapse TAG]...`: draw the plan graph, or the part of it around one step, with
// tag groups as single nodes; with --run, coloured by a run's outcome (the last run by default).
#include <fmt/core.h>

#include <cstdio>
#include <fstream>

#include "builtin.h"
#include "commands.h"
#include "loading.h"
#include "render/render.h"
#include "render/report.h"
#include "run_record.h"
#include "state_dir.h"

namespace ordo::cli {

int cmd_graph(const GraphOptions& opts) {
  Registry registry = builtin_registry();
  Diagnostics diags;
  auto loaded = load_and_validate(opts.plan, opts.common, registry, diags);
  print_diagnostics(diags);
  if (!loaded) return kExitInvalid;

  RenderOptions ro;
  if (opts.with_run) {
    const std::string state =
        opts.common.state_dir.empty() ? default_state_dir() : opts.common.state_dir;
    Result<RunLocation> where = locate_run(state, loaded->plan.name, opts.run);
    Result<RunRecord> run = where.ok() ? read_run_record(where->record) : where.error();
    if (run.ok() && run->plan != loaded->plan.name)
      run = make_error(where->record + " is a run of plan '" + run->plan + "', not '" +
                       loaded->plan.name + "'");
    if (!run.ok()) {
      fmt::print(stderr, "ordo: {}\n", run.error().str());
      return kExitInvalid;
    }
    ro = run_render_options(loaded->plan, *run);
  }

  ViewSpec spec;
  spec.focus = opts.focus;
  spec.depth = opts.depth < 0 ? kDefaultFocusDepth : opts.depth;
  spec.collapse = opts.collapse;
  Result<GraphView> view = make_view(loaded->plan, loaded->graph, spec);
  if (!view.ok()) {
    fmt::print(stderr, "ordo: {}\n", view.error().str());
    return kExitInvalid;
  }
  if (opts.with_run) ro = view_options(*view, ro);
  if ((opts.format == "svg" || opts.format == "dot") && large_graph(*view))
    fmt::print(stderr,
               "ordo: {} nodes: using a fast Graphviz layout (edge labels as xlabels, bounded "
               "nslimit/mclimit); "
               "--focus STEP or --collapse TAG draw a smaller picture\n",
               view->nodes.size());

  std::string out;
  if (opts.format == "dot") {
    out = render_dot(*view, ro);
  } else if (opts.format == "mermaid") {
    out = render_mermaid(*view, ro);
  } else if (opts.format == "svg") {
    auto svg = render_svg(*view, ro);
    if (!svg.ok()) {
      fmt::print(stderr, "ordo: {}\n", svg.error().str());
      return kExitFailed;
    }
    out = std::move(svg).value();
  } else {
    bool color = opts.output.empty() && use_color(1, opts.common);
    out = render_text(*view, ro, color);
  }

  if (opts.output.empty() || opts.output == "-") {
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  }
  std::ofstream f(opts.output, std::ios::binary | std::ios::trunc);
  f << out;
  f.close();
  if (!f) {
    fmt::print(stderr, "ordo: cannot write {}\n", opts.output);
    return kExitFailed;
  }
  fmt::print(stderr, "wrote {} ({} bytes)\n", opts.output, out.size());
  return kExitOk;
}

}  // namespace ordo::cli
