// Unit tests: the graph views of `ordo graph --focus STEP --depth N` and `--collapse TAG`
// (engine/render/view.h) and how the renderers draw them. DOT and text of a focus and a collapse
// of a small tagged plan are compared with files in tests/golden/graph/ (UPDATE_GOLDEN=1
// rewrites them).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "graph.h"
#include "render/render.h"

using namespace ordo;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

StepRef sref(const std::string& id) {
  return StepRef{id, SourceLoc{"tagged.toml", 1, 1}};
}

StepDecl& add(Plan& p, const std::string& id, std::vector<std::string> tags) {
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
Plan tagged_plan() {
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

RenderOptions run_states() {
  RenderOptions o;
  o.state = {{"preflight", "succeeded"},        {"backup-db", "succeeded"},
             {"stop-services", "succeeded"},    {"db-upgrade", "failed"},
             {"db-upgrade-plugins", "skipped"}, {"lock-wait-watchdog", "cancelled"},
             {"restart-uwsgi", "succeeded"},    {"restore-db", "timed_out"},
             {"start-services", "not_reached"}, {"cleanup", "succeeded"}};
  o.fired = {{"lock-wait-watchdog", 2}};
  return o;
}

Graph build(const Plan& p) {
  Diagnostics d;
  auto g = Graph::build(p, d);
  REQUIRE(g.has_value());
  return std::move(*g);
}

GraphView view(const Plan& p, const Graph& g, ViewSpec spec) {
  Result<GraphView> v = make_view(p, g, spec);
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? ""s : v.error().str()));
  return std::move(v).value();
}

ViewSpec focus(const std::string& step, int depth) {
  ViewSpec s;
  s.focus = step;
  s.depth = depth;
  return s;
}

ViewSpec collapse(std::vector<std::string> tags) {
  ViewSpec s;
  s.collapse = std::move(tags);
  return s;
}

const ViewNode& node(const GraphView& v, const std::string& id) {
  int i = v.index(id);
  REQUIRE_MESSAGE(i >= 0, "no node " << id);
  return v.nodes[i];
}

bool has(const GraphView& v, const std::string& id) {
  return v.index(id) >= 0;
}

// "from -kind-> to" for every edge, stubs as "from -stub-> to".
std::multiset<std::string> edge_set(const GraphView& v) {
  std::multiset<std::string> out;
  for (const ViewEdge& e : v.edges)
    out.insert(v.nodes[e.from].id + " -" + (e.stub ? "stub" : edge_kind_name(e.kind)) + "-> " +
               v.nodes[e.to].id);
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_golden(const std::string& name, const std::string& actual) {
  const char* root = std::getenv("ORDO_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "ORDO_SOURCE_ROOT is not set (run through meson test)");
  fs::path path = fs::path(root) / "tests/golden/graph" / name;
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    MESSAGE("rewrote " << path.string());
    return;
  }
  REQUIRE_MESSAGE(fs::exists(path), "missing golden file " << path.string());
  INFO("golden file: " << path.string() << "\n--- actual ---\n" << actual);
  CHECK(actual == read_file(path));
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

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

  TEST_CASE("mermaid shows watcher firings with a run, on the trigger or the watch edge") {
    Plan p = tagged_plan();
    Graph g = build(p);
    RenderOptions o = run_states();
    std::string m = render_mermaid(p, g, o);
    CHECK(m.find("n5 ==>|\"⚡ fired 2×\"| n6\n") != std::string::npos);
    CHECK(count(m, "-. watches .->") == 2);  // it triggers something: the count is on that edge

    // A watcher that triggers nothing shows its firings on what it watches.
    Plan lone = tagged_plan();
    lone.steps[6].triggered_by.clear();
    Graph lg = build(lone);
    std::string lm = render_mermaid(lone, lg, o);
    CHECK(count(lm, "-.->|\"watches · ⚡ fired 2×\"|") == 2);
    o.fired.clear();
    CHECK(count(render_mermaid(lone, lg, o), "-.->|\"watches · ⚡ not fired\"|") == 2);
    // Without a run, the plain links.
    CHECK(render_mermaid(lone, lg).find("fired") == std::string::npos);
  }

  TEST_CASE("mermaid draws groups, stubs and the focus") {
    Plan p = tagged_plan();
    Graph g = build(p);
    ViewSpec spec = focus("db-upgrade", 1);
    spec.collapse = {"services"};
    GraphView v = view(p, g, spec);
    std::string m = render_mermaid(v);
    CHECK(m.find("%% tagged — A tagged upgrade — focus on db-upgrade") != std::string::npos);
    CHECK(m.find("([\"services (1 of 3 steps)\"])") != std::string::npos);
    CHECK(m.find("[\"… 2 more upstream\"]") != std::string::npos);
    CHECK(m.find(" -.- ") != std::string::npos);
    CHECK(m.find("classDef stub") != std::string::npos);
    CHECK(m.find("stroke-width:3px") != std::string::npos);
  }

  TEST_CASE("focus and collapse match the golden files (dot and text)") {
    Plan p = tagged_plan();
    Graph g = build(p);
    check_golden("tagged-focus.dot", render_dot(view(p, g, focus("db-upgrade", 1))));
    check_golden("tagged-focus.txt", render_text(view(p, g, focus("db-upgrade", 1))));
    GraphView c = view(p, g, collapse({"db", "services"}));
    check_golden("tagged-collapse.dot", render_dot(c));
    check_golden("tagged-collapse.txt", render_text(c));
    check_golden("tagged-collapse-state.dot", render_dot(c, view_options(c, run_states())));
    ViewSpec both = focus("restore-db", 1);
    both.collapse = {"services"};
    check_golden("tagged-focus-collapse.dot", render_dot(view(p, g, both)));
  }

  TEST_CASE("a large view gets Graphviz's fast layout settings, a small one does not") {
    Plan big;
    big.name = "big";
    for (int i = 0; i <= static_cast<int>(kLargeGraphNodes); ++i) {
      auto& s = add(big, "s" + std::to_string(i), {});
      if (i > 0) s.requires_ = {sref("s" + std::to_string(i - 1))};
      if (i == 12) s.after = {sref("s9")};
    }
    Graph g = build(big);
    GraphView v = full_view(big, g);
    CHECK(large_graph(v));
    std::string dot = render_dot(v);
    CHECK(dot.find("  nslimit=0.2;\n") != std::string::npos);
    CHECK(dot.find("  mclimit=0.2;\n") != std::string::npos);
    // Edge labels become xlabels (no label= on any edge line).
    CHECK(dot.find(R"("s9" -> "s12" [style=dashed, xlabel="after"];)") != std::string::npos);
    CHECK(dot.find(" label=\"after\"") == std::string::npos);
    GraphView small = view(big, g, focus("s10", 3));
    CHECK_FALSE(large_graph(small));
    CHECK(render_dot(small).find("nslimit") == std::string::npos);
    CHECK(render_dot(small).find(R"("s9" -> "s12" [style=dashed, label="after"];)") !=
          std::string::npos);
    CHECK(node(small, "more-up:s7").hidden == 7);
    CHECK(node(small, "more-down:s13").hidden == static_cast<int>(kLargeGraphNodes) - 13);
  }
}
