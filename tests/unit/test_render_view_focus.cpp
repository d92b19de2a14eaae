// Unit tests: the full graph view and `ordo graph --focus STEP --depth N` (engine/render/view.h):
// which steps a focus keeps, the stubs for what it cuts off, and unknown steps or tags.
#include <doctest/doctest.h>

#include "graph.h"
#include "render/render.h"
#include "render_view_test_util.h"

using namespace ordo;
using namespace render_view_test;
using namespace std::string_literals;

TEST_SUITE("render_view") {
  TEST_CASE("the full view is the plan graph") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView v = view(p, g, ViewSpec{});
    REQUIRE(v.nodes.size() == g.size());
    CHECK(v.edges.size() == g.edges().size());
    CHECK(v.waves == g.waves());
    CHECK(v.critical_path == g.critical_path());
    CHECK(v.scope.empty());
    // Drawing the full view and drawing (plan, graph) are the same bytes.
    CHECK(render_dot(v) == render_dot(p, g));
    CHECK(render_text(v) == render_text(p, g));
    CHECK(render_mermaid(v) == render_mermaid(p, g));
  }

  TEST_CASE("focus keeps the neighbourhood within depth and stubs what it cuts off") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView v = view(p, g, focus("db-upgrade", 1));
    // Depth 1: the direct neighbours by every edge kind, up and down.
    for (const char* id :
         {"db-upgrade", "stop-services", "db-upgrade-plugins", "lock-wait-watchdog", "restore-db"})
      CHECK_MESSAGE(has(v, id), id);
    for (const char* id : {"preflight", "backup-db", "restart-uwsgi", "start-services", "cleanup"})
      CHECK_MESSAGE(!has(v, id), id);
    CHECK(v.shown_steps == 5);
    CHECK(v.plan_steps == 10);
    CHECK(node(v, "db-upgrade").focus);
    CHECK_FALSE(node(v, "stop-services").focus);
    CHECK(v.critical_path.empty());
    CHECK(v.scope == "focus on db-upgrade, depth 1: 5 of 10 steps");

    // Upstream of stop-services: backup-db and preflight, both hidden.
    CHECK(node(v, "more-up:stop-services").kind == ViewNodeKind::Stub);
    CHECK(node(v, "more-up:stop-services").hidden == 2);
    CHECK(node(v, "more-up:stop-services").label == "… 2 more upstream");
    // Downstream: db-upgrade-plugins reaches start-services and cleanup; the watcher reaches
    // restart-uwsgi (fires), start-services is not past it... restart-uwsgi only.
    CHECK(node(v, "more-down:db-upgrade-plugins").hidden == 2);
    CHECK(node(v, "more-down:lock-wait-watchdog").hidden == 1);
    CHECK(node(v, "more-down:restore-db").hidden == 2);  // start-services (after), cleanup
    CHECK_FALSE(has(v, "more-up:db-upgrade"));           // all its predecessors are shown
    CHECK_FALSE(has(v, "more-down:db-upgrade"));

    auto edges = edge_set(v);
    CHECK(edges.count("stop-services -requires-> db-upgrade") == 1);
    CHECK(edges.count("db-upgrade -watches-> lock-wait-watchdog") == 1);
    CHECK(edges.count("db-upgrade-plugins -watches-> lock-wait-watchdog") == 1);
    CHECK(edges.count("db-upgrade -on_failure-> restore-db") == 1);
    CHECK(edges.count("more-up:stop-services -stub-> stop-services") == 1);
    CHECK(edges.count("lock-wait-watchdog -stub-> more-down:lock-wait-watchdog") == 1);
    // Every shown step is in exactly one wave; stubs are in none.
    size_t in_waves = 0;
    for (const auto& w : v.waves)
      for (int i : w) {
        CHECK(v.nodes[i].kind != ViewNodeKind::Stub);
        ++in_waves;
      }
    CHECK(in_waves == 5);
  }

  TEST_CASE("focus depth 0 is the step alone with its stubs; a big depth is everything related") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView alone = view(p, g, focus("db-upgrade", 0));
    CHECK(alone.shown_steps == 1);
    CHECK(node(alone, "more-up:db-upgrade").hidden == 3);    // stop-services, backup-db, preflight
    CHECK(node(alone, "more-down:db-upgrade").hidden == 6);  // all the rest
    CHECK(alone.edges.size() == 2);

    GraphView all = view(p, g, focus("db-upgrade", 50));
    CHECK(all.shown_steps == 10);
    for (const ViewNode& n : all.nodes) CHECK(n.kind == ViewNodeKind::Step);

    // From the top, preflight has no upstream at all: no upstream stub.
    GraphView top = view(p, g, focus("preflight", 1));
    CHECK_FALSE(has(top, "more-up:preflight"));
    CHECK(node(top, "more-down:backup-db").hidden == 8);
  }

  TEST_CASE("focus on a watcher follows watches and triggered_by edges") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView v = view(p, g, focus("lock-wait-watchdog", 1));
    CHECK(has(v, "db-upgrade"));
    CHECK(has(v, "db-upgrade-plugins"));
    CHECK(has(v, "restart-uwsgi"));
    CHECK(v.shown_steps == 4);
    auto edges = edge_set(v);
    CHECK(edges.count("lock-wait-watchdog -triggered_by-> restart-uwsgi") == 1);
    CHECK(edges.count("db-upgrade -requires-> db-upgrade-plugins") == 1);
  }

  TEST_CASE("an unknown focus step or tag is an error that suggests the right one") {
    Plan p = tagged_plan();
    Graph g = build(p);
    auto bad = make_view(p, g, focus("db-upgarde", 2));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().str() ==
          "--focus: no step 'db-upgarde' in plan tagged (did you mean "
          "'db-upgrade'?)");
    auto tag = make_view(p, g, collapse({"servcies"}));
    REQUIRE_FALSE(tag.ok());
    CHECK(tag.error().str() ==
          "--collapse: no step has tag 'servcies' (did you mean "
          "'services'?); known tags: backup, checks, db, services, watch");
    Plan bare;
    bare.name = "bare";
    add(bare, "only", {});
    auto none = make_view(bare, build(bare), collapse({"db"}));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().str() == "--collapse: no step has tag 'db'; the plan's steps have no tags");
  }
}
