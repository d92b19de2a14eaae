// Unit tests: each built-in kind's cross-field rules (Executor::check) on top of its table:
// systemd, pip, sql, pg-dump, file, confirm, lock-watchdog and wait-for, with exact messages.
#include <doctest/doctest.h>

#include "spec.h"
#include "specs_test_util.h"

using namespace ordo;
using namespace specs_test;
using namespace std::string_literals;

namespace {

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

}  // namespace

TEST_SUITE("specs") {
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
}
