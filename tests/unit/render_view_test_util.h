// Helpers shared by the tests of graph views (test_render_view_*.cpp): a small tagged plan with
// every edge kind, the run states of a made-up run of it, views built from specs, and lookups
// of a view's nodes and edges. Header-only; for tests only.
#pragma once

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "graph.h"
#include "render/render.h"

namespace render_view_test {

using ordo::Graph;
using ordo::GraphView;
using ordo::Plan;
using ordo::StepDecl;
using ordo::ViewSpec;

inline ordo::StepRef sref(const std::string& id) {
  return ordo::StepRef{id, ordo::SourceLoc{"tagged.toml", 1, 1}};
}

inline StepDecl& add(Plan& p, const std::string& id, std::vector<std::string> tags) {
  StepDecl s;
  s.id = id;
  s.kind = "noop";
  s.description = "Step " + id;
  s.tags = std::move(tags);
  p.steps.push_back(std::move(s));
  return p.steps.back();
}

// The renderers' demo plan with tags: every edge kind, a watcher, an `always` step; backup-db
// and restore-db carry two tags (db and backup); collapsing `services` makes a cycle
// (services -> db-upgrade -> db-upgrade-plugins -> services).
inline Plan tagged_plan() {
  Plan p;
  p.name = "tagged";
  p.description = "A tagged upgrade";
  add(p, "preflight", {"checks"});
  add(p, "backup-db", {"db", "backup"}).requires_ = {sref("preflight")};
  add(p, "stop-services", {"services"}).requires_ = {sref("backup-db")};
  add(p, "db-upgrade", {"db"}).requires_ = {sref("stop-services")};
  add(p, "db-upgrade-plugins", {"db"}).requires_ = {sref("db-upgrade")};
  add(p, "lock-wait-watchdog", {"db", "watch"}).watches = {sref("db-upgrade"),
                                                           sref("db-upgrade-plugins")};
  add(p, "restart-uwsgi", {"services"}).triggered_by = {sref("lock-wait-watchdog")};
  add(p, "restore-db", {"db", "backup"}).on_failure = {sref("db-upgrade"),
                                                       sref("db-upgrade-plugins")};
  auto& start = add(p, "start-services", {"services"});
  start.requires_ = {sref("db-upgrade-plugins")};
  start.after = {sref("restore-db")};
  auto& cleanup = add(p, "cleanup", {});
  cleanup.after = {sref("start-services")};
  cleanup.always = true;
  return p;
}

// Each step of tagged_plan() in a state, and the watcher fired twice.
inline ordo::RenderOptions run_states() {
  ordo::RenderOptions o;
  o.state = {{"preflight", "succeeded"},        {"backup-db", "succeeded"},
             {"stop-services", "succeeded"},    {"db-upgrade", "failed"},
             {"db-upgrade-plugins", "skipped"}, {"lock-wait-watchdog", "cancelled"},
             {"restart-uwsgi", "succeeded"},    {"restore-db", "timed_out"},
             {"start-services", "not_reached"}, {"cleanup", "succeeded"}};
  o.fired = {{"lock-wait-watchdog", 2}};
  return o;
}

inline Graph build(const Plan& p) {
  ordo::Diagnostics d;
  auto g = Graph::build(p, d);
  REQUIRE(g.has_value());
  return std::move(*g);
}

inline GraphView view(const Plan& p, const Graph& g, ViewSpec spec) {
  ordo::Result<GraphView> v = ordo::make_view(p, g, spec);
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? std::string() : v.error().str()));
  return std::move(v).value();
}

inline ViewSpec focus(const std::string& step, int depth) {
  ViewSpec s;
  s.focus = step;
  s.depth = depth;
  return s;
}

inline ViewSpec collapse(std::vector<std::string> tags) {
  ViewSpec s;
  s.collapse = std::move(tags);
  return s;
}

inline const ordo::ViewNode& node(const GraphView& v, const std::string& id) {
  int i = v.index(id);
  REQUIRE_MESSAGE(i >= 0, "no node " << id);
  return v.nodes[i];
}

inline bool has(const GraphView& v, const std::string& id) {
  return v.index(id) >= 0;
}

// "from -kind-> to" for every edge, stubs as "from -stub-> to".
inline std::multiset<std::string> edge_set(const GraphView& v) {
  std::multiset<std::string> out;
  for (const ordo::ViewEdge& e : v.edges)
    out.insert(v.nodes[e.from].id + " -" + (e.stub ? "stub" : ordo::edge_kind_name(e.kind)) +
               "-> " + v.nodes[e.to].id);
  return out;
}

// How often `what` occurs in `s` (overlapping occurrences count).
inline size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace render_view_test
