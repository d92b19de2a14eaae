// Graph::build: typed edges from the plan's step references, cycle paths through Boost.Graph's
// depth_first_search, then Kahn's order, waves, ranks and the critical path.
// The only file that includes Boost.Graph (toolchain.md §5). Everything here is iterative:
// a chain of 100k steps must not overflow the stack.

// GCC 12 false positive inside BGL's edge iterators at -O2 (toolchain.md §4, pitfall 2).
// clang has no such warning group (and would warn about the pragma).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "graph.h"
#include "step_index.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

namespace ordo {

const char* edge_kind_name(EdgeKind k) {
  switch (k) {
    case EdgeKind::Requires:
      return "requires";
    case EdgeKind::After:
      return "after";
    case EdgeKind::OnFailure:
      return "on_failure";
    case EdgeKind::Watches:
      return "watches";
    case EdgeKind::TriggeredBy:
      return "triggered_by";
  }
  return "?";
}

namespace {

// Stop reconstructing cycles after this many; a plan with more has bigger problems.
constexpr size_t kMaxCycles = 100;
constexpr size_t kEdgeKinds = 5;

// No edge property: BGL 1.74 heap-allocates each edge's property, which dominated build time
// on large plans. The edge index of a back edge is found again from Graph::out_edges().
using Bgl = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using BglEdge = boost::graph_traits<Bgl>::edge_descriptor;

struct Cycle {
  std::vector<int> steps;  // v ... u for the back edge u -> v: each must run before the next
  int closing = 0;         // index of the edge u -> v in Graph::edges()
};

// Shared state of the DFS visitor (BGL copies visitors by value).
struct CycleState {
  const std::vector<Edge>* edges = nullptr;
  const Graph* graph = nullptr;
  std::vector<int> parent;  // DFS tree parent of each step, or -1
  std::vector<Cycle> cycles;
  std::set<std::vector<int>> seen;  // step sequences rotated to their minimum
  bool truncated = false;
};

class CycleFinder : public boost::default_dfs_visitor {
 public:
  explicit CycleFinder(CycleState* s) : s_(s) {}

  void tree_edge(BglEdge e, const Bgl& g) const {
    s_->parent[boost::target(e, g)] = static_cast<int>(boost::source(e, g));
  }

  // A back edge u -> v closes the cycle v -> ... -> u -> v; the tree path leads from v to u.
  void back_edge(BglEdge e, const Bgl& g) const {
    if (s_->cycles.size() >= kMaxCycles) {
      s_->truncated = true;
      return;
    }
    int u = static_cast<int>(boost::source(e, g)), v = static_cast<int>(boost::target(e, g));
    Cycle c;
    for (int x = u; x != v; x = s_->parent[x]) c.steps.push_back(x);
    c.steps.push_back(v);
    std::reverse(c.steps.begin(), c.steps.end());
    std::vector<int> key = c.steps;
    std::rotate(key.begin(), std::min_element(key.begin(), key.end()), key.end());
    if (!s_->seen.insert(std::move(key)).second) return;
    for (int ei : s_->graph->out_edges(u))  // the first u -> v edge: the one the DFS met first
      if ((*s_->edges)[ei].to == v) {
        c.closing = ei;
        break;
      }
    s_->cycles.push_back(std::move(c));
  }

 private:
  CycleState* s_;
};

}  // namespace

int Graph::index(std::string_view id) const {
  auto it = std::lower_bound(by_id_.begin(), by_id_.end(), id,
                             [this](int i, std::string_view s) { return ids_[i] < s; });
  if (it == by_id_.end() || ids_[*it] != id) return -1;
  return *it;
}

std::vector<std::vector<int>> Graph::waves() const {
  std::vector<std::vector<int>> out(static_cast<size_t>(wave_count_));
  for (int v = 0; v < static_cast<int>(wave_of_.size()); ++v) out[wave_of_[v]].push_back(v);
  return out;
}

std::optional<Graph> Graph::build(const Plan& plan, Diagnostics& diags) {
  Graph g;
  const int n = static_cast<int>(plan.steps.size());
  g.ids_.reserve(n);
  for (const auto& s : plan.steps) g.ids_.push_back(s.id);
  g.by_id_.resize(n);
  for (int i = 0; i < n; ++i) g.by_id_[i] = i;
  std::stable_sort(g.by_id_.begin(), g.by_id_.end(),
                   [&g](int a, int b) { return g.ids_[a] < g.ids_[b]; });

  // Edges, each from a reference written on its `to` step; same-kind duplicates collapse.
  // A hash index for the lookups here (index() is a binary search: too many cache misses).
  const StepIndex by_id(plan);  // the first of duplicate ids wins
  std::vector<const SourceLoc*> edge_loc;
  size_t refs_total = 0;  // an upper bound of the edges: grown by doubling, the vectors would
  for (const StepDecl& s : plan.steps)  // leave their smaller copies behind as free blocks
    refs_total += s.requires_.size() + s.after.size() + s.on_failure.size() + s.watches.size() +
                  s.triggered_by.size();
  g.edges_.reserve(refs_total);
  edge_loc.reserve(refs_total);
  std::vector<int> last_to(static_cast<size_t>(n) * kEdgeKinds, -1);  // (from, kind) -> to
  for (int b = 0; b < n; ++b) {
    const StepDecl& s = plan.steps[b];
    auto refs = [&](const std::vector<StepRef>& list, EdgeKind kind) {
      for (const StepRef& r : list) {
        const int from = by_id.find(r.id);
        if (from < 0) continue;  // validate reports unknown ids
        int& last = last_to[static_cast<size_t>(from) * kEdgeKinds + static_cast<int>(kind)];
        if (last == b) continue;  // every edge into b is made here, so this finds duplicates
        last = b;
        g.edges_.push_back(Edge{from, b, kind});
        edge_loc.push_back(&r.loc);
      }
    };
    refs(s.requires_, EdgeKind::Requires);
    refs(s.after, EdgeKind::After);
    refs(s.on_failure, EdgeKind::OnFailure);
    refs(s.watches, EdgeKind::Watches);
    refs(s.triggered_by, EdgeKind::TriggeredBy);
  }

  // Compressed adjacency lists: count, prefix sums, then fill in edge order.
  {
    const int m = static_cast<int>(g.edges_.size());
    g.in_start_.assign(n + 1, 0);
    g.out_start_.assign(n + 1, 0);
    for (const Edge& e : g.edges_) {
      ++g.in_start_[e.to + 1];
      ++g.out_start_[e.from + 1];
    }
    for (int v = 0; v < n; ++v) {
      g.in_start_[v + 1] += g.in_start_[v];
      g.out_start_[v + 1] += g.out_start_[v];
    }
    g.in_.resize(m);
    g.out_.resize(m);
    std::vector<int> in_fill(g.in_start_.begin(), g.in_start_.end() - 1);
    std::vector<int> out_fill(g.out_start_.begin(), g.out_start_.end() - 1);
    for (int i = 0; i < m; ++i) {
      g.out_[out_fill[g.edges_[i].from]++] = i;
      g.in_[in_fill[g.edges_[i].to]++] = i;
    }
  }

  // Kahn's algorithm; among ready steps the earliest declared first. It orders every step
  // exactly when the graph has no cycle, so the DFS below (and BGL's copy of the graph, a
  // vector per step) is only needed to name the cycles of a plan that has some.
  {
    std::vector<int> indeg(n, 0);
    for (const Edge& e : g.edges_) ++indeg[e.to];
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int v = 0; v < n; ++v)
      if (indeg[v] == 0) ready.push(v);
    g.topo_.reserve(n);
    while (!ready.empty()) {
      int v = ready.top();
      ready.pop();
      g.topo_.push_back(v);
      for (int ei : g.out_edges(v))
        if (--indeg[g.edges_[ei].to] == 0) ready.push(g.edges_[ei].to);
    }
  }

  // Cycles: BGL's depth_first_search is iterative; roots and out-edges in declaration order.
  if (static_cast<int>(g.topo_.size()) != n) {
    Bgl bgl(static_cast<size_t>(n));
    for (const Edge& e : g.edges_) boost::add_edge(e.from, e.to, bgl);
    CycleState state;
    state.edges = &g.edges_;
    state.graph = &g;
    state.parent.assign(n, -1);
    boost::depth_first_search(bgl, boost::visitor(CycleFinder(&state)));
    for (const Cycle& c : state.cycles) {
      std::string msg = "dependency cycle:";
      for (int v : c.steps) msg += " " + g.ids_[v] + " ->";
      msg += " " + g.ids_[c.steps.front()];
      diags.error(*edge_loc[c.closing], std::move(msg));
    }
    if (state.truncated)
      diags.note(plan.loc, "more dependency cycles exist; fix these and check again");
    if (state.cycles.empty())  // unreachable: an incomplete order means a cycle
      diags.error(plan.loc, "dependency cycle (internal: topological sort incomplete)");
    return std::nullopt;
  }

  // Waves: longest chain of edges leading to v; each wave in declaration order.
  g.wave_of_.assign(n, 0);
  int max_wave = -1;
  for (int v : g.topo_) {
    for (int ei : g.in_edges(v))
      g.wave_of_[v] = std::max(g.wave_of_[v], g.wave_of_[g.edges_[ei].from] + 1);
    max_wave = std::max(max_wave, g.wave_of_[v]);
  }
  g.wave_count_ = max_wave + 1;

  // Rank: steps on the longest chain from v to a sink.
  g.rank_.assign(n, 1);
  for (auto it = g.topo_.rbegin(); it != g.topo_.rend(); ++it)
    for (int ei : g.out_edges(*it))
      g.rank_[*it] = std::max(g.rank_[*it], g.rank_[g.edges_[ei].to] + 1);

  // Critical path: the source with the highest rank, then always the highest-ranked successor
  // (ties: declaration order).
  int cur = -1;
  for (int v = 0; v < n; ++v)
    if (g.in_edges(v).empty() && (cur < 0 || g.rank_[v] > g.rank_[cur])) cur = v;
  while (cur >= 0) {
    g.critical_.push_back(cur);
    int next = -1;
    for (int ei : g.out_edges(cur)) {
      int t = g.edges_[ei].to;
      if (next < 0 || g.rank_[t] > g.rank_[next] || (g.rank_[t] == g.rank_[next] && t < next))
        next = t;
    }
    cur = next;
  }
  return g;
}

}  // namespace ordo
