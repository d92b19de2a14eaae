// Unit tests: the HTML run report, rendered from the recorded run tests/golden/run/rescue.jsonl
// (and small streams written here). What a browser makes of it is tested by
// tests/report/test_report.sh with headless Chromium.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "graph.h"
#include "plan_loader.h"
#include "render/report.h"
#include "run_record.h"

using namespace ordo;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

std::string source_root() {
  const char* root = std::getenv("ORDO_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "ORDO_SOURCE_ROOT is not set (run through meson test)");
  return root;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fixture {
  Plan plan;
  Graph graph;
  RunRecord run;
};

Fixture load(const std::string& jsonl) {
  Diagnostics d;
  auto plan = load_plan_file(source_root() + "/tests/golden/run/rescue.toml", d);
  REQUIRE(plan.has_value());
  auto graph = Graph::build(*plan, d);
  REQUIRE(graph.has_value());
  auto run = parse_run_record(jsonl, "rescue.jsonl");
  REQUIRE_MESSAGE(run.ok(), (run.ok() ? ""s : run.error().str()));
  return {std::move(*plan), std::move(*graph), std::move(run).value()};
}

std::string fixture_text() {
  return slurp(fs::path(source_root()) / "tests/golden/run/rescue.jsonl");
}

std::string report_of(const Fixture& f, const std::string& run_dir = "",
                      std::vector<std::string> secrets = {}) {
  ReportInputs in{f.plan, f.graph, f.run, run_dir, "rescue.jsonl", nullptr, std::move(secrets)};
  return render_report(in);
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// The position of the first `what` after `from`, or npos.
size_t after(const std::string& s, const std::string& what, size_t from) {
  return from == std::string::npos ? std::string::npos : s.find(what, from);
}

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "ordo-report-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

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

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("outcome and root causes come first, then graph, timeline and steps" *
            doctest::timeout(60)) {
    Fixture f = load(fixture_text());
    std::string html = report_of(f);
    CHECK(html.rfind("<!DOCTYPE html>\n", 0) == 0);
    CHECK(html.find("<title>✘ FAILED · rescue · run 20261126T021940Z-472b</title>") !=
          std::string::npos);
    size_t outcome = html.find("<div class=\"outcome failed\">✘ FAILED</div>");
    size_t banner = after(html, "<section class=\"banner failed\" id=\"summary\">", outcome);
    size_t cause1 = after(html, "<div class=\"cause\" data-step=\"upgrade\">", banner);
    size_t cause2 = after(html, "<div class=\"cause\" data-step=\"slow\">", cause1);
    size_t graph = after(html, "<section id=\"graph\">", cause2);
    size_t timeline = after(html, "<section id=\"timeline\">", graph);
    size_t steps = after(html, "<section id=\"steps\">", timeline);
    CHECK(outcome != std::string::npos);
    CHECK(banner != std::string::npos);
    CHECK(cause1 != std::string::npos);
    CHECK(cause2 != std::string::npos);
    CHECK(graph != std::string::npos);
    CHECK(timeline != std::string::npos);
    CHECK(steps != std::string::npos);
    // The first root cause names its failure, shows its stderr and what followed from it.
    std::string first = html.substr(cause1, cause2 - cause1);
    CHECK(first.find("failed: exit code 3</h2>") != std::string::npos);
    CHECK(first.find("<span class=\"stderr\">error: schema mismatch in table events</span>") !=
          std::string::npos);
    CHECK(first.find("Skipped because of it:</b> <a href=\"#step-verify\">verify</a>, <a "
                     "href=\"#step-cleanup-cache\">cleanup-cache</a>") != std::string::npos);
    CHECK(first.find("Failure handlers:</b> <a href=\"#step-rollback\">rollback</a> succeeded") !=
          std::string::npos);
    // One row per step, each with its state.
    for (const StepDecl& s : f.plan.steps)
      CHECK(html.find("id=\"step-" + s.id + "\" data-step=\"" + s.id +
                      "\">\n<div class=\"row-head\">") != std::string::npos);
    CHECK(count(html, "<section class=\"step-row ") == f.plan.steps.size());
    CHECK(html.find("<section class=\"step-row st-failed\" id=\"step-upgrade\" "
                    "data-step=\"upgrade\">") != std::string::npos);
    CHECK(html.find("id=\"step-cleanup-cache\" data-step=\"cleanup-cache\"") != std::string::npos);
    CHECK(html.find("<section class=\"step-row st-not_reached\" id=\"step-cleanup-cache\"") !=
          std::string::npos);
    // The plan's command when the record has none.
    CHECK(html.find("<pre>psql ${dsn} -v ON_ERROR_STOP=1 -c &#39;ALTER TABLE events ADD COLUMN IF "
                    "NOT EXISTS note text&#39;</pre>") != std::string::npos);
    // Balanced blocks.
    CHECK(count(html, "<section") == count(html, "</section>"));
    CHECK(count(html, "<details") == count(html, "</details>"));
    CHECK(count(html, "<div") == count(html, "</div>"));
    // Failed steps have their log open.
    CHECK(html.find("id=\"step-upgrade\"") < html.find("<details class=\"more\" open>"));
  }

  TEST_CASE("the report loads nothing from anywhere" * doctest::timeout(60)) {
    Fixture f = load(fixture_text());
    std::string html = report_of(f);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("<script src") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);
    CHECK(html.find("url(") == std::string::npos);
    std::regex remote(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
    CHECK_FALSE(std::regex_search(html, remote));
    // http(s) only in XML namespace declarations of the inline SVG.
    std::regex any(R"(https?://)");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), any);
         it != std::sregex_iterator(); ++it) {
      std::string before = html.substr(static_cast<size_t>(it->position()) - 16, 16);
      INFO(html.substr(static_cast<size_t>(it->position()) - 20, 60));
      CHECK(std::regex_search(before, std::regex(R"(xmlns(:\w+)?="$)")));
    }
  }

  TEST_CASE("the timeline has a bar per attempt, in time order, and the firing" *
            doctest::timeout(60)) {
    Fixture f = load(fixture_text());
    std::string html = report_of(f);
    size_t from = html.find("<div class=\"gantt\"");
    std::string gantt = html.substr(from, html.find("</section>", from) - from);
    std::regex bar(
        R"re(<div class="bar (\w+)" style="[^"]*" data-step="([\w-]+)" data-attempt="(\d+)" data-start-ms="(\d+)")re");
    std::vector<std::pair<std::string, long>> firsts;  // first bar of each lane
    int bars = 0;
    std::string lane;
    long prev_in_lane = -1;
    for (auto it = std::sregex_iterator(gantt.begin(), gantt.end(), bar);
         it != std::sregex_iterator(); ++it, ++bars) {
      long start = std::stol((*it)[4]);
      if ((*it)[2] != lane) {
        lane = (*it)[2];
        firsts.push_back({lane, start});
      } else {
        CHECK(start > prev_in_lane);
      }
      prev_in_lane = start;
    }
    CHECK(bars == 3 + 8);  // flaky's 3 attempts, one each for the other 8 that ran
    for (size_t i = 1; i < firsts.size(); ++i) CHECK(firsts[i - 1].second <= firsts[i].second);
    REQUIRE(firsts.size() == 9);
    CHECK(firsts[0].first == "preflight"s);
    CHECK(count(gantt, "<div class=\"wait\"") == 2);
    CHECK(gantt.find("<span class=\"fire\" style=\"left:56.700%\" data-at-ms=\"1993\"") !=
          std::string::npos);
    CHECK(gantt.find("class=\"abort\"") != std::string::npos);
    // The critical path is outlined.
    CHECK(count(gantt, " critical") == 4);
    CHECK(gantt.find("<div class=\"lane st-timed_out critical\" data-step=\"slow\">") !=
          std::string::npos);
  }

  TEST_CASE("secrets stay out: secret vars, and their values in logs" * doctest::timeout(60)) {
    ScratchDir dir;
    fs::create_directories(dir.path / "steps");
    std::ofstream(dir.path / "steps/upgrade.log")
        << "ordo: step upgrade attempt 1 started\nconnecting with hunter2-secret\nboom\n";
    Fixture f = load(fixture_text());
    std::string html = report_of(f, dir.path.string(), {"hunter2-secret"});
    CHECK(html.find("hunter2-secret") == std::string::npos);
    CHECK(html.find("<span class=\"out\">connecting with ***</span>") != std::string::npos);
    CHECK(html.find("<span class=\"meta\">ordo: step upgrade attempt 1 started</span>") !=
          std::string::npos);
    CHECK(html.find("<th title=\"a secret: redacted\">db_password</th><td class=\"secret\">*** "
                    "(secret)</td>") != std::string::npos);
  }

  TEST_CASE("without Graphviz the report says so and keeps the rest" * doctest::timeout(60)) {
    ScratchDir empty;
    PathOverride path(empty.path.string());
    Fixture f = load(fixture_text());
    std::string html = report_of(f);
    CHECK(html.find("<p class=\"warn\">No graph drawing: ordo graph --format svg needs "
                    "Graphviz&#39;s `dot`") != std::string::npos);
    CHECK(html.find("<svg") == std::string::npos);
    CHECK(html.find("<div class=\"gantt\"") != std::string::npos);
    CHECK(count(html, "<section class=\"step-row ") == 12);
  }

  TEST_CASE("a successful run and a run without an end" * doctest::timeout(60)) {
    std::string ok =
        R"({"v":1,"t":"run_started","ts":"2026-11-26T01:00:00.000Z","mono_ms":0,"run":"r1","plan":"rescue","steps":["preflight"]})"
        "\n"
        R"({"v":1,"t":"step_started","ts":"2026-11-26T01:00:00.000Z","mono_ms":0,"step":"preflight","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_finished","ts":"2026-11-26T01:00:00.005Z","mono_ms":5,"step":"preflight","status":"succeeded","exit_code":0,"duration_ms":5})"
        "\n";
    std::string done =
        ok +
        R"({"v":1,"t":"run_finished","ts":"2026-11-26T01:00:00.006Z","mono_ms":6,"outcome":"succeeded","root_causes":[],"duration_ms":6})"
        "\n";
    std::string html = report_of(load(done));
    CHECK(html.find("<div class=\"outcome succeeded\">✔ SUCCEEDED</div>") != std::string::npos);
    CHECK(html.find("<section class=\"banner succeeded\" id=\"summary\">\n<h2>All done in 6ms: 1 "
                    "step succeeded</h2>") != std::string::npos);
    CHECK(html.find("Root cause") == std::string::npos);
    CHECK(html.find("<dt>ended</dt><dd>2026-11-26 01:00:00 UTC · took 6ms</dd>") !=
          std::string::npos);

    std::string open = report_of(load(ok.substr(0, ok.rfind("{\"v\""))));
    CHECK(open.find("⚠ NO END RECORD") != std::string::npos);
    CHECK(open.find("Running at that moment: <a href=\"#step-preflight\">preflight</a>.") !=
          std::string::npos);
  }

  TEST_CASE("write_report writes a private file and refuses another plan's run" *
            doctest::timeout(60)) {
    ScratchDir dir;
    Fixture f = load(fixture_text());
    fs::path record = dir.path / "events.jsonl";
    std::ofstream(record) << fixture_text();
    fs::path out = dir.path / "report.html";
    Status st = write_report(f.plan, f.graph, ReportFiles{record.string(), "", "", out.string()});
    REQUIRE_MESSAGE(st.ok(), (st.ok() ? ""s : st.error().str()));
    struct stat sb {};
    REQUIRE(::stat(out.c_str(), &sb) == 0);
    CHECK((sb.st_mode & 0777) == 0600);
    CHECK(slurp(out).find("data-step=\"upgrade\"") != std::string::npos);

    Plan other = f.plan;
    other.name = "other";
    Status refused =
        write_report(other, f.graph, ReportFiles{record.string(), "", "", out.string()});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message == record.string() + " is a run of plan 'rescue', not 'other'");
  }
}
