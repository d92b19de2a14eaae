// Unit tests: how the renderers draw graph views: Mermaid (watcher firings, groups, stubs),
// DOT and text of a focus and a collapse compared with files in tests/golden/graph/
// (UPDATE_GOLDEN=1 rewrites them), and Graphviz's fast layout for large views.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graph.h"
#include "render/render.h"
#include "render_view_test_util.h"

using namespace ordo;
using namespace render_view_test;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

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

}  // namespace

TEST_SUITE("render_view") {
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
