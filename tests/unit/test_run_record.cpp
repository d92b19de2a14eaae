// Unit tests: reading a run back from its journal (RunRecord), finding runs in the state dir,
// and the graph colours of a run. The fixture tests/golden/run/rescue.jsonl is a real recorded
// run of tests/golden/run/rescue.toml (retries, a watcher that fired, a failure with its
// handler, a timeout, every kind of skip); its DOT, text and SVG renderings are golden files
// in tests/golden/run/ (UPDATE_GOLDEN=1 rewrites them).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graph.h"
#include "plan_loader.h"
#include "render/render.h"
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

std::string fixture_text() {
  return slurp(fs::path(source_root()) / "tests/golden/run/rescue.jsonl");
}

RunRecord fixture() {
  auto r = parse_run_record(fixture_text(), "rescue.jsonl");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? ""s : r.error().str()));
  return std::move(r).value();
}

struct LoadedFixture {
  Plan plan;
  Graph graph;
};

LoadedFixture fixture_plan() {
  Diagnostics d;
  auto plan = load_plan_file(source_root() + "/tests/golden/run/rescue.toml", d);
  REQUIRE(plan.has_value());
  auto graph = Graph::build(*plan, d);
  REQUIRE(graph.has_value());
  return {std::move(*plan), std::move(*graph)};
}

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

// A scratch directory removed at the end of the scope.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "ordo-runrec-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// The lines of `text` that mention `t` as record type, joined.
std::string lines_without(const std::string& text, const std::string& t) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.find("\"t\":\"" + t + "\"") == std::string::npos) out += line + "\n";
  return out;
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

TEST_SUITE("run_record") {
  TEST_CASE("the recorded run reads back step by step") {
    RunRecord r = fixture();
    CHECK(r.version == 1);
    CHECK(r.run_id == "20261126T021940Z-472b"s);
    CHECK(r.plan == "rescue"s);
    CHECK(r.jobs == 2);
    CHECK(r.started_at == "2026-11-26T02:19:40.325Z"s);
    REQUIRE(r.outcome.has_value());
    CHECK(*r.outcome == RunOutcome::Failed);
    CHECK(r.root_causes == std::vector<std::string>{"upgrade", "slow"});
    CHECK(r.duration == Millis(3515));
    CHECK(r.counts.succeeded == 7);
    CHECK(r.counts.not_reached == 1);
    CHECK(r.aborted);
    CHECK(r.abort_reason == "upgrade failed"s);
    CHECK(r.abort_cause == "upgrade"s);
    CHECK(r.aborted_at == Millis(2024));
    CHECK(r.torn_lines == 0);
    REQUIRE(r.steps.size() == 12);
    CHECK(r.steps[0].id == "preflight"s);
    CHECK(r.steps[11].id == "start-worker"s);
    const Value* secret = table_find(r.vars, "db_password");
    REQUIRE(secret != nullptr);
    CHECK(secret->as_string() == "***"s);

    const StepRecord* flaky = r.find("flaky");
    REQUIRE(flaky != nullptr);
    CHECK(flaky->state == StepState::Succeeded);
    CHECK(flaky->kind == "shell"s);
    REQUIRE(flaky->attempts.size() == 3);
    CHECK(flaky->attempts[0].outcome == StepState::Failed);
    CHECK(flaky->attempts[0].wait == Millis(300));
    CHECK(flaky->attempts[1].start == Millis(315));
    CHECK(flaky->attempts[1].wait == Millis(600));
    CHECK(flaky->attempts[2].outcome == StepState::Succeeded);
    CHECK(flaky->attempts[2].end == Millis(942));
    CHECK(flaky->duration == Millis(932));
    CHECK(flaky->output_tail.back().line == "attempt 3"s);

    const StepRecord* watch = r.find("lock-watch");
    REQUIRE(watch != nullptr);
    CHECK(watch->watcher);
    REQUIRE(watch->firings.size() == 1);
    CHECK(watch->firings[0].at == Millis(1993));
    CHECK(watch->firings[0].triggers == std::vector<std::string>{"end-blockers"});
    CHECK(table_find(watch->firings[0].details, "relation")->as_string() == "events"s);

    const StepRecord* upgrade = r.find("upgrade");
    CHECK(upgrade->state == StepState::Failed);
    CHECK(upgrade->exit_code == 3);
    CHECK(upgrade->message == "exit code 3"s);
    CHECK(r.find("slow")->state == StepState::TimedOut);
    CHECK(r.find("reload")->skip_kind == SkipKind::NotApplicable);
    CHECK(r.find("reload")->skip_reason == "condition false (steps.lock-watch.fired == 0)"s);
    CHECK(r.find("verify")->skip_kind == SkipKind::Blocked);
    CHECK(r.find("verify")->skip_cause == "upgrade"s);
    CHECK(r.find("cleanup-cache")->skip_kind == SkipKind::NotReached);
    CHECK(r.find("cleanup-cache")->attempts.empty());
  }

  TEST_CASE("a torn last line is dropped; the run then has no end") {
    std::string text = fixture_text();
    // Cut the file in the middle of its last record (run_finished), as a crash would.
    size_t last = text.rfind('\n', text.size() - 2);
    std::string torn = text.substr(0, last + 40);
    auto r = parse_run_record(torn, "torn.jsonl");
    REQUIRE(r.ok());
    CHECK(r->torn_lines == 1);
    CHECK_FALSE(r->outcome.has_value());
    CHECK(r->duration == Millis(3515));  // the last whole record's mono_ms
    CHECK(r->find("slow")->state == StepState::TimedOut);

    // The same cut in the middle of the file is an error that names the line.
    std::string broken = torn + "\n" + text.substr(last + 1);
    auto bad = parse_run_record(broken, "broken.jsonl");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "broken.jsonl:44: not a JSON object"s);
  }

  TEST_CASE("a run still going: started steps are running, the rest not run") {
    std::string text = fixture_text();
    std::string upto = text.substr(0, text.find("\"t\":\"watcher_fired\""));
    upto = upto.substr(0, upto.rfind('\n') + 1);
    auto r = parse_run_record(upto, "partial.jsonl");
    REQUIRE(r.ok());
    CHECK(r->torn_lines == 0);
    CHECK_FALSE(r->finished());
    CHECK(r->find("migrate")->state == StepState::Running);
    CHECK_FALSE(r->find("migrate")->attempts[0].end.has_value());
    CHECK(r->find("upgrade")->state == StepState::NotRun);
    LoadedFixture f = fixture_plan();
    RenderOptions o = run_render_options(f.plan, *r);
    CHECK(o.state["migrate"] == "running"s);
    CHECK(o.state.count("upgrade") == 0);  // not coloured: it may still run
  }

  TEST_CASE("versions, a missing start and unknown records") {
    auto v2 = parse_run_record(R"({"v":2,"t":"run_started","mono_ms":0})"
                               "\n",
                               "x.jsonl");
    REQUIRE_FALSE(v2.ok());
    CHECK(v2.error().message ==
          "x.jsonl:1: format version 2 is not supported (this ordo reads version 1)"s);
    auto headless = parse_run_record(lines_without(fixture_text(), "run_started"), "y.jsonl");
    REQUIRE_FALSE(headless.ok());
    CHECK(headless.error().message.find("expected a run_started or run_resumed record first") !=
          std::string::npos);
    auto empty = parse_run_record("", "z.jsonl");
    REQUIRE_FALSE(empty.ok());

    std::string extra =
        R"({"v":1,"t":"run_started","mono_ms":0,"run":"r","plan":"p","steps":["a"],"new_field":1})"
        "\n"
        R"({"v":1,"t":"something_new","mono_ms":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":2,"step":"a","attempt":1,"command":"echo hi"})"
        "\n";
    auto r = parse_run_record(extra, "e.jsonl");
    REQUIRE(r.ok());
    CHECK(r->unknown_records == 1);
    CHECK(r->find("a")->command == "echo hi"s);
    CHECK(r->find("a")->state == StepState::Running);
  }

  TEST_CASE("a resumed run reads as its last part: outcome, abort and attempts") {
    // Part 1: `a` succeeds, `b` fails (the run aborts), `w` watches and `c` is running when ordo
    // is killed. Part 2 (ordo resume) keeps a and w, runs b and c again, and succeeds.
    std::string part1 =
        R"({"v":1,"t":"run_started","mono_ms":0,"run":"r1","plan":"p","steps":["a","w","b","c"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":0,"step":"a","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":0,"step":"w","attempt":1,"watcher":true})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":10,"step":"a","status":"succeeded","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":10,"step":"b","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":10,"step":"c","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":20,"step":"b","status":"failed","exit_code":1,"message":"exit code 1","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"run_aborting","mono_ms":20,"reason":"b failed","cause":"b"})"
        "\n";
    std::string part2 =
        R"({"v":1,"t":"run_resumed","mono_ms":500,"run":"r1","plan":"p","steps":["a","w","b","c"],"resumes":1,"kept":["a","w"],"rerun":[{"step":"b","reason":"failed"},{"step":"c","reason":"was interrupted"}]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":500,"step":"b","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":500,"step":"c","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":510,"step":"b","status":"succeeded","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":530,"step":"c","status":"succeeded","duration_ms":30})"
        "\n";
    std::string end =
        R"({"v":1,"t":"run_finished","mono_ms":530,"outcome":"succeeded","duration_ms":530,"counts":{"succeeded":4}})"
        "\n";

    auto r = parse_run_record(part1 + part2 + end, "resumed.jsonl");
    REQUIRE(r.ok());
    CHECK(r->unknown_records == 0);
    CHECK(r->resumes == 1);
    REQUIRE(r->resumed_at.size() == 1);
    CHECK(r->resumed_at[0] == Millis(20));
    REQUIRE(r->outcome.has_value());
    CHECK(*r->outcome == RunOutcome::Succeeded);
    CHECK_FALSE(r->aborted);
    CHECK(r->abort_reason == ""s);
    CHECK(r->counts.succeeded == 4);
    CHECK(r->duration == Millis(530));

    const StepRecord* b = r->find("b");
    CHECK(b->state == StepState::Succeeded);
    REQUIRE(b->attempts.size() == 2);
    CHECK(b->attempts[0].outcome == StepState::Failed);
    CHECK(b->attempts[1].outcome == StepState::Succeeded);

    // c's first attempt was cut off by the kill: it ended with the earlier part, interrupted.
    const StepRecord* c = r->find("c");
    CHECK(c->state == StepState::Succeeded);
    REQUIRE(c->attempts.size() == 2);
    REQUIRE(c->attempts[0].end.has_value());
    CHECK(*c->attempts[0].end == Millis(20));
    CHECK(c->attempts[0].outcome == StepState::Cancelled);
    CHECK(c->attempts[0].message == "interrupted: ordo stopped"s);
    CHECK(c->attempts[1].start == Millis(500));
    CHECK(c->attempts[1].outcome == StepState::Succeeded);
    CHECK(c->attempts[0].run == c->attempts[1].run);  // one run of the step, two attempts

    // The kept watcher was open when ordo died; kept, it counts as stopped: succeeded.
    const StepRecord* w = r->find("w");
    CHECK(w->state == StepState::Succeeded);
    REQUIRE(w->attempts.size() == 1);
    CHECK(w->attempts[0].outcome == StepState::Succeeded);
    CHECK(r->find("a")->state == StepState::Succeeded);
    CHECK(r->find("a")->attempts.size() == 1);

    // Killed again during part 2: no outcome (not part 1's), nothing aborted, c running.
    auto again =
        parse_run_record(part1 + part2.substr(0, part2.find("\n") + 1) +
                             R"({"v":1,"t":"step_started","mono_ms":500,"step":"c","attempt":1})"
                             "\n",
                         "again.jsonl");
    REQUIRE(again.ok());
    CHECK_FALSE(again->finished());
    CHECK_FALSE(again->aborted);
    CHECK(again->find("c")->state == StepState::Running);
    CHECK(again->find("b")->state == StepState::Failed);  // from part 1, not run again yet

    // An --events file of the resume alone starts with run_resumed.
    auto alone = parse_run_record(part2 + end, "events.jsonl");
    REQUIRE_MESSAGE(alone.ok(), (alone.ok() ? ""s : alone.error().str()));
    CHECK(alone->run_id == "r1"s);
    CHECK(alone->resumes == 1);
    CHECK(*alone->outcome == RunOutcome::Succeeded);
    CHECK(alone->find("c")->attempts.size() == 1);
  }

  TEST_CASE("a triggered step that runs once per firing keeps every run") {
    std::string text =
        R"({"v":1,"t":"run_started","mono_ms":0,"run":"r","plan":"p","steps":["w","t"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":0,"step":"w","attempt":1,"watcher":true})"
        "\n"
        R"({"v":1,"t":"watcher_fired","mono_ms":10,"step":"w","count":1,"triggers":["t"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":10,"step":"t","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":20,"step":"t","status":"succeeded","duration_ms":10})"
        "\n"
        R"({"v":1,"t":"watcher_fired","mono_ms":30,"step":"w","count":2,"triggers":["t"]})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":30,"step":"t","attempt":1})"
        "\n"
        R"({"v":1,"t":"step_retrying","mono_ms":35,"step":"t","attempt":2,"wait_ms":5,"timed_out":true})"
        "\n"
        R"({"v":1,"t":"step_started","mono_ms":40,"step":"t","attempt":2})"
        "\n"
        R"({"v":1,"t":"step_finished","mono_ms":45,"step":"t","status":"failed","exit_code":1,"duration_ms":15})"
        "\n";
    auto r = parse_run_record(text, "t.jsonl");
    REQUIRE(r.ok());
    const StepRecord* t = r->find("t");
    CHECK(t->runs == 2);
    REQUIRE(t->attempts.size() == 3);
    CHECK(t->attempts[0].run == 1);
    CHECK(t->attempts[1].run == 2);
    CHECK(t->attempts[1].outcome == StepState::TimedOut);
    CHECK(t->attempts[2].run == 2);
    CHECK(t->attempts[2].attempt == 2);
    CHECK(t->state == StepState::Failed);
    CHECK(r->find("w")->firings.size() == 2);
  }

  TEST_CASE("locate_run: a run id, a file, or the last run with a journal") {
    ScratchDir dir;
    std::string state = dir.path.string();
    auto make = [&](const std::string& id, bool journal) {
      fs::create_directories(dir.path / "p/runs" / id);
      if (journal) std::ofstream(dir.path / "p/runs" / id / "journal.jsonl") << fixture_text();
    };
    auto none = locate_run(state, "p", "");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("no runs of plan p") != std::string::npos);
    make("20261126T010000Z-aaaa", true);
    make("20261126T020000Z-0001", true);
    make("20261126T030000Z-ffff", false);  // the newest has no journal (yet)
    CHECK(list_runs(state, "p") == std::vector<std::string>{"20261126T010000Z-aaaa",
                                                            "20261126T020000Z-0001",
                                                            "20261126T030000Z-ffff"});
    auto last = locate_run(state, "p", "");
    REQUIRE(last.ok());
    CHECK(last->run_dir == state + "/p/runs/20261126T020000Z-0001");
    CHECK(last->record == last->run_dir + "/journal.jsonl");
    auto by_id = locate_run(state, "p", "20261126T010000Z-aaaa");
    REQUIRE(by_id.ok());
    CHECK(by_id->run_dir == state + "/p/runs/20261126T010000Z-aaaa");
    auto no_journal = locate_run(state, "p", "20261126T030000Z-ffff");
    REQUIRE_FALSE(no_journal.ok());
    CHECK(no_journal.error().message.find("has no journal") != std::string::npos);
    CHECK_FALSE(locate_run(state, "p", "20990101T000000Z-0000").ok());
    // An events file anywhere: its run directory is found later from the record.
    std::ofstream(dir.path / "events.jsonl") << fixture_text();
    auto file = locate_run(state, "p", (dir.path / "events.jsonl").string());
    REQUIRE(file.ok());
    CHECK(file->run_dir.empty());
    CHECK_FALSE(locate_run(state, "p", (dir.path / "missing.jsonl").string()).ok());
  }

  TEST_CASE("tail_lines keeps the last lines of a large file") {
    ScratchDir dir;
    fs::path log = dir.path / "big.log";
    {
      std::ofstream out(log);
      for (int i = 0; i < 100000; ++i) out << "line " << i << "\n";
    }
    auto lines = tail_lines(log.string(), 40);
    REQUIRE(lines.size() == 40);
    CHECK(lines.front() == "line 99960"s);
    CHECK(lines.back() == "line 99999"s);
    CHECK(tail_lines((dir.path / "none.log").string(), 40).empty());
  }
}

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
      std::erase_if(s.after, [](const StepRef& r) { return r.id == "end-blockers"; });
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

TEST_CASE("RunRecord::find: by the parser's index, and by a scan for a record built by hand") {
  RunRecord r = fixture();
  REQUIRE(r.step_index.size() == r.steps.size());
  for (const StepRecord& s : r.steps) {
    const StepRecord* found = r.find(s.id);
    REQUIRE(found != nullptr);
    CHECK(found == &s);
  }
  CHECK(r.find("no-such-step") == nullptr);

  RunRecord by_hand;
  StepRecord a;
  a.id = "a";
  StepRecord b;
  b.id = "b";
  by_hand.steps = {a, b};
  REQUIRE(by_hand.find("b") != nullptr);
  CHECK(by_hand.find("b")->id == "b"s);
  CHECK(by_hand.find("c") == nullptr);
}
