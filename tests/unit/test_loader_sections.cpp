// Unit tests: loading a big plan section by section (plan_sections.h) gives exactly what the
// whole parse gives. Every plan here is loaded whole and split into sections of 1, 2 and 3
// steps, and the two loads are compared field by field: every diagnostic (severity, message,
// file:line:col, in report order) and the whole Plan, every position included. The splitter's
// refusals (what would not be equivalent) are checked too.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "loader_test_util.h"
#include "plan_dump.h"
#include "plan_loader.h"
#include "plan_sections.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

namespace fs = std::filesystem;

using plan_dump::dump;

struct Load {
  std::string result;  // the dumps of the diagnostics and of the plan
  size_t sections = 0;
};

Load load(const std::string& text, const std::string& path, const SectionLimits& limits) {
  Diagnostics d;
  Load out;
  auto plan = load_plan_text(text, path, d, limits, &out.sections);
  out.result = dump(plan, d);
  return out;
}

// The first line of `a` that differs from the same line of `b` ("" if none): a failed check
// shows the two lines instead of two whole dumps.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int n = 1;; ++n) {
    bool ga = static_cast<bool>(std::getline(sa, la));
    bool gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) return "";
    if (!ga || !gb || la != lb) return std::to_string(n) + ": " + (ga ? la : "(end)");
  }
}

SectionLimits whole() {
  SectionLimits l;
  l.min_bytes = std::numeric_limits<size_t>::max();
  return l;
}

SectionLimits split(size_t steps) {
  SectionLimits l;
  l.min_bytes = 0;
  l.steps = steps;
  return l;
}

// Loads `text` whole and split into sections of 1, 2 and 3 steps; every load must be equal
// to the whole one. Returns the number of sections of the 1-step split (0: it loaded whole).
size_t check_equivalent(const std::string& text, const std::string& path = "big.toml") {
  Load ref = load(text, path, whole());
  CHECK(ref.sections == 0);
  size_t sections = 0;
  for (size_t k : {1, 2, 3}) {
    CAPTURE(k);
    Load got = load(text, path, split(k));
    CHECK(got.result.size() == ref.result.size());
    CHECK(first_difference(got.result, ref.result) == first_difference(ref.result, got.result));
    if (k == 1) sections = got.sections;
  }
  return sections;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// A plan of n steps using most of the language: sub-tables, multi-line strings holding header
// lines, multi-line arrays with lines that start with `[`, comments, quoted ids, inline tables.
std::string generated(int n) {
  std::string t = R"(# a generated plan
[plan]
name = "big"
description = """
[steps.not-a-step]
"""

[vars]
root = "/srv"   # [steps.comment]
[vars.mode]
type = "string"
default = "fast"
choices = ["fast", "slow"]

)";
  for (int i = 0; i < n; ++i) {
    std::string id = "s" + std::to_string(i);
    switch (i % 6) {
      case 0:
        t += "[steps." + id + "]\nkind = \"shell\"\nscript = '''\n[steps.fake" + id +
             "]\necho \"${vars.root}\"\n'''\n";
        if (i) t += "requires = [\n  \"s" + std::to_string(i - 1) + "\",\n]\n";
        t += "[steps." + id + ".env]\nPATH = { append = \"/opt/bin\" }\nHOME = \"/root\"\n";
        break;
      case 1:
        t += "  [ steps . \"" + id + "\" ]   # indented, quoted\n  kind = \"exec\"\n" +
             "  argv = [\n[\"nested\"],\n  \"x\", # [steps.in-array]\n]\n" + "  after = [\"s" +
             std::to_string(i - 1) + "\"]\n  timeout = \"5m\"\n";
        break;
      case 2:
        t += "[steps.'" + id + "']\nkind = \"shell\"\nscript = \"\"\"echo \\\"\\\"\\\" [x]\n" +
             "[steps.esc]\n\"\"\"\"\nwhen = \"steps.s" + std::to_string(i - 1) +
             ".status == 'ok'\"\n" + "[steps." + id +
             ".outputs]\nversion = { regex = 'v(\\d+)' }\n" + "[steps." + id +
             ".retries]\nattempts = 3\nbackoff = \"2s\"\n";
        break;
      case 3:
        t += "[steps." + id + "]\n\n# comment\nkind = \"noop\"\ntags = [\"a\", \"b\"]\n" +
             "on_failure = [\"s0\"]\nuser = \"postgres\"\ncwd = \"~/x\"\nnested.deep = { a = 1, "
             "b = [1, 2.5, true, 1979-05-27] }\n";
        break;
      case 4:
        t += "[steps." + id +
             "]\nkind = \"shell\"\nscript = \"echo '[steps.q]'\"\nalways = true\n" + "[steps." +
             id + ".params.extra]\nx = 1\n[[steps." + id + ".list]]\ny = 2\n[[steps." + id +
             ".list]]\ny = 3\n";
        break;
      case 5:
        t += "[steps." + id + "]\nkind = \"wait_for\"\nurl = \"http://x/[a]\"\nwatches = \"s" +
             std::to_string(i - 1) + "\"\nkill_grace = \"1s\"\nvenv = \"/v\"\n";
        break;
    }
    t += "\n";
  }
  return t;
}

}  // namespace

TEST_SUITE("loader_sections") {
  TEST_CASE("a generated plan loads the same whole and in sections") {
    std::string text = generated(40);
    CHECK(check_equivalent(text) == 40);
    CHECK(check_equivalent(crlf(text)) == 40);
  }

  TEST_CASE("steps with errors in many sections report the same diagnostics, positions") {
    std::string text = generated(12);
    // Errors in several sections: a bad id, a missing kind, wrong types, a bad duration, an
    // unknown reference, a bad regex.
    text += R"([steps.Bad_Id]
kind = "noop"
[steps.nokind]
description = 1
[steps.e1]
kind = ["noop"]
timeout = "5 parsecs"
requires = ["nowhere", 3]
[steps.e2]
kind = "shell"
script = """
x"""
retries = { attempts = "many" }
[steps.e2.outputs]
v = { regex = "(" }
[steps.e3]
kind = "noop"
env = 7
)";
    Load ref = load(text, "big.toml", whole());
    CHECK(ref.result.find("step id 'Bad_Id'") != std::string::npos);
    CHECK(check_equivalent(text) == 17);
  }

  TEST_CASE("a duplicate step id across sections is the parser's error, as whole") {
    std::string text = generated(8) + "[steps.s2]\nkind = \"noop\"\n";
    CHECK(!split_plan_sections(text, split(1)));
    CHECK(check_equivalent(text) == 0);
    Load ref = load(text, "big.toml", whole());
    CHECK(ref.result.find("no plan") != std::string::npos);
  }

  TEST_CASE("a syntax error in a late section gives the whole parse's message and position") {
    std::string text = generated(20) + "[steps.late]\nkind = \"noop\"\nx = [1,,]\n";
    REQUIRE(split_plan_sections(text, split(1)));
    CHECK(check_equivalent(text) == 0);  // every split load fell back to the whole text
    Load ref = load(text, "big.toml", whole());
    CHECK(ref.result.find("no plan") != std::string::npos);
  }

  TEST_CASE("what the splitter refuses still loads the same (whole)") {
    std::string base = generated(6);
    std::vector<std::string> refused = {
        // the headers of one id are not contiguous
        base + "[steps.a]\nkind = \"noop\"\n[steps.b]\nkind = \"noop\"\n[steps.a.env]\nX = \"1\"\n",
        // a top-level table after the steps
        base + "[vars.late]\ntype = \"string\"\ndefault = \"x\"\n",
        base + "[[extra]]\nx = 1\n",
        // [steps] itself
        base + "[steps]\nz = { kind = \"noop\" }\n",
        // a header the scanner does not read (an escape in a quoted key)
        base + "[steps.\"e\\u0078\"]\nkind = \"noop\"\n",
        // an unterminated string: the whole parse reports it
        base + "[steps.u]\nkind = \"noop\nx = 1\n",
    };
    for (const auto& text : refused) {
      CAPTURE(text.substr(base.size()));
      CHECK(!split_plan_sections(text, split(1)));
      CHECK(check_equivalent(text) == 0);
    }
    // Split by the scanner, but the prefix defines `steps`: the loader loads it whole.
    std::string prefixed = "steps.z.kind = \"noop\"\n" + base;
    CHECK(split_plan_sections(prefixed, split(1)));
    CHECK(check_equivalent(prefixed) == 0);
    // A section whose step defines a table already defined: the whole parse's error.
    std::string redefined = base + "[steps.r]\nkind = \"noop\"\n[steps.r.env]\n[steps.r.env]\n";
    CHECK(split_plan_sections(redefined, split(1)));
    CHECK(check_equivalent(redefined) == 0);
  }

  TEST_CASE("mutated plans (mostly broken) load the same whole and in sections") {
    // Inserts a TOML-significant fragment or deletes a few bytes at a random place, 400 times
    // (fixed seed): the split must never give a result the whole parse does not.
    const std::string base = generated(12);
    const std::vector<std::string> bits = {"\"",
                                           "'",
                                           "[",
                                           "]",
                                           "\n",
                                           "#",
                                           "\"\"\"",
                                           "'''",
                                           "{",
                                           "}",
                                           "=",
                                           "\\",
                                           "\r",
                                           "[steps.x]\n",
                                           "\n[steps.s1]\n",
                                           "\n[steps.s7.env]\n",
                                           "\n[vars]\n",
                                           "\n[[steps.y]]\n"};
    uint64_t state = 0x9E3779B97F4A7C15u;
    auto next = [&](uint64_t n) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      return static_cast<size_t>(state % n);
    };
    size_t split_loads = 0;
    for (int i = 0; i < 400; ++i) {
      std::string text = base;
      size_t at = next(text.size());
      if (next(3) == 0)
        text.erase(at, 1 + next(5));
      else
        text.insert(at, bits[next(bits.size())]);
      CAPTURE(i);
      CAPTURE(at);
      Load ref = load(text, "m.toml", whole());
      Load got = load(text, "m.toml", split(1));
      CHECK(first_difference(got.result, ref.result) == first_difference(ref.result, got.result));
      CHECK(got.result.size() == ref.result.size());
      if (got.sections > 0) ++split_loads;
    }
    CHECK(split_loads >= 100);  // many mutations still split (the rest fell back)
  }

  TEST_CASE("the repository's plans and the test fixtures load the same in sections") {
    const char* root = std::getenv("ORDO_SOURCE_ROOT");
    REQUIRE(root != nullptr);
    size_t files = 0;
    size_t split_files = 0;
    for (const char* dir : {"plans", "examples", "tests"}) {
      for (const auto& e : fs::recursive_directory_iterator(fs::path(root) / dir)) {
        if (!e.is_regular_file() || e.path().extension() != ".toml") continue;
        CAPTURE(e.path().string());
        std::string text = read(e.path());
        ++files;
        if (check_equivalent(text, e.path().string()) > 0) ++split_files;
      }
    }
    CHECK(files >= 50);
    CHECK(split_files >= 20);  // most fixtures have [steps.ID] tables and split
  }

  TEST_CASE("sections start at header lines and carry their line offsets") {
    std::string text =
        "[plan]\nname = \"p\"\n[steps.a]\nkind = \"noop\"\n[steps.a.env]\nX = '''\n"
        "[steps.b]\n'''\n[steps.c]\nkind = \"noop\"\n[steps.d]\nkind = \"noop\"\n";
    auto parts = split_plan_sections(text, split(2));
    REQUIRE(parts);
    CHECK(std::string(parts->prefix) == "[plan]\nname = \"p\"\n");
    REQUIRE(parts->sections.size() == 2);
    CHECK(std::string(parts->sections[0].text) ==
          "[steps.a]\nkind = \"noop\"\n[steps.a.env]\nX = '''\n[steps.b]\n'''\n[steps.c]\n"
          "kind = \"noop\"\n");
    CHECK(parts->sections[0].line_offset == 2);
    CHECK(parts->sections[0].steps == 2);
    CHECK(std::string(parts->sections[1].text) == "[steps.d]\nkind = \"noop\"\n");
    CHECK(parts->sections[1].line_offset == 10);
    // Below the size threshold, and without any [steps.ID]: not split.
    SectionLimits big;
    big.min_bytes = text.size() + 1;
    CHECK(!split_plan_sections(text, big));
    CHECK(!split_plan_sections("[plan]\nname = \"p\"\n", split(1)));
  }
}
