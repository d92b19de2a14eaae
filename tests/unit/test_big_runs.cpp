// Unit tests: what a run of a big plan shows a person. A failure early in a plan of thousands
// of steps skips most of them: the console summary and the report name the first ones and
// count the rest; the report does not hand Graphviz more steps than it draws in seconds
// (kReportGraphMaxSteps), it draws the part around the root cause and says how to draw all.
#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "console.h"
#include "graph.h"
#include "plan_loader.h"
#include "render/report.h"
#include "run_record.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

Event ev(EventBody body) {
  return Event{std::chrono::system_clock::time_point(std::chrono::seconds(1'795'654'923)),
               Millis(0), std::move(body)};
}

// The console's summary of a run whose step s0 failed and blocked s1..s<blocked>.
std::string summary_with_blocked(int blocked) {
  std::ostringstream out;
  ConsoleOptions o;
  o.clock_text = [](std::chrono::system_clock::time_point) { return "12:00:01"s; };
  ConsoleSink c(out, o);
  std::vector<std::string> ids;
  for (int i = 0; i <= blocked; ++i) ids.push_back("s" + std::to_string(i));
  c.on_event(ev(RunStarted{"R", "p", "p.toml", "h", 1, ids, {}, "", {}, std::nullopt, {}, {}}));
  c.on_event(ev(StepStarted{"s0", 1, false, "shell", ""}));
  c.on_event(ev(StepFinished{"s0", StepStatus::Failed, 1, 1, "exit code 1", {}, Millis(1)}));
  for (int i = 1; i <= blocked; ++i)
    c.on_event(ev(StepSkipped{ids[static_cast<size_t>(i)], SkipKind::Blocked,
                              "requires s0, which failed", "s0"}));
  StepCounts counts;
  counts.failed = 1;
  counts.skipped = counts.blocked = blocked;
  out.str("");
  c.on_event(ev(RunFinished{RunOutcome::Failed, counts, {"s0"}, Millis(10)}));
  return out.str();
}

// A chain of n shell steps, s0 <- s1 <- ... ; the run: s<failed> failed, every later step
// blocked by it (or, with failed = -1, every step succeeded).
struct BigRun {
  Plan plan;
  Graph graph;
  RunRecord run;
};

BigRun big_run(int n, int failed) {
  std::string text = "[plan]\nname = \"big\"\n";
  for (int i = 0; i < n; ++i) {
    text += "[steps.s" + std::to_string(i) + "]\nkind = \"shell\"\nscript = \"true\"\n";
    if (i) text += "requires = [\"s" + std::to_string(i - 1) + "\"]\n";
  }
  Diagnostics d;
  auto plan = load_plan_text(text, "big.toml", d);
  REQUIRE(plan.has_value());
  auto graph = Graph::build(*plan, d);
  REQUIRE(graph.has_value());
  RunRecord run;
  run.run_id = "20261126T010203Z-1a2b";
  run.plan = "big";
  run.path = "plans/big one.toml";
  run.outcome = failed < 0 ? RunOutcome::Succeeded : RunOutcome::Failed;
  for (int i = 0; i < n; ++i) {
    StepRecord s;
    s.id = "s" + std::to_string(i);
    s.kind = "shell";
    if (failed < 0 || i < failed) {
      s.state = StepState::Succeeded;
    } else if (i == failed) {
      s.state = StepState::Failed;
      s.message = "exit code 1";
    } else {
      s.state = StepState::Skipped;
      s.skip_kind = SkipKind::Blocked;
      s.skip_cause = "s" + std::to_string(failed);
      s.skip_reason = "requires s" + std::to_string(i - 1) + ", which was skipped";
    }
    run.step_index.emplace(s.id, run.steps.size());
    run.steps.push_back(std::move(s));
  }
  if (failed >= 0) run.root_causes = {"s" + std::to_string(failed)};
  return {std::move(*plan), std::move(*graph), std::move(run)};
}

std::string report_of(const BigRun& b) {
  ReportInputs in{b.plan, b.graph, b.run, "", "journal.jsonl", nullptr, {}};
  return render_report(in);
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_SUITE("big_runs") {
  TEST_CASE("console summary: a long list of skipped steps shows the first 12 and a count") {
    std::string s = summary_with_blocked(30);
    CHECK(s.find("    skipped because of it: s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, "
                 "… and 18 more (ordo status lists them)\n") != std::string::npos);
    CHECK(s.find("s13") == std::string::npos);
    // One more than shown is listed whole: "and 1 more" would save nothing.
    std::string t = summary_with_blocked(13);
    CHECK(t.find("s12, s13\n") != std::string::npos);
    CHECK(t.find("more") == std::string::npos);
  }

  TEST_CASE(
      "report of a plan too big to draw: the graph around the root cause, and how to draw all") {
    BigRun b = big_run(static_cast<int>(kReportGraphMaxSteps) + 100, 1000);
    std::string html = report_of(b);
    size_t graph = html.find("<section id=\"graph\">");
    REQUIRE(graph != std::string::npos);
    std::string section = html.substr(graph, html.find("</section>", graph) - graph);
    CHECK(section.find("The plan has 2100 steps, more than this report draws (2000).") !=
          std::string::npos);
    CHECK(section.find(
              "ordo graph &#39;plans/big one.toml&#39; --run 20261126T010203Z-1a2b --format svg "
              "-o graph.svg") != std::string::npos);
    REQUIRE(section.find("<svg class=\"graph\"") != std::string::npos);
    CHECK(section.find("focus on s1000, depth 2: 5 of 2100 steps") != std::string::npos);
    // Nodes link to their rows: the focus and its neighbours are drawn, a far step is not.
    CHECK(section.find("#step-s1000") != std::string::npos);
    CHECK(section.find("#step-s998") != std::string::npos);
    CHECK(section.find("#step-s1002") != std::string::npos);
    CHECK(section.find("#step-s5\"") == std::string::npos);
    CHECK(section.find("#step-s1500") == std::string::npos);
    // The banner names 20 of the 1099 skipped steps, the rest folded.
    size_t banner = html.find("Skipped because of it:");
    REQUIRE(banner != std::string::npos);
    std::string li = html.substr(banner, html.find("</li>", banner) - banner);
    CHECK(li.find("<details class=\"folded\"><summary>and 1079 more</summary>") !=
          std::string::npos);
    CHECK(count(li, "href=\"#step-") == 1099);
  }

  TEST_CASE("report of a plan too big to draw, with no failure: no drawing, the command") {
    BigRun b = big_run(static_cast<int>(kReportGraphMaxSteps) + 1, -1);
    std::string html = report_of(b);
    size_t graph = html.find("<section id=\"graph\">");
    REQUIRE(graph != std::string::npos);
    std::string section = html.substr(graph, html.find("</section>", graph) - graph);
    CHECK(section.find("<svg") == std::string::npos);
    CHECK(section.find("The plan has 2001 steps") != std::string::npos);
    CHECK(section.find("--focus STEP") != std::string::npos);
  }

  TEST_CASE("report of a plan at the limit: the whole graph") {
    BigRun b = big_run(static_cast<int>(kReportGraphMaxSteps), -1);
    std::string html = report_of(b);
    CHECK(html.find("more than this report draws") == std::string::npos);
    CHECK(html.find("#step-s0\"") != std::string::npos);
    CHECK(html.find("#step-s1999\"") != std::string::npos);
  }
}
