// Renderers of the plan graph: Graphviz DOT, Mermaid, terminal text, and SVG through
// Graphviz's `dot` program. Used by `ordo graph` (with --run, a run's states as colours).
//
// Every renderer is a pure function of (Plan, Graph, options) and deterministic: the same
// input gives the same bytes, so outputs can be golden-tested. render_svg spawns `dot` and
// waits for it. All functions are thread-safe for concurrent calls on const inputs.
// REQUIRES (every function): `graph` was built from `plan`.
#pragma once

#include <map>
#include <string>

#include "graph.h"
#include "plan.h"
#include "result.h"
#include "view.h"

namespace ordo {

struct RenderOptions {
  // Optional run state per step id, for colouring (`ordo graph --run`): "succeeded", "failed",
  // "timed_out", "skipped", "cancelled", "not_reached", "running". Steps without an entry are
  // drawn uncoloured.
  std::map<std::string, std::string> state;
  // Optional reason text per step id (e.g. "requires backup-db, which failed"); shown as a
  // tooltip in DOT and SVG, on its own line in text.
  std::map<std::string, std::string> note;
  // Show step descriptions (DOT tooltips, the text column, the plan's description).
  bool with_descriptions = true;
  // Optional short text per step id drawn under the id with its state in DOT and SVG (e.g.
  // "exit 1 · 26ms"); only for steps with a state.
  std::map<std::string, std::string> detail;
  // Watchers' firings in the run, per watcher id; DOT labels its fires edges "⚡ fired 2×" (or
  // "⚡ not fired" when the watcher has a state but no entry here).
  std::map<std::string, int> fired;
  // When set, each DOT/SVG node links to href_prefix + id (the HTML report uses "#step-").
  std::string href_prefix;
};

// Each renderer draws a GraphView (view.h: the whole plan, or a focus/collapse cut of it); the
// (Plan, Graph) forms draw full_view(plan, graph). Group nodes are keyed by their view id
// ("tag:NAME") in RenderOptions (view_options fills them from a run).

// `digraph "name" { rankdir=LR; ... }`; edge styles by kind, watchers as hexagons beside what
// they watch, `always` steps with a double border, fill colours from RenderOptions::state;
// groups as 3-D boxes, stubs as small dashed boxes, the focus step with a heavy border.
// Above kLargeGraphNodes nodes, layout limits that keep `dot` fast (see large_graph).
std::string render_dot(const Plan& plan, const Graph& graph, const RenderOptions& opts = {});
std::string render_dot(const GraphView& view, const RenderOptions& opts = {});

// Views with more nodes than this get a fast Graphviz layout: edge labels as xlabels (a single
// `label` on an edge makes dot lay out every edge over two ranks) and bounded network simplex
// and crossing minimisation (nslimit, nslimit1, mclimit). Without them `dot` took 20 s to over
// 90 s of CPU on 2,000-step plans; with them 1.2 to 4.3 s (tests/bench/svg_bench.cpp).
inline constexpr size_t kLargeGraphNodes = 400;
bool large_graph(const GraphView& view);

// `flowchart LR`; nodes are n0, n1, ... (step ids may hold hyphens) labelled with the id.
// With a run, watcher edges carry the firings ("⚡ fired 2×") as in DOT.
std::string render_mermaid(const Plan& plan, const Graph& graph, const RenderOptions& opts = {});
std::string render_mermaid(const GraphView& view, const RenderOptions& opts = {});

// Waves, watchers and the critical path, for a 100-column terminal; ANSI bold ids and coloured
// states when `color`. A cut view says what was cut in its header and lists stubs as
// "… N more upstream" beside the steps they hang on.
std::string render_text(const Plan& plan, const Graph& graph, const RenderOptions& opts = {},
                        bool color = false);
std::string render_text(const GraphView& view, const RenderOptions& opts = {}, bool color = false);

// render_dot piped through `dot -Tsvg`. Error when `dot` is not on PATH (with the hint to
// install Graphviz) or when it fails (with its stderr).
Result<std::string> render_svg(const Plan& plan, const Graph& graph,
                               const RenderOptions& opts = {});
Result<std::string> render_svg(const GraphView& view, const RenderOptions& opts = {});

// Shared by the renderers: the fill colour for a run state ("" for none/unknown).
const char* state_fill_color(const std::string& state);

}  // namespace ordo
