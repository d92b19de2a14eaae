// Unit tests: the parameter tables of the built-in kinds: the registry's kinds, each table well
// formed, each kind's example passing its own checks, and check_params's exact messages.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "builtin.h"
#include "plan_loader.h"
#include "spec.h"
#include "specs_test_util.h"

using namespace ordo;
using namespace specs_test;
using namespace std::string_literals;

namespace {

bool default_fits(const ParamSpec& p) {
  const Value& v = *p.default_value;
  switch (p.type) {
    case ParamType::String:
    case ParamType::Path:
      return v.is_string();
    case ParamType::Bool:
      return v.is_bool();
    case ParamType::Int:
      return v.is_int();
    case ParamType::Duration:
      return v.is_string() && parse_duration(v.as_string()).ok();
    case ParamType::StringList:
    case ParamType::StringOrList:
    case ParamType::List:
      return v.is_list() || (p.type == ParamType::StringOrList && v.is_string());
    case ParamType::Table:
      return v.is_table();
    case ParamType::Any:
      return !v.is_table() && !v.is_null();
  }
  return false;
}

}  // namespace

TEST_SUITE("specs") {
  TEST_CASE("the registry lists every kind once, in the documented order") {
    CHECK(registry().kinds() == std::vector<std::string>{"noop", "exec", "shell", "systemd", "pip",
                                                         "sql", "pg-dump", "file", "confirm",
                                                         "wait-for", "lock-watchdog"});
  }

  TEST_CASE("every kind's table is well formed") {
    std::set<std::string> kinds;
    const auto& common = common_step_keys();
    for (const auto& e : registry().all()) {
      const ExecutorSpec& s = e->spec();
      INFO("kind ", s.kind);
      CHECK(kinds.insert(s.kind).second);
      CHECK(registry().find(s.kind) == e.get());
      CHECK_FALSE(s.summary.empty());
      CHECK_FALSE(s.doc.empty());
      CHECK_FALSE(s.example.empty());
      CHECK(s.watcher == (s.kind == "lock-watchdog"));
      std::set<std::string> names;
      for (const ParamSpec& p : s.params) {
        INFO("parameter ", p.name);
        CHECK(names.insert(p.name).second);
        CHECK(std::find(common.begin(), common.end(), p.name) == common.end());
        CHECK_FALSE(p.doc.empty());
        if (p.default_value) {
          CHECK(default_fits(p));
          CHECK_FALSE(p.required);  // a default on a required parameter would never apply
        }
        if (!p.choices.empty()) {
          CHECK(p.type == ParamType::String);
          if (p.default_value)
            CHECK(std::find(p.choices.begin(), p.choices.end(), p.default_value->as_string()) !=
                  p.choices.end());
        }
      }
      std::set<std::string> outputs;
      for (const OutputSpec& o : s.outputs) {
        CHECK(outputs.insert(o.name).second);
        CHECK_FALSE(o.doc.empty());
      }
    }
  }

  TEST_CASE("every kind's example passes its own checks") {
    for (const auto& e : registry().all()) {
      const ExecutorSpec& s = e->spec();
      INFO("kind ", s.kind, "\n", s.example);
      Diagnostics d;
      auto plan = load_plan_text("[plan]\nname = \"example\"\n\n" + s.example, "example.toml", d);
      REQUIRE(plan.has_value());
      bool found = false;
      for (const StepDecl& step : plan->steps) {
        if (step.kind != s.kind) continue;
        found = true;
        check_params(s, step, d);
        e->check(step, d);
      }
      CHECK(found);
      std::ostringstream out;
      d.print(out);
      CHECK(out.str() == ""s);
    }
  }

  TEST_CASE("check_params: unknown key with a suggestion") {
    auto p = problems(StepBuilder("systemd")
                          .set("unit", "indico-uwsgi.service")
                          .set("action", "restart")
                          .set("wiat", "30s")
                          .s);
    CHECK(p == Lines{"t.toml:4:1: unknown key 'wiat' in step 's' (kind 'systemd') (did you mean "
                     "'wait'?)"});
  }

  TEST_CASE("check_params: missing required parameter") {
    auto p = problems(StepBuilder("systemd").set("action", "stop").s);
    CHECK(p == Lines{"t.toml:1:1: step 's' (kind 'systemd') is missing required parameter 'unit' "
                     "(string: the unit, e.g. \"indico-celery.service\")"});
  }

  TEST_CASE("check_params: wrong type") {
    auto p = problems(StepBuilder("pip").venv("~/.venv").set("packages", "indico").s);
    CHECK(p == Lines{"t.toml:3:12: parameter 'packages' must be a list of strings, not a string"});
    auto q = problems(StepBuilder("pip")
                          .venv("~/.venv")
                          .set("packages", ValueList{"indico"})
                          .set("upgrade", "yes")
                          .s);
    CHECK(q == Lines{"t.toml:4:11: parameter 'upgrade' must be a bool, not a string"});
  }

  TEST_CASE("check_params: a bad choice suggests the closest one") {
    auto p = problems(StepBuilder("systemd").set("unit", "x.service").set("action", "restrat").s);
    CHECK(p == Lines{"t.toml:3:10: bad value \"restrat\" for 'action' (did you mean 'restart'?); "
                     "expected one of: start, stop, restart, reload, enable, disable, is-active"});
    auto q = problems(StepBuilder("pg-dump")
                          .set("dsn", "dbname=indico")
                          .set("output", "/tmp/x.dump")
                          .set("format", "zip")
                          .s);
    CHECK(q == Lines{"t.toml:4:10: bad value \"zip\" for 'format'; expected one of: custom, "
                     "plain, directory, tar"});
  }

  TEST_CASE("check_params: a bad duration says what was expected") {
    auto p = problems(
        StepBuilder("systemd").set("unit", "x.service").set("action", "stop").set("wait", "5").s);
    CHECK(p == Lines{"t.toml:4:8: parameter 'wait': bad duration \"5\": a number needs a unit; "
                     "expected a duration such as \"500ms\", \"5s\", \"2m\" or \"1h30m\" (units "
                     "ms, s, m, h, d)"});
    // A ${...} reference is only known at run time: not checked here.
    auto q = problems(StepBuilder("systemd")
                          .set("unit", "x.service")
                          .set("action", "stop")
                          .set("wait", "${stop_wait}")
                          .s);
    CHECK(q.empty());
  }
}
