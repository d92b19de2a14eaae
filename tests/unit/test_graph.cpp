// Unit tests: Graph::build — typed edges, cycles with their path and location, topological
// order, waves, ranks, the critical path, and a 100k-step chain. Plans are built in C++.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "graph.h"
#include "step_index.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

StepRef sref(const std::string& id, int line = 0) {
  return StepRef{id, SourceLoc{"t.toml", line, 9}};
}

StepDecl& add(Plan& p, const std::string& id) {
  StepDecl s;
  s.id = id;
  s.kind = "noop";
  s.loc = SourceLoc{"t.toml", static_cast<int>(p.steps.size()) + 1, 1};
  p.steps.push_back(std::move(s));
  return p.steps.back();
}

using EdgeTuple = std::tuple<std::string, std::string, std::string>;

std::set<EdgeTuple> edge_set(const Graph& g) {
  std::set<EdgeTuple> out;
  for (const Edge& e : g.edges()) out.insert({g.id(e.from), g.id(e.to), edge_kind_name(e.kind)});
  return out;
}

std::vector<std::string> ids(const Graph& g, const std::vector<int>& vs) {
  std::vector<std::string> out;
  for (int v : vs) out.push_back(g.id(v));
  return out;
}

Graph build_ok(const Plan& p) {
  Diagnostics d;
  auto g = Graph::build(p, d);
  INFO((d.empty() ? ""s : d.items().front().str()));
  REQUIRE(g.has_value());
  REQUIRE(d.empty());
  return std::move(*g);
}

}  // namespace

TEST_SUITE("graph") {
  TEST_CASE("every reference kind makes an edge in the documented direction") {
    Plan p;
    add(p, "a");
    auto& b = add(p, "b");
    b.requires_ = {sref("a"), sref("a")};  // same-kind duplicate collapses
    b.after = {sref("a")};                 // a different kind between the same pair is kept
    add(p, "c").on_failure = {sref("b")};
    add(p, "w").watches = {sref("a"), sref("b")};
    add(p, "t").triggered_by = {sref("w")};
    Graph g = build_ok(p);

    CHECK(edge_set(g) == std::set<EdgeTuple>{{"a", "b", "requires"},
                                             {"a", "b", "after"},
                                             {"b", "c", "on_failure"},
                                             {"a", "w", "watches"},
                                             {"b", "w", "watches"},
                                             {"w", "t", "triggered_by"}});
    CHECK(g.edges().size() == 6);
    CHECK(g.size() == 5);
    CHECK(g.in_edges(g.index("b")).size() == 2);
    CHECK(g.out_edges(g.index("a")).size() == 3);
    CHECK(g.in_edges(g.index("a")).empty());
    for (int v = 0; v < static_cast<int>(g.size()); ++v) {
      for (int ei : g.out_edges(v)) CHECK(g.edges()[ei].from == v);
      for (int ei : g.in_edges(v)) CHECK(g.edges()[ei].to == v);
    }
  }

  TEST_CASE("edge kind names") {
    CHECK(std::string(edge_kind_name(EdgeKind::Requires)) == "requires");
    CHECK(std::string(edge_kind_name(EdgeKind::After)) == "after");
    CHECK(std::string(edge_kind_name(EdgeKind::OnFailure)) == "on_failure");
    CHECK(std::string(edge_kind_name(EdgeKind::Watches)) == "watches");
    CHECK(std::string(edge_kind_name(EdgeKind::TriggeredBy)) == "triggered_by");
  }

  TEST_CASE("index finds ids; the first of duplicate ids wins") {
    Plan p;
    add(p, "zeta");
    add(p, "alpha");
    add(p, "mid");
    add(p, "alpha");
    Graph g = build_ok(p);
    CHECK(g.index("zeta") == 0);
    CHECK(g.index("alpha") == 1);
    CHECK(g.index("mid") == 2);
    CHECK(g.index("nope") == -1);
    CHECK(g.index("") == -1);
    CHECK(g.id(3) == "alpha"s);
  }

  TEST_CASE("references to unknown steps are skipped without a diagnostic") {
    Plan p;
    add(p, "a");
    auto& b = add(p, "b");
    b.requires_ = {sref("a"), sref("ghost")};
    b.after = {sref("nobody")};
    add(p, "w").watches = {sref("missing")};
    add(p, "t").triggered_by = {sref("phantom")};
    Graph g = build_ok(p);
    CHECK(edge_set(g) == std::set<EdgeTuple>{{"a", "b", "requires"}});
  }

  TEST_CASE("topological order breaks ties by declaration order, not by discovery") {
    Plan p;
    add(p, "late").requires_ = {sref("first")};  // index 0, ready only after `first`
    add(p, "first");                             // index 1
    add(p, "other");                             // index 2
    add(p, "last").after = {sref("other")};      // index 3
    Graph g = build_ok(p);
    // After `first`, both `late` (0) and `other` (2) are ready: the earlier declared goes first.
    CHECK(ids(g, g.topo_order()) == std::vector<std::string>{"first", "late", "other", "last"});
  }

  TEST_CASE("topological order respects every edge") {
    Plan p;
    add(p, "d").requires_ = {sref("c")};
    add(p, "c").on_failure = {sref("b")};
    add(p, "b").after = {sref("a")};
    add(p, "w").watches = {sref("a")};
    add(p, "a");
    add(p, "t").triggered_by = {sref("w")};
    Graph g = build_ok(p);
    const auto& topo = g.topo_order();
    REQUIRE(topo.size() == g.size());
    std::vector<int> pos(g.size());
    for (size_t i = 0; i < topo.size(); ++i) pos[topo[i]] = static_cast<int>(i);
    for (const Edge& e : g.edges()) CHECK(pos[e.from] < pos[e.to]);
    CHECK(ids(g, topo) == std::vector<std::string>{"a", "b", "c", "d", "w", "t"});
  }

  TEST_CASE("waves follow the longest chain of any edge kind, each in declaration order") {
    Plan p;
    add(p, "d").requires_ = {sref("b"), sref("c")};
    add(p, "c").requires_ = {sref("a")};
    add(p, "b").after = {sref("a")};
    add(p, "a");
    add(p, "f");                                     // independent: wave 0
    add(p, "e").requires_ = {sref("a"), sref("d")};  // longest chain wins over the short edge
    add(p, "w").watches = {sref("c")};
    add(p, "t").triggered_by = {sref("w")};
    Graph g = build_ok(p);
    std::vector<std::vector<std::string>> waves;
    for (const auto& w : g.waves()) waves.push_back(ids(g, w));
    CHECK(waves ==
          std::vector<std::vector<std::string>>{{"a", "f"}, {"c", "b"}, {"d", "w"}, {"e", "t"}});
    CHECK(g.wave_of(g.index("a")) == 0);
    CHECK(g.wave_of(g.index("e")) == 3);
    CHECK(g.wave_of(g.index("t")) == 3);
  }

  TEST_CASE("rank is the number of steps on the longest chain to a sink") {
    Plan p;
    add(p, "a");
    add(p, "b").requires_ = {sref("a")};
    add(p, "c").requires_ = {sref("b")};
    add(p, "d").requires_ = {sref("c")};
    add(p, "e").requires_ = {sref("a")};
    add(p, "x");
    Graph g = build_ok(p);
    CHECK(g.rank(g.index("a")) == 4);
    CHECK(g.rank(g.index("b")) == 3);
    CHECK(g.rank(g.index("d")) == 1);
    CHECK(g.rank(g.index("e")) == 1);
    CHECK(g.rank(g.index("x")) == 1);
    CHECK(ids(g, g.critical_path()) == std::vector<std::string>{"a", "b", "c", "d"});
  }

  TEST_CASE("critical path: highest-ranked source and successor, ties by declaration order") {
    Plan p;
    add(p, "s1");
    add(p, "s2");  // same rank as s1: s1 wins because it is declared first
    add(p, "m2").requires_ = {sref("s1")};
    add(p, "m1").requires_ = {sref("s1")};
    add(p, "z").requires_ = {sref("s2")};
    add(p, "long-src");
    add(p, "l1").requires_ = {sref("long-src")};
    add(p, "l2").requires_ = {sref("l1")};
    Graph g = build_ok(p);
    CHECK(ids(g, g.critical_path()) == std::vector<std::string>{"long-src", "l1", "l2"});

    Plan q;
    add(q, "s1");
    add(q, "s2");
    add(q, "m2").requires_ = {sref("s1")};
    add(q, "m1").requires_ = {sref("s1")};
    add(q, "z").requires_ = {sref("s2")};
    Graph h = build_ok(q);
    CHECK(ids(h, h.critical_path()) == std::vector<std::string>{"s1", "m2"});
  }

  TEST_CASE("an empty plan has an empty graph") {
    Plan p;
    Graph g = build_ok(p);
    CHECK(g.size() == 0);
    CHECK(g.topo_order().empty());
    CHECK(g.waves().empty());
    CHECK(g.critical_path().empty());
  }

  TEST_CASE("a 3-cycle is reported once with its path at the reference that closes it") {
    Plan p;
    add(p, "a").requires_ = {sref("c", 3)};
    add(p, "b").requires_ = {sref("a", 6)};
    add(p, "c").after = {sref("b", 9)};
    add(p, "ok");
    Diagnostics d;
    auto g = Graph::build(p, d);
    CHECK_FALSE(g.has_value());
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].severity == Severity::Error);
    CHECK(d.items()[0].message == "dependency cycle: a -> b -> c -> a"s);
    CHECK(d.items()[0].loc == SourceLoc{"t.toml", 3, 9});
  }

  TEST_CASE("a self-reference is a cycle of one") {
    Plan p;
    add(p, "x");
    add(p, "a").requires_ = {sref("x", 2), sref("a", 4)};
    Diagnostics d;
    CHECK_FALSE(Graph::build(p, d).has_value());
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].message == "dependency cycle: a -> a"s);
    CHECK(d.items()[0].loc.line == 4);
  }

  TEST_CASE("distinct cycles are each reported once; parallel edges do not repeat one") {
    Plan p;
    auto& a = add(p, "a");
    a.requires_ = {sref("b", 1)};
    a.after = {sref("b", 2)};  // a second edge b -> a of another kind: same cycle
    add(p, "b").requires_ = {sref("a", 3)};
    add(p, "c").requires_ = {sref("d", 4)};
    add(p, "d").on_failure = {sref("c", 5)};
    Diagnostics d;
    CHECK_FALSE(Graph::build(p, d).has_value());
    std::vector<std::string> msgs;
    for (const auto& item : d.items()) msgs.push_back(item.message);
    CHECK(msgs == std::vector<std::string>{"dependency cycle: a -> b -> a",
                                           "dependency cycle: c -> d -> c"});
  }

  TEST_CASE("a cycle through a watcher and its triggered step is found") {
    Plan p;
    add(p, "a").requires_ = {sref("t", 1)};
    add(p, "w").watches = {sref("a", 2)};
    add(p, "t").triggered_by = {sref("w", 3)};
    Diagnostics d;
    CHECK_FALSE(Graph::build(p, d).has_value());
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].message == "dependency cycle: a -> w -> t -> a"s);
    CHECK(d.items()[0].loc.line == 1);
  }

  TEST_CASE("a chain of 100k steps builds without deep recursion") {
    const int n = 100000;
    Plan p;
    p.steps.reserve(n);
    for (int i = 0; i < n; ++i) {
      StepDecl s;
      s.id = "s" + std::to_string(i);
      if (i > 0) s.requires_ = {StepRef{"s" + std::to_string(i - 1), {}}};
      p.steps.push_back(std::move(s));
    }
    Graph g = build_ok(p);
    CHECK(g.topo_order().size() == static_cast<size_t>(n));
    CHECK(g.topo_order().back() == n - 1);
    CHECK(g.waves().size() == static_cast<size_t>(n));
    CHECK(g.rank(0) == n);
    CHECK(g.critical_path().size() == static_cast<size_t>(n));
    CHECK(g.index("s99999") == n - 1);

    // Closing the chain into a ring: one cycle of 100k steps, reconstructed iteratively.
    p.steps[0].requires_ = {StepRef{"s" + std::to_string(n - 1), {"t.toml", 7, 1}}};
    Diagnostics d;
    CHECK_FALSE(Graph::build(p, d).has_value());
    REQUIRE(d.items().size() == 1);
    const std::string& m = d.items()[0].message;
    CHECK(m.rfind("dependency cycle: s0 -> s1 -> ", 0) == 0);
    CHECK(m.size() > std::string(" -> s99999 -> s0").size());
    CHECK(m.substr(m.size() - 16) == " -> s99999 -> s0"s);
    CHECK(d.items()[0].loc.line == 7);
  }

  TEST_CASE("StepIndex finds every id, the first of duplicates, and -1 for unknown ids") {
    Plan p;
    for (int i = 0; i < 1000; ++i) add(p, "step-" + std::to_string(i));
    add(p, "step-7");  // a duplicate: index 1000
    StepIndex index(p);
    for (int i = 0; i < 1000; ++i) CHECK(index.find("step-" + std::to_string(i)) == i);
    CHECK(index.find("step-7") == 7);
    CHECK(index.find("step-1000") == -1);
    CHECK(index.find("") == -1);
    Plan empty;
    CHECK(StepIndex(empty).find("a") == -1);
  }
}
