// Unit tests: the table-valued keys of a step in the plan loader: retries, env and outputs,
// what they read and the errors of malformed ones.
#include <doctest/doctest.h>

#include "loader_test_util.h"
#include "plan_loader.h"

using namespace ordo;
using namespace loader_test;
using namespace std::string_literals;

TEST_SUITE("loader") {
  TEST_CASE("retries: an integer counts retries, a table counts attempts") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
retries = 2
[steps.b]
kind = "noop"
retries = { attempts = 3, backoff = "2s", max_backoff = "1m", jitter = true }
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    CHECK(r.plan->steps[0].retries.attempts == 3);
    const RetryPolicy& b = r.plan->steps[1].retries;
    CHECK(b.attempts == 3);
    CHECK(b.backoff == Millis(2000));
    CHECK(b.max_backoff == Millis(60000));
    CHECK(b.jitter);

    auto bad = load_steps(R"([steps.a]
kind = "noop"
retries = -1
[steps.b]
kind = "noop"
retries = { atempts = 2, attempts = 0, backoff = 5 }
[steps.c]
kind = "noop"
retries = "3"
)");
    CHECK(join(bad.errors) ==
          join({
              "t.toml:5:11: 'retries' must be 0 or more, not -1",
              "t.toml:8:13: unknown key 'atempts' in 'retries' (did you mean 'attempts'?)",
              "t.toml:8:37: 'attempts' must be 1 or more, not 0",
              "t.toml:8:50: 'backoff' must be a duration string such as \"5s\", not an integer",
              "t.toml:11:11: 'retries' must be an integer or a table { attempts, backoff, "
              "max_backoff, jitter }, not a string",
          }));
  }

  TEST_CASE("env: set, prepend and append") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
[steps.a.env]
PGAPPNAME = "ordo"
PATH = { prepend = "/opt/bin" }
LD_LIBRARY_PATH = { append = "${lib}" }
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    const auto& env = r.plan->steps[0].env;
    REQUIRE(env.size() == 3);
    CHECK(env[0].name == "PGAPPNAME"s);
    CHECK(env[0].mode == EnvEntry::Mode::Set);
    CHECK(env[0].value == "ordo"s);
    CHECK(env[0].loc.str() == "t.toml:6:14"s);
    CHECK(env[1].name == "PATH"s);
    CHECK(env[1].mode == EnvEntry::Mode::Prepend);
    CHECK(env[1].value == "/opt/bin"s);
    CHECK(env[2].mode == EnvEntry::Mode::Append);
    CHECK(env[2].value == "${lib}"s);
    CHECK(env[2].loc.str() == "t.toml:8:31"s);

    auto bad = load_steps(R"([steps.a]
kind = "noop"
env = { A = { prepend = "x", append = "y" }, B = {}, C = { prepnd = "z" }, D = 1 }
[steps.b]
kind = "noop"
env = ["A=1"]
)");
    CHECK(join(bad.errors) ==
          join({
              "t.toml:5:13: env 'A' must have exactly one of 'prepend' or 'append'",
              "t.toml:5:50: env 'B' must have exactly one of 'prepend' or 'append'",
              "t.toml:5:60: unknown key 'prepnd' in env 'C' (did you mean 'prepend'?)",
              "t.toml:5:80: env 'D' must be a string or a table { prepend = \"...\" } / { append = "
              "\"...\" }, not an integer",
              "t.toml:8:7: 'env' must be a table of NAME = \"value\", not a list",
          }));
    CHECK(bad.plan->steps[0].env.empty());
  }

  TEST_CASE("outputs: from defaults to stdout, regexes must compile") {
    auto r = load_steps(R"toml([steps.a]
kind = "exec"
argv = ["x"]
outputs = { version = { regex = "v([0-9.]+)" }, err = { from = "stderr" } }
)toml");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    const auto& o = r.plan->steps[0].outputs;
    REQUIRE(o.size() == 2);
    CHECK(o[0].name == "version"s);
    CHECK(o[0].from == "stdout"s);
    CHECK(o[0].regex == "v([0-9.]+)"s);
    CHECK(o[0].loc.str() == "t.toml:6:13"s);
    CHECK(o[1].name == "err"s);
    CHECK(o[1].from == "stderr"s);
    CHECK(o[1].regex.empty());

    auto bad = load_steps(R"([steps.a]
kind = "exec"
[steps.a.outputs]
v = { regex = "v([0-9" }
w = { from = "stdin" }
x = "stdout"
y = { form = "stdout" }
)");
    REQUIRE(bad.errors.size() == 4);
    CHECK(bad.errors[0].substr(0, 47) == "t.toml:6:16: invalid regex for output 'v': Unex"s);
    CHECK(bad.errors[1] == "t.toml:7:15: 'from' must be \"stdout\" or \"stderr\", not \"stdin\""s);
    CHECK(bad.errors[2] ==
          "t.toml:8:5: output 'x' must be a table { from = \"stdout\", regex = \"...\" }, not a "
          "string"s);
    CHECK(bad.errors[3] == "t.toml:9:7: unknown key 'form' in output 'y' (did you mean 'from'?)"s);
    CHECK(bad.plan->steps[0].outputs.empty());
  }
}
