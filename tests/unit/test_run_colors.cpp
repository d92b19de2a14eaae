// Unit tests: the graph colours of a recorded run (run_render_options, run_critical_path):
// each step's state, note and detail, watcher firings on the right edge, and the DOT, text and
// SVG renderings of the fixture run compared with golden files in tests/golden/run/
// (UPDATE_GOLDEN=1 rewrites them); the SVG is also checked to be well-formed XML.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "graph.h"
#include "render/render.h"
#include "render/report.h"
#include "run_record.h"
#include "run_record_test_util.h"

using namespace ordo;
using namespace run_record_test;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// Compares with tests/golden/run/NAME, or rewrites it when UPDATE_GOLDEN=1.
void check_golden(const std::string& name, const std::string& actual) {
  fs::path path = fs::path(source_root()) / "tests/golden/run" / name;
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    MESSAGE("rewrote " << path.string());
    return;
  }
  REQUIRE_MESSAGE(fs::exists(path), "missing golden file " << path.string());
  INFO("golden file: " << path.string() << "\n--- actual ---\n" << actual);
  CHECK(actual == slurp(path));
}

// A tiny XML well-formedness check: tags nest and close, attributes are quoted, entities are
// known or numeric. Returns "" or what is wrong.
std::string xml_problem(const std::string& x) {
  std::vector<std::string> open;
  auto entity_ok = [&](size_t at) {  // x[at] == '&'
    size_t semi = x.find(';', at);
    if (semi == std::string::npos || semi - at > 10) return false;
    std::string e = x.substr(at + 1, semi - at - 1);
    if (e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos") return true;
    if (e.size() > 1 && e[0] == '#')
      return e.find_first_not_of(e[1] == 'x' ? "0123456789abcdefABCDEF" : "0123456789",
                                 e[1] == 'x' ? 2 : 1) == std::string::npos;
    return false;
  };
  for (size_t i = 0; i < x.size();) {
    if (x[i] == '&') {
      if (!entity_ok(i)) return "bad entity at " + std::to_string(i);
      ++i;
      continue;
    }
    if (x[i] != '<') {
      ++i;
      continue;
    }
    if (x.compare(i, 4, "<!--") == 0) {
      size_t end = x.find("-->", i);
      if (end == std::string::npos) return "unclosed comment";
      i = end + 3;
      continue;
    }
    if (x.compare(i, 2, "<?") == 0 || x.compare(i, 2, "<!") == 0) {
      i = x.find('>', i);
      if (i == std::string::npos) return "unclosed declaration";
      ++i;
      continue;
    }
    bool closing = x[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    size_t name_end = x.find_first_of(" \t\n/>", j);
    if (name_end == std::string::npos) return "unclosed tag";
    std::string name = x.substr(j, name_end - j);
    if (name.empty()) return "empty tag name at " + std::to_string(i);
    // Attributes: name="value" or name='value'.
    size_t k = name_end;
    bool self_closing = false;
    for (;;) {
      while (k < x.size() && std::isspace(static_cast<unsigned char>(x[k]))) ++k;
      if (k >= x.size()) return "unclosed tag " + name;
      if (x[k] == '>') break;
      if (x.compare(k, 2, "/>") == 0) {
        self_closing = true;
        ++k;
        break;
      }
      if (closing) return "attributes in a closing tag " + name;
      size_t eq = x.find('=', k);
      if (eq == std::string::npos) return "attribute without value in " + name;
      char q = x[eq + 1];
      if (q != '"' && q != '\'') return "unquoted attribute in " + name;
      size_t end = x.find(q, eq + 2);
      if (end == std::string::npos) return "unclosed attribute in " + name;
      for (size_t a = eq + 2; a < end; ++a) {
        if (x[a] == '<') return "'<' in an attribute of " + name;
        if (x[a] == '&' && !entity_ok(a)) return "bad entity in an attribute of " + name;
      }
      k = end + 1;
    }
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    i = k + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return "";
}

bool dot_installed() {
  return std::system("command -v dot >/dev/null 2>&1") == 0;
}

// What of an SVG drawing the run decides, without coordinates (which depend on the Graphviz
// version): per node its title, fill and border colour and texts; per edge its title, colour
// and label.
std::string svg_summary(const std::string& svg) {
  std::string out;
  auto attr = [](const std::string& s, const std::string& name) {
    size_t at = s.find(" " + name + "=\"");
    if (at == std::string::npos) return std::string();
    at += name.size() + 3;
    return s.substr(at, s.find('"', at) - at);
  };
  auto texts = [](const std::string& s) {
    std::string t;
    for (size_t at = s.find("<text"); at != std::string::npos; at = s.find("<text", at + 1)) {
      size_t b = s.find('>', at) + 1;
      t += " [" + s.substr(b, s.find("</text>", b) - b) + "]";
    }
    return t;
  };
  for (size_t at = svg.find("<g id=\""); at != std::string::npos;
       at = svg.find("<g id=\"", at + 1)) {
    size_t end = svg.find("</g>", at);
    std::string g = svg.substr(at, end - at);
    std::string cls = attr(g, "class");
    if (cls != "node" && cls != "edge") continue;
    size_t tb = g.find("<title>") + 7;
    std::string title = g.substr(tb, g.find("</title>") - tb);
    size_t shape = std::min(g.find("<path"), g.find("<polygon"));
    std::string first =
        shape == std::string::npos ? "" : g.substr(shape, g.find('>', shape) - shape);
    std::string dash = attr(first, "stroke-dasharray");
    out += cls + " " + title + ": fill=" + attr(first, "fill") +
           " stroke=" + attr(first, "stroke") + (dash.empty() ? "" : " dash=" + dash) + texts(g) +
           "\n";
  }
  return out;
}

}  // namespace

TEST_SUITE("run_colors") {
  TEST_CASE("each step gets its state, a note and a detail; watchers their firings") {
    LoadedFixture f = fixture_plan();
    RenderOptions o = run_render_options(f.plan, fixture());
    CHECK(o.state["preflight"] == "succeeded"s);
    CHECK(o.state["upgrade"] == "failed"s);
    CHECK(o.note["upgrade"] == "exit code 3"s);
    CHECK(o.detail["upgrade"] == "exit 3 · 10ms"s);
    CHECK(o.detail["flaky"] == "932ms · 3 attempts"s);
    CHECK(o.state["slow"] == "timed_out"s);
    CHECK(o.state["reload"] == "skipped"s);
    CHECK(o.note["reload"] == "condition false (steps.lock-watch.fired == 0)"s);
    CHECK(o.detail["reload"] == "condition false"s);
    CHECK(o.state["verify"] == "skipped"s);
    CHECK(o.detail["verify"] == "blocked by upgrade"s);
    CHECK(o.state["cleanup-cache"] == "not_reached"s);
    CHECK(o.fired["lock-watch"] == 1);
    CHECK(o.state.size() == 12);
  }

  TEST_CASE("the critical path follows what released each step last") {
    LoadedFixture f = fixture_plan();
    CHECK(run_critical_path(f.graph, fixture()) ==
          std::vector<std::string>{"preflight", "flaky", "migrate", "slow"});
  }

  TEST_CASE("DOT and text of the recorded run match the golden files") {
    LoadedFixture f = fixture_plan();
    RenderOptions o = run_render_options(f.plan, fixture());
    std::string dot = render_dot(f.plan, f.graph, o);
    check_golden("rescue-run.dot", dot);
    check_golden("rescue-run.txt", render_text(f.plan, f.graph, o));
    // The firing is on the fires edge, and the watched edge keeps its eye.
    CHECK(dot.find(R"("lock-watch" -> "end-blockers" [style=bold, color="#ef6c00", )"
                   R"(fontcolor="#ef6c00", label="⚡ fired 1×"])") != std::string::npos);
    CHECK(dot.find(R"("migrate" -> "lock-watch" [style=dotted, arrowhead=odot, )"
                   R"(label="👁 watches", constraint=false])") != std::string::npos);
    CHECK(dot.find(R"("upgrade" [style="rounded,filled", fillcolor="#ffcdd2", color="#c62828")") !=
          std::string::npos);
  }

  TEST_CASE("a watcher that triggers nothing shows its firings on the watches edge") {
    LoadedFixture f = fixture_plan();
    RenderOptions o = run_render_options(f.plan, fixture());
    // Drop end-blockers (the only triggered step) from a copy of the plan.
    Plan p = f.plan;
    p.steps.erase(p.steps.begin() + p.step_index("end-blockers"));
    for (StepDecl& s : p.steps)
      std::erase_if(s.after.mut(), [](const StepRef& r) { return r.id == "end-blockers"; });
    Diagnostics d;
    auto g = Graph::build(p, d);
    REQUIRE(g.has_value());
    std::string dot = render_dot(p, *g, o);
    CHECK(dot.find(R"(label="👁 watches · ⚡ fired 1×")") != std::string::npos);
    o.href_prefix = "#step-";
    CHECK(render_dot(p, *g, o).find(R"(URL="#step-upgrade")") != std::string::npos);
  }

  TEST_CASE("SVG of the recorded run is well-formed, has every step and the golden colours" *
            doctest::timeout(60) * doctest::skip(!dot_installed())) {
    LoadedFixture f = fixture_plan();
    RenderOptions o = run_render_options(f.plan, fixture());
    o.href_prefix = "#step-";
    auto svg = render_svg(f.plan, f.graph, o);
    REQUIRE_MESSAGE(svg.ok(), (svg.ok() ? ""s : svg.error().str()));
    CHECK(xml_problem(*svg) == ""s);
    for (const StepDecl& s : f.plan.steps) {
      std::string text;  // Graphviz writes '-' in SVG text as "&#45;"
      for (char c : s.id) text += c == '-' ? "&#45;"s : std::string(1, c);
      CHECK(svg->find(">" + text + "</text>") != std::string::npos);
      CHECK(svg->find("xlink:href=\"#step-" + s.id + "\"") != std::string::npos);
    }
    check_golden("rescue-run.svg.txt", svg_summary(*svg));
  }

  TEST_CASE("the well-formedness check catches what it should") {
    CHECK(xml_problem("<?xml version=\"1.0\"?><a x=\"1\"><b/>t &amp; &#45;</a>") == ""s);
    CHECK(xml_problem("<a><b></a>") != ""s);
    CHECK(xml_problem("<a x=1></a>") != ""s);
    CHECK(xml_problem("<a>&nbsp;</a>") != ""s);
    CHECK(xml_problem("<a>") != ""s);
  }
}
