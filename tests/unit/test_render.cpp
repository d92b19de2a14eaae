// Unit tests: the graph renderers. DOT, Mermaid and text of a small hand-built plan are compared
// with files in tests/golden/graph/ (UPDATE_GOLDEN=1 rewrites them); SVG goes through the real
// Graphviz `dot` when it is installed, and through fake `dot` programs for the error paths.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graph.h"
#include "render/render.h"

using namespace ordo;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

StepRef sref(const std::string& id) {
  return StepRef{id, SourceLoc{"demo.toml", 1, 1}};
}

StepDecl& add(Plan& p, const std::string& id, const std::string& description) {
  StepDecl s;
  s.id = id;
  s.kind = "noop";
  s.description = description;
  p.steps.push_back(std::move(s));
  return p.steps.back();
}

// A small upgrade plan with every edge kind, a watcher, an `always` step, and descriptions
// that need escaping.
Plan demo_plan() {
  Plan p;
  p.name = "demo-upgrade";
  p.description = "Upgrade a demo app";
  add(p, "preflight", "Read-only checks before touching anything");
  add(p, "backup-db", "Back up the database (pg_dump -Fc)").requires_ = {sref("preflight")};
  add(p, "stop-services", "Stop uWSGI and Celery").requires_ = {sref("backup-db")};
  add(p, "db-upgrade", "Run \"indico db upgrade\"").requires_ = {sref("stop-services")};
  add(p, "db-upgrade-plugins", "Upgrade the plugins' tables").requires_ = {sref("db-upgrade")};
  add(p, "lock-wait-watchdog", "Fire when the upgrade waits on a lock").watches = {
      sref("db-upgrade"), sref("db-upgrade-plugins")};
  add(p, "restart-uwsgi", "Restart uWSGI to release its locks").triggered_by = {
      sref("lock-wait-watchdog")};
  add(p, "restore-db", "Restore the backup").on_failure = {sref("db-upgrade"),
                                                           sref("db-upgrade-plugins")};
  auto& start = add(p, "start-services", "Start uWSGI and Celery");
  start.requires_ = {sref("db-upgrade-plugins")};
  start.after = {sref("restore-db")};
  auto& cleanup = add(p, "cleanup", "Remove C:\\temp \"scratch\" files");
  cleanup.after = {sref("start-services")};
  cleanup.always = true;
  return p;
}

RenderOptions demo_states() {
  RenderOptions o;
  o.state = {{"preflight", "succeeded"},        {"backup-db", "succeeded"},
             {"stop-services", "succeeded"},    {"db-upgrade", "failed"},
             {"db-upgrade-plugins", "skipped"}, {"lock-wait-watchdog", "cancelled"},
             {"restart-uwsgi", "skipped"},      {"restore-db", "timed_out"},
             {"start-services", "not_reached"}, {"cleanup", "running"}};
  o.note = {{"db-upgrade", "exit status 1"},
            {"db-upgrade-plugins", "requires db-upgrade, which failed"},
            {"restart-uwsgi", "not triggered"}};
  return o;
}

Graph build(const Plan& p) {
  Diagnostics d;
  auto g = Graph::build(p, d);
  REQUIRE(g.has_value());
  return std::move(*g);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares `actual` with tests/golden/graph/NAME, or rewrites the file when UPDATE_GOLDEN=1.
void check_golden(const std::string& name, const std::string& actual) {
  const char* root = std::getenv("ORDO_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "ORDO_SOURCE_ROOT is not set (run through meson test)");
  fs::path path = fs::path(root) / "tests/golden/graph" / name;
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    MESSAGE("rewrote " << path.string());
    return;
  }
  REQUIRE_MESSAGE(fs::exists(path), "missing golden file " << path.string());
  std::string expected = read_file(path);
  INFO("golden file: " << path.string() << "\n--- actual ---\n" << actual);
  CHECK(actual == expected);
}

size_t columns(const std::string& line) {
  size_t w = 0;
  for (char c : line)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
  return w;
}

bool dot_installed() {
  return std::system("command -v dot >/dev/null 2>&1") == 0;
}

// Sets PATH for the scope of the object, restoring the previous value afterwards.
class PathOverride {
 public:
  explicit PathOverride(const std::string& path) {
    const char* old = std::getenv("PATH");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("PATH", path.c_str(), 1);
  }
  ~PathOverride() {
    if (had_)
      ::setenv("PATH", old_.c_str(), 1);
    else
      ::unsetenv("PATH");
  }
  PathOverride(const PathOverride&) = delete;
  PathOverride& operator=(const PathOverride&) = delete;

 private:
  bool had_ = false;
  std::string old_;
};

// A scratch directory removed at the end of the scope.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "ordo-render-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_script(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_all);
}

}  // namespace

TEST_SUITE("render") {
  TEST_CASE("dot matches the golden file") {
    Plan p = demo_plan();
    check_golden("demo.dot", render_dot(p, build(p)));
  }

  TEST_CASE("dot with run states matches the golden file") {
    Plan p = demo_plan();
    check_golden("demo-state.dot", render_dot(p, build(p), demo_states()));
  }

  TEST_CASE("mermaid matches the golden file") {
    Plan p = demo_plan();
    check_golden("demo.mmd", render_mermaid(p, build(p)));
  }

  TEST_CASE("text matches the golden file") {
    Plan p = demo_plan();
    check_golden("demo.txt", render_text(p, build(p)));
  }

  TEST_CASE("text with run states matches the golden file") {
    Plan p = demo_plan();
    check_golden("demo-state.txt", render_text(p, build(p), demo_states()));
  }

  TEST_CASE("dot escapes quotes and backslashes and styles each edge kind") {
    Plan p = demo_plan();
    std::string dot = render_dot(p, build(p));
    CHECK(dot.rfind("digraph \"demo-upgrade\" {\n  rankdir=LR;\n", 0) == 0);
    CHECK(dot.find(R"(tooltip="Remove C:\\temp \"scratch\" files")") != std::string::npos);
    CHECK(dot.find(R"("cleanup" [peripheries=2)") != std::string::npos);
    CHECK(dot.find(R"("lock-wait-watchdog" [shape=hexagon)") != std::string::npos);
    CHECK(dot.find(R"("preflight" -> "backup-db";)") != std::string::npos);
    CHECK(dot.find(R"("restore-db" -> "start-services" [style=dashed, label="after"])") !=
          std::string::npos);
    CHECK(dot.find(R"("db-upgrade" -> "restore-db" [color="#d32f2f")") != std::string::npos);
    CHECK(dot.find(R"("db-upgrade" -> "lock-wait-watchdog" [style=dotted)") != std::string::npos);
    CHECK(dot.find(R"("lock-wait-watchdog" -> "restart-uwsgi" [style=bold, color="#ef6c00")") !=
          std::string::npos);
    CHECK(dot.find(R"({ rank=same; "db-upgrade"; "lock-wait-watchdog"; })") != std::string::npos);

    RenderOptions bare;
    bare.with_descriptions = false;
    CHECK(render_dot(p, build(p), bare).find("tooltip") == std::string::npos);
  }

  TEST_CASE("dot colours steps by state and puts the note in the tooltip") {
    Plan p = demo_plan();
    std::string dot = render_dot(p, build(p), demo_states());
    CHECK(dot.find(R"("preflight" [style="rounded,filled", fillcolor="#c8e6c9")") !=
          std::string::npos);
    CHECK(dot.find(R"(fillcolor="#ffcdd2", color="#c62828", penwidth=2, )"
                   R"(label=<db-upgrade<BR/><FONT POINT-SIZE="9">failed</FONT>>, )"
                   R"(tooltip="Run \"indico db upgrade\"\nfailed: exit status 1")") !=
          std::string::npos);
    CHECK(dot.find(R"("restart-uwsgi" [style="rounded,filled,dashed", fillcolor="#eeeeee")") !=
          std::string::npos);
    CHECK(dot.find(R"(fillcolor="#ffe0b2")") != std::string::npos);
    CHECK(dot.find(R"(fillcolor="#d7ccc8")") != std::string::npos);
    CHECK(dot.find(R"(fillcolor="#bbdefb")") != std::string::npos);
  }

  TEST_CASE("mermaid uses safe node ids and one link per edge") {
    Plan p = demo_plan();
    Graph g = build(p);
    std::string m = render_mermaid(p, g);
    CHECK(m.rfind("flowchart LR\n", 0) == 0);
    for (size_t v = 0; v < g.size(); ++v)
      CHECK(m.find("  n" + std::to_string(v)) != std::string::npos);
    CHECK(m.find("n3[\"db-upgrade\"]") != std::string::npos);
    CHECK(m.find("n5{{\"lock-wait-watchdog\"}}") != std::string::npos);
    CHECK(m.find("n9[[\"cleanup\"]]") != std::string::npos);
    CHECK(m.find("db-upgrade -->") == std::string::npos);
    size_t links = 0;
    for (const char* arrow :
         {" --> ", " -.->|after| ", " -->|on failure| ", " -. watches .-> ", " ==>|fires| "})
      for (size_t at = m.find(arrow); at != std::string::npos; at = m.find(arrow, at + 1)) ++links;
    CHECK(links == g.edges().size());
    // The on_failure links (edges 7 and 8, counting from 0) are red, the trigger orange.
    CHECK(m.find("linkStyle 7,8 stroke:#d32f2f") != std::string::npos);
    CHECK(m.find("linkStyle 6 stroke:#ef6c00") != std::string::npos);

    RenderOptions o = demo_states();
    std::string coloured = render_mermaid(p, g, o);
    CHECK(coloured.find("classDef succeeded fill:#c8e6c9") != std::string::npos);
    CHECK(coloured.find("class n0,n1,n2 succeeded") != std::string::npos);
  }

  TEST_CASE("text lists waves, watchers and the critical path") {
    Plan p = demo_plan();
    std::string t = render_text(p, build(p));
    CHECK(t.rfind("plan demo-upgrade — Upgrade a demo app (10 steps, ", 0) == 0);
    CHECK(t.find("watchers\n  lock-wait-watchdog watches db-upgrade, db-upgrade-plugins; fires → "
                 "restart-uwsgi\n") != std::string::npos);
    CHECK(t.find("← db-upgrade-plugins, restore-db (after)\n") != std::string::npos);
    CHECK(t.find("← db-upgrade (on failure),") != std::string::npos);
    CHECK(t.find("db-upgrade-plugins (on failure)") != std::string::npos);
    CHECK(t.find("← lock-wait-watchdog (triggered by)") != std::string::npos);
    CHECK(t.find("critical path: preflight → backup-db → stop-services → db-upgrade → ") !=
          std::string::npos);
    CHECK(render_text(p, build(p)) == t);  // deterministic
  }

  TEST_CASE("text with color makes ids bold and colours states, and only that") {
    Plan p = demo_plan();
    Graph g = build(p);
    std::string plain = render_text(p, g, demo_states(), false);
    std::string ansi = render_text(p, g, demo_states(), true);
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(ansi.find("\x1b[1mpreflight\x1b[0m") != std::string::npos);
    CHECK(ansi.find("\x1b[31mfailed\x1b[0m") != std::string::npos);
    CHECK(ansi.find("\x1b[32msucceeded\x1b[0m") != std::string::npos);
    // Stripping the escapes gives the plain rendering back.
    std::string stripped;
    for (size_t i = 0; i < ansi.size(); ++i) {
      if (ansi[i] == '\x1b') {
        i = ansi.find('m', i);
        continue;
      }
      stripped += ansi[i];
    }
    CHECK(stripped == plain);
  }

  TEST_CASE("text fits in 100 columns with long descriptions and many predecessors") {
    Plan p;
    p.name = "wide";
    for (int i = 0; i < 30; ++i) p.description += "word" + std::to_string(i) + " ";
    for (int i = 0; i < 30; ++i) {
      auto& s = add(p, "step-with-a-longish-name-" + std::to_string(i),
                    "A description that goes on and on about what this step does, at length");
      for (int j = 0; j < i; j += 3)
        s.after.push_back(sref("step-with-a-longish-name-" + std::to_string(j)));
    }
    std::string t = render_text(p, build(p));
    std::istringstream in(t);
    size_t lines = 0;
    for (std::string line; std::getline(in, line); ++lines) {
      INFO(line);
      CHECK(columns(line) <= 100);
      CHECK((line.empty() || line.back() != ' '));
    }
    CHECK(lines > 30);
    CHECK(t.find("…") != std::string::npos);
  }

  TEST_CASE("svg through Graphviz contains every step" * doctest::timeout(60) *
            doctest::skip(!dot_installed())) {
    Plan p = demo_plan();
    Graph g = build(p);
    auto svg = render_svg(p, g, demo_states());
    REQUIRE_MESSAGE(svg.ok(), (svg.ok() ? ""s : svg.error().str()));
    const std::string& s = svg.value();
    CHECK(s.rfind("<?xml", 0) == 0);
    CHECK(s.find("<svg") != std::string::npos);
    CHECK(s.find("</svg>") != std::string::npos);
    for (size_t v = 0; v < g.size(); ++v) {
      std::string text;  // Graphviz writes '-' in SVG text as "&#45;"
      for (char c : g.id(static_cast<int>(v))) text += c == '-' ? "&#45;"s : std::string(1, c);
      CHECK(s.find(">" + text + "</text>") != std::string::npos);
    }
  }

  TEST_CASE("svg without dot on PATH says how to get it" * doctest::timeout(30)) {
    ScratchDir empty;
    PathOverride path(empty.path.string());
    Plan p = demo_plan();
    auto svg = render_svg(p, build(p));
    REQUIRE_FALSE(svg.ok());
    CHECK(svg.error().message ==
          "ordo graph --format svg needs Graphviz's `dot` (apt-get install graphviz)"s);
  }

  TEST_CASE("svg reports a failing dot with its stderr, and passes the DOT on" *
            doctest::timeout(30)) {
    ScratchDir dir;
    write_script(dir.path / "dot", "#!/bin/sh\necho \"bad input: $1\" >&2\nexit 3\n");
    {
      PathOverride path(dir.path.string() + ":/usr/bin:/bin");
      Plan p = demo_plan();
      auto svg = render_svg(p, build(p));
      REQUIRE_FALSE(svg.ok());
      CHECK(svg.error().message.rfind("dot -Tsvg failed (exit status 3): bad input: -Tsvg", 0) ==
            0);
    }
    // A fake dot that echoes its input file proves the DOT text is what dot reads.
    write_script(dir.path / "dot", "#!/bin/sh\ncat \"$2\"\n");
    PathOverride path(dir.path.string() + ":/usr/bin:/bin");
    Plan p = demo_plan();
    Graph g = build(p);
    auto out = render_svg(p, g);
    REQUIRE(out.ok());
    CHECK(out.value() == render_dot(p, g));
  }
}
