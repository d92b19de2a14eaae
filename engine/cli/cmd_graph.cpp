// `ordo graph PLAN --format dot|mermaid|text|svg [-o FILE]`: draw the plan graph.
#include <fmt/core.h>

#include <cstdio>
#include <fstream>

#include "builtin.h"
#include "commands.h"
#include "loading.h"
#include "render/render.h"

namespace ordo::cli {

int cmd_graph(const GraphOptions& opts) {
  Registry registry = builtin_registry();
  Diagnostics diags;
  auto loaded = load_and_validate(opts.plan, opts.common, registry, diags);
  print_diagnostics(diags);
  if (!loaded) return kExitInvalid;

  RenderOptions ro;
  std::string out;
  if (opts.format == "dot") {
    out = render_dot(loaded->plan, loaded->graph, ro);
  } else if (opts.format == "mermaid") {
    out = render_mermaid(loaded->plan, loaded->graph, ro);
  } else if (opts.format == "svg") {
    auto svg = render_svg(loaded->plan, loaded->graph, ro);
    if (!svg.ok()) {
      fmt::print(stderr, "ordo: {}\n", svg.error().str());
      return kExitFailed;
    }
    out = std::move(svg).value();
  } else {
    bool color = opts.output.empty() && use_color(1, opts.common);
    out = render_text(loaded->plan, loaded->graph, ro, color);
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
