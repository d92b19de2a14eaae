// Graph: the immutable dependency graph of a validated plan — nodes are steps (indexed as in
// Plan::steps), edges are typed by the key that made them. Topological order, waves and the
// critical path are computed once at build time.
//
// Edge direction: `from` must settle (or start, for Watches) before `to` may proceed. For
// `B.requires = [A]` the edge is A -> B (Requires). For `W.watches = A`, A -> W (Watches).
// For `T.triggered_by = W`, W -> T (TriggeredBy).
// Only graph.cpp includes Boost.Graph. Immutable after build; thread-safe for const use.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "plan.h"

namespace ordo {

enum class EdgeKind { Requires, After, OnFailure, Watches, TriggeredBy };
const char* edge_kind_name(EdgeKind k);  // "requires", "after", "on_failure", ...

struct Edge {
  int from = 0;
  int to = 0;
  EdgeKind kind = EdgeKind::Requires;
};

class Graph {
 public:
  // Builds the graph. Unknown step ids in references are skipped here (validate reports
  // them). A cycle is reported once per cycle as "dependency cycle: a -> b -> c -> a" at the
  // location of the reference that closes it; then nullopt is returned.
  static std::optional<Graph> build(const Plan& plan, Diagnostics& diags);

  size_t size() const { return ids_.size(); }
  const std::string& id(int v) const { return ids_[v]; }
  int index(std::string_view id) const;  // -1 if unknown

  const std::vector<Edge>& edges() const { return edges_; }
  // Indices into edges(), in the order the edges were made (declaration order).
  std::span<const int> in_edges(int v) const {
    return {in_.data() + in_start_[v], in_.data() + in_start_[v + 1]};
  }
  std::span<const int> out_edges(int v) const {
    return {out_.data() + out_start_[v], out_.data() + out_start_[v + 1]};
  }

  // Topological order; among steps whose dependencies are done, declaration order first.
  const std::vector<int>& topo_order() const { return topo_; }
  // Waves: wave k holds the steps whose longest dependency chain has k edges; steps in one
  // wave may run in parallel. Each wave is in declaration order. Made on each call (from
  // wave_of): a chain of 100k steps has 100k waves, which a graph need not keep.
  std::vector<std::vector<int>> waves() const;
  size_t wave_count() const { return static_cast<size_t>(wave_count_); }
  int wave_of(int v) const { return wave_of_[v]; }
  // Length (in steps) of the longest chain from v to any sink; the scheduler runs ready steps
  // with the larger value first (critical path first), ties by declaration order.
  int rank(int v) const { return rank_[v]; }
  // The longest chain through the graph, first step first.
  const std::vector<int>& critical_path() const { return critical_; }

 private:
  std::vector<std::string> ids_;
  std::vector<int> by_id_;  // step indices sorted by id (stable), for index()
  std::vector<Edge> edges_;
  // Compressed adjacency: the in-edges of v are in_[in_start_[v] .. in_start_[v + 1]).
  std::vector<int> in_start_, in_, out_start_, out_;
  std::vector<int> topo_;
  int wave_count_ = 0;
  std::vector<int> wave_of_;
  std::vector<int> rank_;
  std::vector<int> critical_;
};

}  // namespace ordo
