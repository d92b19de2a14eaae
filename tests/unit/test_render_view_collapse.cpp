// Unit tests: `ordo graph --collapse TAG` (engine/render/view.h): a tag drawn as one node, its
// merged edges, steps with two tags, watcher groups, collapse with focus, and a group's run
// state.
#include <doctest/doctest.h>

#include <set>

#include "graph.h"
#include "render/render.h"
#include "render_view_test_util.h"

using namespace ordo;
using namespace render_view_test;
using namespace std::string_literals;

TEST_SUITE("render_view") {
  TEST_CASE("collapse draws a tag as one node and merges its edges, kinds kept") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView v = view(p, g, collapse({"services"}));
    CHECK(v.nodes.size() == 8);  // 10 steps, 3 of them in one group
    const ViewNode& grp = node(v, "tag:services");
    CHECK(grp.kind == ViewNodeKind::Group);
    CHECK(grp.label == "services (3 steps)");
    CHECK(grp.members ==
          std::vector<std::string>{"stop-services", "restart-uwsgi", "start-services"});
    CHECK_FALSE(grp.watcher);
    CHECK(v.scope == "collapsed tag services (3 steps)");
    for (const char* id : {"stop-services", "restart-uwsgi", "start-services"}) CHECK(!has(v, id));

    auto edges = edge_set(v);
    CHECK(edges == std::multiset<std::string>{
                       "preflight -requires-> backup-db",
                       "backup-db -requires-> tag:services",
                       "tag:services -requires-> db-upgrade",
                       "db-upgrade -requires-> db-upgrade-plugins",
                       "db-upgrade -watches-> lock-wait-watchdog",
                       "db-upgrade-plugins -watches-> lock-wait-watchdog",
                       "lock-wait-watchdog -triggered_by-> tag:services",
                       "db-upgrade -on_failure-> restore-db",
                       "db-upgrade-plugins -on_failure-> restore-db",
                       "db-upgrade-plugins -requires-> tag:services",
                       "restore-db -after-> tag:services",
                       "tag:services -after-> cleanup",
                   });
    // The merge made a cycle (services -> db-upgrade -> db-upgrade-plugins -> services): the
    // renderers draw it anyway, every node once, and the text lists every node in a wave.
    std::string dot = render_dot(v);
    CHECK(count(dot, "\n  \"tag:services\" [") == 1);
    CHECK(dot.find("label=\"services (3 steps)\"") != std::string::npos);
    CHECK(dot.find("shape=box3d") != std::string::npos);
    CHECK(dot.find("\"tag:services\" -> \"db-upgrade\";") != std::string::npos);
    CHECK(dot.find("\"db-upgrade-plugins\" -> \"tag:services\";") != std::string::npos);
    std::string text = render_text(v);
    INFO(text);
    CHECK(text.find("\n  services (3 steps) ") != std::string::npos);
    CHECK(text.find("restore-db (after)") != std::string::npos);
    CHECK(text.find("lock-wait-watchdog (triggered by)") != std::string::npos);
    size_t in_waves = 0;
    for (const auto& w : v.waves) in_waves += w.size();
    CHECK(in_waves == v.nodes.size());
  }

  TEST_CASE("collapse deduplicates merged edges of the same kind") {
    Plan p = tagged_plan();
    Graph g = build(p);
    // db: backup-db, db-upgrade, db-upgrade-plugins, lock-wait-watchdog, restore-db. The two
    // requires edges into start-services (from db-upgrade-plugins) and the after edge (from
    // restore-db) stay two edges of two kinds; the watcher's edges are all inside the group.
    GraphView v = view(p, g, collapse({"db"}));
    auto edges = edge_set(v);
    CHECK(edges.count("tag:db -requires-> stop-services") == 1);
    CHECK(edges.count("stop-services -requires-> tag:db") == 1);
    CHECK(edges.count("tag:db -requires-> start-services") == 1);
    CHECK(edges.count("tag:db -after-> start-services") == 1);
    CHECK(edges.count("tag:db -triggered_by-> restart-uwsgi") == 1);
    for (const std::string& e : edges) CHECK(e.find("watches") == std::string::npos);
    CHECK(node(v, "tag:db").label == "db (5 steps)");
  }

  TEST_CASE("a step with two collapsed tags goes to the first one given") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView db_first = view(p, g, collapse({"db", "backup"}));
    CHECK(node(db_first, "tag:db").members.size() == 5);
    CHECK_FALSE(has(db_first, "tag:backup"));  // both its steps went to db
    CHECK(db_first.scope == "collapsed tag db (5 steps), backup (none shown)");

    GraphView backup_first = view(p, g, collapse({"backup", "db"}));
    CHECK(node(backup_first, "tag:backup").members ==
          std::vector<std::string>{"backup-db", "restore-db"});
    CHECK(node(backup_first, "tag:db").members ==
          std::vector<std::string>{"db-upgrade", "db-upgrade-plugins", "lock-wait-watchdog"});
    auto edges = edge_set(backup_first);
    CHECK(edges.count("tag:db -on_failure-> tag:backup") == 1);
  }

  TEST_CASE("a group of watchers only is a watcher and keeps its watch edges") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView v = view(p, g, collapse({"watch"}));
    CHECK(node(v, "tag:watch").watcher);
    auto edges = edge_set(v);
    CHECK(edges.count("db-upgrade -watches-> tag:watch") == 1);
    CHECK(edges.count("tag:watch -triggered_by-> restart-uwsgi") == 1);
    std::string dot = render_dot(v);
    CHECK(dot.find(R"({ rank=same; "db-upgrade"; "tag:watch"; })") != std::string::npos);
  }

  TEST_CASE("a group holding the watcher and a step the watched one requires: no same rank") {
    // Both ways between two nodes on one rank broke Graphviz 2.43's spline routing.
    Plan p;
    p.name = "w";
    add(p, "prep", {"db"});
    add(p, "migrate", {}).requires_ = {sref("prep")};
    add(p, "watchdog", {"db"}).watches = {sref("migrate")};
    Graph g = build(p);
    GraphView v = view(p, g, collapse({"db"}));
    auto edges = edge_set(v);
    CHECK(edges.count("tag:db -requires-> migrate") == 1);
    CHECK(edges.count("migrate -watches-> tag:db") == 1);
    std::string dot = render_dot(v);
    CHECK(dot.find("rank=same") == std::string::npos);
    Result<std::string> svg = render_svg(v);
    REQUIRE_MESSAGE(svg.ok(), (svg.ok() ? std::string() : svg.error().str()));
    CHECK(svg->find("<svg") != std::string::npos);
  }

  TEST_CASE("focus and collapse together: the focus step's group is marked, stubs per group") {
    Plan p = tagged_plan();
    Graph g = build(p);
    ViewSpec spec = focus("db-upgrade", 1);
    spec.collapse = {"db"};
    GraphView v = view(p, g, spec);
    const ViewNode& grp = node(v, "tag:db");
    CHECK(grp.focus);
    // Shown at depth 1 and tagged db: db-upgrade, db-upgrade-plugins, the watcher, restore-db.
    CHECK(grp.label == "db (4 of 5 steps)");
    CHECK(has(v, "stop-services"));
    CHECK(node(v, "more-up:stop-services").hidden == 2);
    // The group's hidden downstream: start-services, cleanup, restart-uwsgi.
    CHECK(node(v, "more-down:tag:db").hidden == 3);
    CHECK(v.scope ==
          "focus on db-upgrade, depth 1: 5 of 10 steps; collapsed tag db (4 of 5 steps)");
  }

  TEST_CASE("a group's run state is the worst of its members', with counts and firings") {
    Plan p = tagged_plan();
    Graph g = build(p);
    GraphView v = view(p, g, collapse({"db", "services"}));
    RenderOptions o = view_options(v, run_states());
    CHECK(o.state["tag:db"] == "failed");
    CHECK(o.detail["tag:db"] == "1 failed · 1 timed out · 1 cancelled · 1 succeeded · 1 skipped");
    CHECK(o.note["tag:db"] ==
          "failed: db-upgrade; timed out: restore-db; cancelled: lock-wait-watchdog; skipped: "
          "db-upgrade-plugins");
    CHECK(o.fired["tag:db"] == 2);
    // One step never reached: the group is not done, and its label says how much was.
    CHECK(o.state["tag:services"] == "not_reached");
    CHECK(o.detail["tag:services"] == "1 not reached · 2 succeeded");
    CHECK(o.state["preflight"] == "succeeded");  // steps keep their own

    RenderOptions none = view_options(v, RenderOptions{});
    CHECK(none.state.empty());

    std::string dot = render_dot(v, o);
    CHECK(dot.find(R"("tag:db" [shape=box3d, style="rounded,filled", fillcolor="#ffcdd2", )"
                   R"(color="#c62828", penwidth=2, label=<db (5 steps)<BR/>)") !=
          std::string::npos);
    CHECK(dot.find(R"(label="⚡ fired 2×")") != std::string::npos);
    std::string text = render_text(v, o);
    CHECK(text.find("db (5 steps)       failed") != std::string::npos);
    // Mermaid: the group's counts in its label, its state's class, not the plain group fill.
    std::string m = render_mermaid(v, o);
    int db = v.index("tag:db");
    CHECK(m.find("  n" + std::to_string(db) + "([\"db (5 steps) · 1 failed · 1 timed out") !=
          std::string::npos);
    CHECK(m.find("classDef failed") != std::string::npos);
    CHECK(m.find("classDef group") == std::string::npos);
    CHECK(render_mermaid(v).find("classDef group fill:#e3f2fd") != std::string::npos);
  }
}
