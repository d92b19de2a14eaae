// GraphView: what the renderers draw — the plan graph as nodes and typed edges, either the whole
// plan (full_view) or a smaller picture of it (make_view): the neighbourhood of one step
// (--focus STEP --depth N) and/or tag groups drawn as one node each (--collapse TAG).
//
// Cut-off parts are never dropped silently: a shown node with hidden neighbours gets a stub node
// ("… 12 more upstream") joined by a stub edge. A group's edges are the merged, deduplicated
// edges of its members (kinds kept), so a view may contain cycles (a -> group -> b -> group);
// renderers must not assume a DAG. Plain data, built once and then read-only; thread-safe for
// const use. A view does not own the plan or graph it was built from and does not refer to them.
#pragma once

#include <string>
#include <vector>

#include "graph.h"
#include "plan.h"
#include "result.h"

namespace ordo {

struct RenderOptions;

enum class ViewNodeKind { Step, Group, Stub };

struct ViewNode {
  ViewNodeKind kind = ViewNodeKind::Step;
  // Unique in the view. Step: the step id. Group: "tag:NAME". Stub: "more-up:ID" or
  // "more-down:ID" (ID of the shown node it hangs on). Step ids cannot contain ':'.
  std::string id;
  // What is drawn. Step: its id; group: "NAME (5 steps)"; stub: "… 12 more upstream".
  std::string label;
  std::string description;           // Step: its description; group: its members (possibly cut)
  bool watcher = false;              // step is a watcher, or every member of the group is
  bool always = false;               // step has `always = true`
  bool focus = false;                // the --focus step, or the group that holds it
  std::vector<std::string> members;  // Group: the member step ids shown, declaration order
  int hidden = 0;                    // Stub: how many hidden steps it stands for
};

struct ViewEdge {
  int from = 0;
  int to = 0;
  EdgeKind kind = EdgeKind::Requires;
  bool stub = false;  // joins a stub node to what it hangs on (kind is meaningless)
};

struct GraphView {
  std::string name;         // the plan's name ("plan" when it has none)
  std::string description;  // the plan's description
  std::vector<ViewNode> nodes;
  std::vector<ViewEdge> edges;
  std::vector<std::vector<int>> in, out;  // edge indices per node
  // Non-stub nodes by wave (a group's wave is its earliest member's); each wave in declaration
  // order of the nodes' first steps. Empty waves are left out.
  std::vector<std::vector<int>> waves;
  std::vector<int> critical_path;  // only for the full view (a cut view shows none)
  size_t plan_steps = 0;           // steps in the whole plan
  size_t shown_steps = 0;          // steps shown, directly or inside a group
  // "" for the full plan; else what was cut, e.g. "focus on db-upgrade, depth 2: 9 of 40 steps;
  // collapsed tag db (5 steps)".
  std::string scope;

  int index(const std::string& id) const;  // -1 if no such node
  void add_edge(int from, int to, EdgeKind kind, bool stub = false);
};

struct ViewSpec {
  std::string focus;                  // "" for the whole plan
  int depth = 2;                      // with focus: edges followed upstream and downstream
  std::vector<std::string> collapse;  // tags drawn as one node each, first given wins
};

// The default --depth of `ordo graph --focus`.
inline constexpr int kDefaultFocusDepth = 2;

// The whole plan, one node per step, the graph's edges, waves and critical path.
GraphView full_view(const Plan& plan, const Graph& graph);

// The view a spec asks for. Errors: an unknown focus step or tag (with "did you mean", and for
// tags the list of known ones), a negative depth.
// REQUIRES: `graph` was built from `plan`.
Result<GraphView> make_view(const Plan& plan, const Graph& graph, const ViewSpec& spec);

// Run options (RenderOptions keyed by step id) extended to a view's group nodes: a group's state
// is the worst of its members' (failed > timed out > cancelled > running > not reached >
// succeeded > skipped), its detail counts the members per state ("1 failed · 3 succeeded"), its
// note names the members not succeeded, and its firings are the sum of its watchers'.
RenderOptions view_options(const GraphView& view, const RenderOptions& run);

}  // namespace ordo
