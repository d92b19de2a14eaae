// Unit tests: the parameter tables of the built-in kinds (well-formed, checked by check_params
// with exact messages), each kind's cross-field rules (Executor::check), the honest
// "not implemented yet" run() of the kinds whose execution lands later, and the JSON Schema
// (deterministic, and schemas/plan.schema.json equal to `ordo schema`).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "builtin.h"
#include "plan_loader.h"
#include "schema.h"
#include "spec.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

const Registry& registry() {
  static const Registry r = builtin_registry();
  return r;
}

// Builds a step the way the loader would: each parameter on its own line, the key at column 1
// and the value at column key.size() + 4 (`key = value`).
struct StepBuilder {
  StepDecl s;
  int line = 2;
  explicit StepBuilder(const std::string& kind) {
    s.id = "s";
    s.kind = kind;
    s.loc = {"t.toml", 1, 1};
    s.kind_loc = {"t.toml", 1, 8};
  }
  StepBuilder& set(const std::string& name, Value v) {
    v.key_loc = {"t.toml", line, 1};
    if (!v.loc.known()) v.loc = {"t.toml", line, static_cast<int>(name.size()) + 4};
    s.params.emplace_back(name, std::move(v));
    ++line;
    return *this;
  }
  StepBuilder& venv(const std::string& path) {
    s.venv = {path, {"t.toml", line++, 8}};
    return *this;
  }
  StepBuilder& watches(const std::string& id) {
    s.watches.push_back({id, {"t.toml", line++, 11}});
    return *this;
  }
};

// An inline table `{ k = v, ... }` on one line: members get positions on that line.
Value inline_table(int line, std::vector<std::pair<std::string, Value>> members) {
  ValueTable t;
  int col = 12;
  for (auto& [k, v] : members) {
    v.key_loc = {"t.toml", line, col};
    v.loc = {"t.toml", line, col + static_cast<int>(k.size()) + 3};
    col += 20;
    t.emplace_back(k, std::move(v));
  }
  return Value(std::move(t), SourceLoc{"t.toml", line, 10});
}

// Every problem check_params and the kind's check() find, as "file:line:col: message".
std::vector<std::string> problems(const StepDecl& step) {
  const Executor* e = registry().find(step.kind);
  REQUIRE(e != nullptr);
  Diagnostics d;
  check_params(e->spec(), step, d);
  e->check(step, d);
  std::vector<std::string> out;
  for (const auto& item : d.sorted()) out.push_back(item.str());
  return out;
}

using Lines = std::vector<std::string>;

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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first line where a and b differ (1-based), for a readable failure message.
int first_difference(const std::string& a, const std::string& b) {
  int line = 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) return line;
    if (a[i] == '\n') ++line;
  }
  return line;
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

  TEST_CASE("systemd: `wait` only with actions that change the running state") {
    auto p = problems(StepBuilder("systemd")
                          .set("unit", "x.service")
                          .set("action", "enable")
                          .set("wait", "1m")
                          .s);
    CHECK(p == Lines{"t.toml:4:1: `wait` has no meaning with action \"enable\": it changes no "
                     "running state"});
    CHECK(problems(StepBuilder("systemd")
                       .set("unit", "x.service")
                       .set("action", "restart")
                       .set("wait", "1m")
                       .s)
              .empty());
    auto q = problems(StepBuilder("systemd").set("unit", "").set("action", "stop").s);
    CHECK(q == Lines{"t.toml:2:8: `unit` is empty: name the systemd unit, e.g. "
                     "\"indico-celery.service\""});
  }

  TEST_CASE("pip: packages, and which pip runs") {
    auto p = problems(StepBuilder("pip").venv("~/.venv").set("packages", ValueList{}).s);
    CHECK(p == Lines{"t.toml:3:12: `packages` is empty: list at least one package"});
    auto q = problems(StepBuilder("pip").set("packages", ValueList{"indico"}).s);
    CHECK(q == Lines{"t.toml:1:1: a pip step needs `venv`, `pip` or `python`: which pip to run"});
    auto r = problems(StepBuilder("pip")
                          .set("packages", ValueList{"indico"})
                          .set("pip", "/opt/indico/.venv/bin/pip")
                          .set("python", "/usr/bin/python3")
                          .s);
    CHECK(r == Lines{"t.toml:4:1: give `pip` or `python`, not both (`python` runs `PYTHON -m "
                     "pip`)"});
    CHECK(problems(StepBuilder("pip").venv("~/.venv").set("packages", ValueList{"indico"}).s)
              .empty());
    CHECK(problems(StepBuilder("pip").set("packages", ValueList{"a"}).set("python", "python3").s)
              .empty());
  }

  TEST_CASE("sql: where to connect, the query, params and expectations") {
    auto none = problems(StepBuilder("sql").set("query", "SELECT 1").s);
    CHECK(none == Lines{"t.toml:1:1: a sql step needs `dsn` or `indico_conf`: where to connect"});
    auto both = problems(StepBuilder("sql")
                             .set("dsn", "dbname=indico")
                             .set("indico_conf", "/opt/indico/etc/indico.conf")
                             .set("query", "SELECT 1")
                             .s);
    CHECK(both == Lines{"t.toml:3:1: give `dsn` or `indico_conf`, not both"});
    auto noquery = problems(StepBuilder("sql").set("dsn", "dbname=indico").s);
    CHECK(noquery == Lines{"t.toml:1:1: step 's' (kind 'sql') is missing required parameter "
                           "'query' (string: one SQL statement; $1, $2, ... refer to `params`)"});
    auto interp = problems(StepBuilder("sql")
                               .set("dsn", "dbname=indico")
                               .set("query", "SELECT * FROM t WHERE v = '${version}'")
                               .s);
    CHECK(interp == Lines{"t.toml:3:9: `${...}` inside `query` would put values into SQL text: "
                          "write $1, $2, ... and pass the values in `params`"});
    Value params(ValueList{Value("ok"), Value(ValueTable{}, SourceLoc{"t.toml", 4, 18})});
    auto badparam = problems(
        StepBuilder("sql").set("dsn", "d").set("query", "SELECT $1, $2").set("params", params).s);
    CHECK(badparam ==
          Lines{"t.toml:4:18: `params` values must be strings, numbers or booleans, not a table"});
    auto expect = problems(StepBuilder("sql")
                               .set("dsn", "d")
                               .set("query", "SELECT 1")
                               .set("expect", ValueList{"a"})
                               .set("expect_rows", -1)
                               .s);
    CHECK(expect == Lines{"t.toml:4:10: `expect` must be one value (string, number or boolean) "
                          "compared with the result's `value`; to check a row count use "
                          "`expect_rows`",
                          "t.toml:5:15: `expect_rows` cannot be negative"});
    CHECK(problems(StepBuilder("sql")
                       .set("indico_conf", "~/etc/indico.conf")
                       .set("query", "SELECT version_num FROM alembic_version")
                       .set("expect", "abc123")
                       .set("params", ValueList{"${x}", 1, true})
                       .s)
              .empty());
  }

  TEST_CASE("pg-dump: plain dumps cannot be verified") {
    auto p = problems(StepBuilder("pg-dump")
                          .set("dsn", "dbname=indico")
                          .set("output", "/tmp/x.sql")
                          .set("format", "plain")
                          .set("verify", true)
                          .s);
    CHECK(p == Lines{"t.toml:5:10: `verify` needs an archive format: pg_restore --list cannot "
                     "read a plain SQL dump (use format = \"custom\", or verify = false)"});
    CHECK(problems(StepBuilder("pg-dump")
                       .set("dsn", "dbname=indico")
                       .set("output", "/tmp/x.sql")
                       .set("format", "plain")
                       .s)
              .empty());
    auto missing = problems(StepBuilder("pg-dump").set("dsn", "dbname=indico").s);
    CHECK(missing == Lines{"t.toml:1:1: step 's' (kind 'pg-dump') is missing required parameter "
                           "'output' (path: the dump file to write (a directory for format = "
                           "\"directory\"))"});
  }

  TEST_CASE("file: exactly one action") {
    auto none = problems(StepBuilder("file").s);
    CHECK(none ==
          Lines{"t.toml:1:1: a file step needs one of `touch`, `mkdir`, `copy`, `symlink`: what "
                "to do"});
    auto two = problems(StepBuilder("file")
                            .set("touch", "~/web/indico.wsgi")
                            .set("copy", inline_table(3, {{"from", "a"}, {"to", "b"}}))
                            .s);
    CHECK(two == Lines{"t.toml:3:1: a file step does one thing: `touch` and `copy` cannot be "
                       "combined (use two steps)"});
    CHECK(problems(StepBuilder("file").set("touch", "~/web/indico.wsgi").s).empty());
    CHECK(problems(StepBuilder("file").set("mkdir", "~/log/nginx").s).empty());
  }

  TEST_CASE("file: copy's keys, with suggestions, and its mode") {
    auto typo =
        problems(StepBuilder("file")
                     .set("copy", inline_table(2, {{"from", "a"}, {"to", "b"}, {"moed", "0640"}}))
                     .s);
    CHECK(typo == Lines{"t.toml:2:52: unknown key 'moed' in `copy` (did you mean 'mode'?); "
                        "expected from, to, owner, group, mode, preserve"});
    auto missing = problems(StepBuilder("file").set("copy", inline_table(2, {{"from", "a"}})).s);
    CHECK(missing == Lines{"t.toml:2:10: `copy` needs `to`: the destination path"});
    auto mode = problems(
        StepBuilder("file")
            .set("copy", inline_table(2, {{"from", "a"}, {"to", "b"}, {"mode", "rw-r--r--"}}))
            .s);
    CHECK(mode == Lines{"t.toml:2:59: `copy.mode` must be an octal string such as \"0640\", not "
                        "\"rw-r--r--\""});
    auto decimal =
        problems(StepBuilder("file")
                     .set("copy", inline_table(2, {{"from", "a"}, {"to", "b"}, {"mode", 640}}))
                     .s);
    CHECK(decimal == Lines{"t.toml:2:59: `copy.mode` must be an octal string such as \"0640\": "
                           "a TOML integer like 640 is read as decimal"});
    auto type = problems(
        StepBuilder("file")
            .set("copy", inline_table(2, {{"from", "a"}, {"to", "b"}, {"preserve", "yes"}}))
            .s);
    CHECK(type == Lines{"t.toml:2:63: `copy.preserve` must be a boolean, not a string"});
    CHECK(problems(StepBuilder("file")
                       .set("copy", inline_table(2, {{"from", "indico.conf.new"},
                                                     {"to", "/opt/indico/etc/indico.conf"},
                                                     {"owner", "indico"},
                                                     {"group", "nginx"},
                                                     {"mode", "0640"},
                                                     {"preserve", false}}))
                       .s)
              .empty());
  }

  TEST_CASE("file: symlink is { target, link }") {
    auto missing =
        problems(StepBuilder("file").set("symlink", inline_table(2, {{"target", "~/etc/x"}})).s);
    CHECK(missing == Lines{"t.toml:2:10: `symlink` needs `link`: the path of the link itself"});
    auto typo = problems(
        StepBuilder("file").set("symlink", inline_table(2, {{"target", "a"}, {"lnk", "b"}})).s);
    CHECK(typo == Lines{"t.toml:2:10: `symlink` needs `link`: the path of the link itself",
                        "t.toml:2:32: unknown key 'lnk' in `symlink` (did you mean 'link'?); "
                        "expected target, link"});
    CHECK(problems(StepBuilder("file")
                       .set("symlink", inline_table(2, {{"target", "~/etc/indico.conf"},
                                                        {"link", "~/.indico.conf"}}))
                       .s)
              .empty());
  }

  TEST_CASE("confirm: default is yes or no, and the prompt says something") {
    auto p = problems(StepBuilder("confirm").set("prompt", "Go on?").set("default", "maybe").s);
    CHECK(p == Lines{"t.toml:3:11: bad value \"maybe\" for 'default'; expected one of: yes, no"});
    auto q = problems(StepBuilder("confirm").set("prompt", " ").s);
    CHECK(q == Lines{"t.toml:2:10: `prompt` is empty: ask a question"});
    CHECK(problems(StepBuilder("confirm").set("prompt", "Go on?").set("default", "no").s).empty());
  }

  TEST_CASE("lock-watchdog: needs watches, a sane max_fires and poll") {
    auto p = problems(StepBuilder("lock-watchdog").set("dsn", "d").set("threshold", "5s").s);
    CHECK(
        p ==
        Lines{
            "t.toml:1:1: a lock-watchdog needs `watches`: the steps whose lock waits it watches"});
    auto q = problems(StepBuilder("lock-watchdog")
                          .watches("db-upgrade")
                          .set("dsn", "d")
                          .set("threshold", "5s")
                          .set("max_fires", 0)
                          .set("poll", "0ms")
                          .s);
    CHECK(q == Lines{"t.toml:5:13: `max_fires` must be at least 1, not 0",
                     "t.toml:6:8: `poll` must be longer than 0s"});
    auto r = problems(StepBuilder("lock-watchdog").watches("db-upgrade").set("dsn", "d").s);
    CHECK(r == Lines{"t.toml:1:1: step 's' (kind 'lock-watchdog') is missing required parameter "
                     "'threshold' (duration: how long a lock wait must last before the watchdog "
                     "fires)"});
    CHECK(problems(StepBuilder("lock-watchdog")
                       .watches("db-upgrade")
                       .set("dsn", "${db_dsn}")
                       .set("threshold", "5s")
                       .set("poll", "250ms")
                       .set("max_fires", 3)
                       .set("match", "ordo-db-upgrade")
                       .s)
              .empty());
  }

  TEST_CASE("wait-for: exactly one target, well formed") {
    auto none = problems(StepBuilder("wait-for").set("within", "30s").s);
    CHECK(
        none ==
        Lines{"t.toml:1:1: a wait-for step needs one of `port`, `url`, `path`: what to wait for"});
    auto two = problems(StepBuilder("wait-for").set("port", "localhost:5432").set("path", "/x").s);
    CHECK(two == Lines{"t.toml:3:1: a wait-for step waits for one thing: `port` and `path` "
                       "cannot be combined (use two steps)"});
    auto port = problems(StepBuilder("wait-for").set("port", "5432").s);
    CHECK(port == Lines{"t.toml:2:8: `port` must be \"host:port\" such as \"localhost:5432\", "
                        "not \"5432\""});
    CHECK(problems(StepBuilder("wait-for").set("port", "db:99999").s).size() == 1);
    auto url = problems(StepBuilder("wait-for").set("url", "ftp://x/").s);
    CHECK(url == Lines{"t.toml:2:7: `url` must start with http:// or https://, not \"ftp://x/\""});
    CHECK(problems(StepBuilder("wait-for").set("port", "[::1]:8008").s).empty());
    CHECK(problems(StepBuilder("wait-for").set("port", "${db_host}:5432").s).empty());
    CHECK(problems(StepBuilder("wait-for").set("url", "https://indico.example/").s).empty());
    CHECK(problems(StepBuilder("wait-for").set("path", "/run/uwsgi.sock").s).empty());
  }

  TEST_CASE("the schema is deterministic and covers every kind and parameter") {
    std::string a = plan_json_schema(registry());
    Registry other = builtin_registry();
    CHECK(a == plan_json_schema(other));
    CHECK(a.starts_with("{\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"));
    CHECK(a.ends_with("}\n"));
    for (const auto& e : registry().all()) {
      INFO("kind ", e->spec().kind);
      CHECK(a.find("\"const\": \"" + e->spec().kind + "\"") != std::string::npos);
      for (const ParamSpec& p : e->spec().params)
        CHECK(a.find("\"" + p.name + "\": {\n") != std::string::npos);
    }
  }

  TEST_CASE("schemas/plan.schema.json is fresh" *
            doctest::skip(std::getenv("ORDO_SOURCE_ROOT") == nullptr)) {
    std::string path = std::string(std::getenv("ORDO_SOURCE_ROOT")) + "/schemas/plan.schema.json";
    std::string checked_in = read_file(path);
    std::string generated = plan_json_schema(registry());
    bool fresh = checked_in == generated;
    CHECK_MESSAGE(fresh, path, " is stale (first difference at line ",
                  first_difference(checked_in, generated),
                  "): regenerate it with `ordo schema > schemas/plan.schema.json`");
  }

  TEST_CASE("`ordo schema` prints the generated schema" * doctest::timeout(30) *
            doctest::skip(std::getenv("ORDO_BIN") == nullptr)) {
    std::string cmd = std::string(std::getenv("ORDO_BIN")) + " schema";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    int status = ::pclose(pipe);
    CHECK(status == 0);
    bool same = out == plan_json_schema(registry());
    CHECK_MESSAGE(same, "`ordo schema` differs from plan_json_schema() at line ",
                  first_difference(out, plan_json_schema(registry())));
  }
}
