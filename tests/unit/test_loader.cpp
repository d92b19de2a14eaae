// Unit tests: the plan loader (TOML -> Plan), its messages and positions, includes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "plan_loader.h"

using namespace ordo;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// One string per line, so a failed CHECK prints both sides readably.
std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Every diagnostic, sorted, as "file:line:col: message".
std::vector<std::string> lines(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.sorted()) out.push_back(x.str());
  return out;
}

struct Loaded {
  std::optional<Plan> plan;
  std::vector<std::string> errors;
};

Loaded load(std::string_view text, const std::string& path = "t.toml") {
  Diagnostics d;
  auto plan = load_plan_text(text, path, d);
  return {std::move(plan), lines(d)};
}

// A plan with the [plan] header, so tests only write what they test (steps start at line 3).
Loaded load_steps(const std::string& body) {
  return load("[plan]\nname = \"p\"\n" + body);
}

// A fresh scratch directory per test, removed afterwards unless ORDO_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ordo-loader-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("ORDO_KEEP_TEST_DIRS")) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes rel (creating directories) and returns its full path.
  std::string write(const std::string& rel, const std::string& text) const {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path(const std::string& rel) const { return (path_ / rel).string(); }
  const fs::path& root() const { return path_; }

 private:
  fs::path path_;
};

// Runs a test with the working directory inside a TempDir; restores it afterwards.
class ChangeDir {
 public:
  explicit ChangeDir(const fs::path& to) : old_(fs::current_path()) { fs::current_path(to); }
  ~ChangeDir() { fs::current_path(old_); }
  ChangeDir(const ChangeDir&) = delete;
  ChangeDir& operator=(const ChangeDir&) = delete;

 private:
  fs::path old_;
};

}  // namespace

TEST_SUITE("loader") {
  TEST_CASE("a three-line plan loads with positions") {
    auto r = load("plan.name = \"hello\"\n[steps.hi]\nkind = \"noop\"\n");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    CHECK(r.plan->name == "hello"s);
    CHECK(r.plan->path == "t.toml"s);
    CHECK(join(r.plan->files) == join({"t.toml"}));
    REQUIRE(r.plan->steps.size() == 1);
    const StepDecl& s = r.plan->steps[0];
    CHECK(s.id == "hi"s);
    CHECK(s.kind == "noop"s);
    CHECK(s.loc.str() == "t.toml:2:1"s);
    CHECK(s.kind_loc.str() == "t.toml:3:9"s);  // inside the quotes
    CHECK(s.idempotent);
    CHECK(s.retries.attempts == 1);
    CHECK(s.kill_grace == Millis(10000));
  }

  TEST_CASE("TOML syntax errors carry the parser's position and stop the load") {
    auto r = load("[plan]\nname = \n");
    CHECK_FALSE(r.plan);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] ==
          "t.toml:2:8: Error while parsing key-value pair: expected value, saw '\\n'"s);
  }

  TEST_CASE("a missing plan file is a clear error without a position") {
    Diagnostics d;
    auto plan = load_plan_file("/nonexistent/ordo/plan.toml", d);
    CHECK_FALSE(plan);
    CHECK(join(lines(d)) ==
          join({"/nonexistent/ordo/plan.toml: cannot read plan: No such file or directory"}));
  }

  TEST_CASE("load_plan_file reads the file and names it as given") {
    TempDir dir;
    std::string path = dir.write("p.toml", "[plan]\nname = \"p\"\n[steps.a]\nkind = 1\n");
    Diagnostics d;
    auto plan = load_plan_file(path, d);
    REQUIRE(plan);
    CHECK(plan->path == path);
    CHECK(join(lines(d)) == join({path + ":4:8: 'kind' must be a string, not an integer"}));
  }

  TEST_CASE("unknown top-level keys are reported at the key with a suggestion") {
    auto r = load("[plan]\nname = \"p\"\n\n[step.a]\nkind = \"noop\"\n[zzz]\n");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({"t.toml:4:2: unknown top-level key 'step' (did you mean 'steps'?)",
                "t.toml:6:2: unknown top-level key 'zzz'"}));
  }

  TEST_CASE("top-level sections must be tables") {
    auto r = load("steps = \"a\"\n[plan]\nname = \"p\"\n");
    CHECK(join(r.errors) == join({"t.toml:1:9: 'steps' must be a table ([steps]), not a string"}));
  }

  TEST_CASE("[plan] needs a well-formed name and knows only its keys") {
    CHECK(join(load("[steps.a]\nkind = \"noop\"\n").errors) ==
          join({"t.toml:1:1: missing [plan] table with the plan's 'name'"}));
    CHECK(join(load("x = 1\n[plan]\ndescription = \"d\"\n").errors) ==
          join({"t.toml:1:1: unknown top-level key 'x'", "t.toml:2:1: [plan] has no 'name'"}));
    CHECK(join(load("[plan]\nname = \"Indico 3\"\n").errors) ==
          join({"t.toml:2:9: plan name 'Indico 3' must match [a-z0-9-]+"}));
    CHECK(join(load("[plan]\nname = 3\n").errors) ==
          join({"t.toml:2:8: 'name' must be a string, not an integer"}));
    CHECK(join(load("[plan]\nname = \"p\"\nnmae = \"q\"\ninclude = \"x.toml\"\n").errors) ==
          join({"t.toml:3:1: unknown key 'nmae' in [plan] (did you mean 'name'?)",
                "t.toml:4:11: 'include' must be a list of file paths, not a string"}));
    auto ok = load("[plan]\nname = \"indico-3x\"\ndescription = \"Upgrade\"\n");
    CHECK(ok.errors.empty());
    CHECK(ok.plan->description == "Upgrade"s);
    CHECK(ok.plan->loc.str() == "t.toml:1:1"s);
  }

  TEST_CASE("short-form vars infer their type") {
    auto r = load(
        "[plan]\nname = \"p\"\n[vars]\nuser = \"indico\"\nflag = true\nport = 5432\n"
        "pkgs = [\"a\", \"b\"]\n");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->vars.size() == 4);
    const auto& v = r.plan->vars;
    CHECK(v[0].name == "user"s);  // declaration order, not key order
    CHECK(v[0].type == VarType::String);
    CHECK(v[0].default_value.as_string() == "indico"s);
    CHECK(v[0].loc.str() == "t.toml:4:1"s);
    CHECK(v[0].default_value.loc.str() == "t.toml:4:9"s);
    CHECK(v[1].type == VarType::Bool);
    CHECK(v[1].default_value.as_bool());
    CHECK(v[2].type == VarType::Int);
    CHECK(v[2].default_value.as_int() == 5432);
    CHECK(v[3].type == VarType::List);
    CHECK(v[3].default_value.to_string() == "[\"a\", \"b\"]"s);
  }

  TEST_CASE("long-form vars read every key") {
    auto r = load(R"([plan]
name = "p"
[vars.venv]
default = "~/.venv"
type = "path"
description = "the virtualenv"
[vars.password]
type = "string"
secret = true
[vars.mode]
default = "fast"
choices = ["fast", "safe"]
[vars]
wait = { default = "5s", type = "duration" }
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->vars.size() == 4);
    const VarDecl* venv = r.plan->find_var("venv");
    REQUIRE(venv);
    CHECK(venv->type == VarType::Path);
    CHECK(venv->description == "the virtualenv"s);
    CHECK(venv->default_value.as_string() == "~/.venv"s);
    const VarDecl* pw = r.plan->find_var("password");
    REQUIRE(pw);
    CHECK(pw->secret);
    CHECK(pw->default_value.is_null());
    const VarDecl* mode = r.plan->find_var("mode");
    REQUIRE(mode);
    CHECK(mode->type == VarType::String);  // inferred from the default
    CHECK(join(mode->choices) == join({"fast", "safe"}));
    const VarDecl* wait = r.plan->find_var("wait");
    REQUIRE(wait);
    CHECK(wait->type == VarType::Duration);
    CHECK(wait->default_value.as_string() == "5s"s);
  }

  TEST_CASE("bad var declarations are reported where they are") {
    auto r = load(R"([plan]
name = "p"
[vars]
Bad = 1
steps = 2
ratio = 1.5
a = { defualt = 1 }
b = { type = "strng" }
c = { type = "int", default = "5" }
d = { type = "duration", default = "5 sec" }
e = { default = "x", choices = ["y", "z"] }
f = [[1]]
)");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({
              "t.toml:4:1: variable name 'Bad' must match [a-z_][a-z0-9_]*",
              "t.toml:5:1: variable name 'steps' is reserved",
              "t.toml:6:9: variable 'ratio' cannot be a float (use a string, boolean, integer or "
              "list)",
              "t.toml:7:7: unknown key 'defualt' in [vars.a] (did you mean 'default'?)",
              "t.toml:8:15: unknown variable type 'strng': expected string, bool, int, path, list "
              "or duration",
              "t.toml:9:31: default of variable 'c' must be an int, not a string",
              "t.toml:10:37: bad duration \"5 sec\": unknown unit 'sec'; expected a duration such "
              "as \"500ms\", \"5s\", \"2m\" or \"1h30m\" (units ms, s, m, h, d)",
              "t.toml:11:18: default 'x' of variable 'e' is not one of its choices: y, z",
              "t.toml:12:6: elements of list variable 'f' must be strings, integers or booleans, "
              "not a list",
          }));
  }

  TEST_CASE("step ids, shapes and kinds are checked") {
    auto r = load_steps(R"([steps.Bad_Id]
kind = "noop"
[steps]
plain = "noop"
[steps.nokind]
description = "forgot the kind"
[steps.x]
kind = ["noop"]
)");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({
              "t.toml:3:8: step id 'Bad_Id' must match [a-z0-9][a-z0-9-]*",
              "t.toml:6:9: step 'plain' must be a table ([steps.plain]), not a string",
              "t.toml:7:1: step 'nokind' has no 'kind'",
              "t.toml:10:8: 'kind' must be a string, not a list",
          }));
    // Broken steps are still declared so references to them do not cascade.
    CHECK(r.plan->find_step("nokind") != nullptr);
    CHECK(r.plan->find_step("plain") == nullptr);
  }

  TEST_CASE("steps and params keep declaration order and positions") {
    auto r = load_steps(R"([steps.zeta]
kind = "exec"
argv = ["b", "a"]
success_codes = [0, 3]
[steps.alpha]
kind = "shell"
script = "echo hi"
ratio = 0.5
when_date = 1979-05-27
conf = { z = 1, a = "x" }
[steps.mid]
kind = "noop"
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->steps.size() == 3);
    CHECK(r.plan->steps[0].id == "zeta"s);
    CHECK(r.plan->steps[1].id == "alpha"s);
    CHECK(r.plan->steps[2].id == "mid"s);
    const auto& zp = r.plan->steps[0].params;
    REQUIRE(zp.size() == 2);
    CHECK(zp[0].first == "argv"s);
    CHECK(zp[0].second.key_loc.str() == "t.toml:5:1"s);
    CHECK(zp[0].second.loc.str() == "t.toml:5:8"s);
    CHECK(zp[0].second.as_list()[1].loc.str() == "t.toml:5:15"s);  // inside the quotes
    CHECK(zp[1].second.to_string() == "[0, 3]"s);
    CHECK(zp[1].second.as_list()[1].loc.str() == "t.toml:6:21"s);
    const auto& ap = r.plan->steps[1].params;
    REQUIRE(ap.size() == 4);
    CHECK(ap[0].first == "script"s);
    CHECK(ap[0].second.loc.str() == "t.toml:9:11"s);
    CHECK(ap[1].second.kind() == ValueKind::Double);
    CHECK(ap[2].second.as_string() == "1979-05-27"s);
    CHECK(ap[3].second.to_string() == "{ z = 1, a = \"x\" }"s);  // declaration order
    CHECK(ap[3].second.as_table()[1].second.key_loc.str() == "t.toml:12:17"s);
    CHECK(ap[3].second.as_table()[1].second.loc.str() == "t.toml:12:22"s);
  }

  TEST_CASE("edges keep each reference's position") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
requires = ["b", "c"]
after = ['d']
on_failure = ["e"]
watches = "f"
triggered_by = ["g", "h"]
)");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    const StepDecl& s = r.plan->steps[0];
    REQUIRE(s.requires_.size() == 2);
    CHECK(s.requires_[1].id == "c"s);
    CHECK(s.requires_[1].loc.str() == "t.toml:5:19"s);
    CHECK(s.after[0].loc.str() == "t.toml:6:11"s);
    CHECK(s.on_failure[0].id == "e"s);
    REQUIRE(s.watches.size() == 1);
    CHECK(s.watches[0].id == "f"s);
    CHECK(s.watches[0].loc.str() == "t.toml:8:12"s);
    CHECK(s.is_watcher());
    CHECK(s.triggered_by.size() == 2);
  }

  TEST_CASE("wrongly typed common keys are errors at the value") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
requires = "b"
after = [1]
watches = 3
when = true
always = "yes"
idempotent = 1
handles = "no"
tags = "x"
description = 5
user = 0
timeout = 30
kill_grace = "5 sec"
)");
    REQUIRE(r.plan);
    CHECK(join(r.errors) ==
          join({
              "t.toml:5:12: 'requires' must be a list of step ids, not a string",
              "t.toml:6:10: each entry of 'after' must be a step id string, not an integer",
              "t.toml:7:11: 'watches' must be a step id or a list of step ids, not an integer",
              "t.toml:8:8: 'when' must be a string (an expression), not a boolean",
              "t.toml:9:10: 'always' must be true or false, not a string",
              "t.toml:10:14: 'idempotent' must be true or false, not an integer",
              "t.toml:11:11: 'handles' must be true or false, not a string",
              "t.toml:12:8: 'tags' must be a list of strings, not a string",
              "t.toml:13:15: 'description' must be a string, not an integer",
              "t.toml:14:8: 'user' must be a string, not an integer",
              "t.toml:15:11: 'timeout' must be a duration string such as \"5s\", not an integer",
              "t.toml:16:15: bad duration \"5 sec\": unknown unit 'sec'; expected a duration such "
              "as \"500ms\", \"5s\", \"2m\" or \"1h30m\" (units ms, s, m, h, d)",
          }));
  }

  TEST_CASE("located texts point inside the quotes, multi-line strings too") {
    auto r = load_steps(
        "[steps.a]\nkind = \"noop\"\n"
        "when = \"x == 1\"\n"           // line 5
        "user = '${u}'\n"               // line 6
        "venv = \"\"\"~/.venv\"\"\"\n"  // line 7
        "cwd = '''\n/srv/${d}'''\n"     // lines 8-9: content starts on line 9
        "description = \"tool\"\n"
        "tags = [\"x\", \"y\"]\n"
        "timeout = \"1h30m\"\n"
        "kill_grace = \"2s\"\n"
        "idempotent = false\n"
        "always = true\n"
        "handles = true\n");
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    const StepDecl& s = r.plan->steps[0];
    REQUIRE(s.when);
    CHECK(s.when->text == "x == 1"s);
    CHECK(s.when->loc.str() == "t.toml:5:9"s);
    CHECK(s.user.text == "${u}"s);
    CHECK(s.user.loc.str() == "t.toml:6:9"s);
    CHECK(s.venv.text == "~/.venv"s);
    CHECK(s.venv.loc.str() == "t.toml:7:11"s);
    CHECK(s.cwd.text == "/srv/${d}"s);
    CHECK(s.cwd.loc.str() == "t.toml:9:1"s);
    CHECK(s.description == "tool"s);
    CHECK(join(s.tags) == join({"x", "y"}));
    CHECK(s.timeout == Millis(5400000));
    CHECK(s.kill_grace == Millis(2000));
    CHECK_FALSE(s.idempotent);
    CHECK(s.always);
    CHECK(s.handles);
  }

  TEST_CASE("string positions count code points, like the parser") {
    auto r = load_steps("[steps.a]\nkind = \"noop\"\nnote = \"é\"; \n");
    REQUIRE_FALSE(r.plan);
    CHECK(r.errors[0].substr(0, 12) == "t.toml:5:11:"s);
    auto ok = load_steps("[steps.a]\nkind = \"noop\"\nx = { a = \"é\", b = \"${v}\" }\n");
    REQUIRE(ok.plan);
    CHECK(ok.plan->steps[0].params[0].second.as_table()[1].second.loc.str() == "t.toml:5:21"s);
  }

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

  TEST_CASE("an inline step table is located at its id") {
    auto r = load_steps(R"([steps.a]
kind = "noop"
[steps]
b = { kind = "noop" }
)");
    CHECK(r.errors.empty());
    CHECK(r.plan->steps[1].loc.str() == "t.toml:6:1"s);  // inline table: the id key
  }

  TEST_CASE("includes merge vars and steps first, in include order") {
    TempDir dir;
    dir.write("plans/fragments/backup.toml", R"([vars]
backup_dir = "/var/backups"
[steps.backup-db]
kind = "pg-dump"
)");
    dir.write("plans/common/stop.toml", R"([plan]
description = "stop things"
include = ["../fragments/tools.toml"]
[steps.stop]
kind = "systemd"
)");
    dir.write("plans/fragments/tools.toml", "[steps.tools]\nkind = \"noop\"\n");
    std::string main = dir.write("plans/indico.toml", R"([plan]
name = "indico"
include = ["fragments/backup.toml", "common/stop.toml"]
[vars]
user = "indico"
[steps.upgrade]
kind = "exec"
requires = ["backup-db", "stop"]
)");
    Diagnostics d;
    auto plan = load_plan_file(main, d);
    REQUIRE(plan);
    CHECK(lines(d).empty());
    std::string base = dir.path("plans/");
    CHECK(join(plan->files) == join({main, base + "fragments/backup.toml",
                                     base + "common/stop.toml", base + "fragments/tools.toml"}));
    REQUIRE(plan->steps.size() == 4);
    CHECK(plan->steps[0].id == "backup-db"s);
    CHECK(plan->steps[1].id == "tools"s);
    CHECK(plan->steps[2].id == "stop"s);
    CHECK(plan->steps[3].id == "upgrade"s);
    CHECK(plan->steps[0].loc.str() == base + "fragments/backup.toml:3:1");
    CHECK(plan->steps[1].loc.file == base + "fragments/tools.toml");
    REQUIRE(plan->vars.size() == 2);
    CHECK(plan->vars[0].name == "backup_dir"s);
    CHECK(plan->vars[1].name == "user"s);
    CHECK(plan->name == "indico"s);
    CHECK(plan->description.empty());  // a fragment's description is not the plan's
  }

  TEST_CASE("include paths stay relative as given") {
    TempDir dir;
    dir.write("plans/fragments/backup.toml", "[steps.a]\nkind = 3\n");
    dir.write("plans/main.toml", "[plan]\nname = \"m\"\ninclude = [\"fragments/backup.toml\"]\n");
    ChangeDir cd(dir.root());
    Diagnostics d;
    auto plan = load_plan_file("plans/main.toml", d);
    REQUIRE(plan);
    CHECK(join(lines(d)) ==
          join({"plans/fragments/backup.toml:2:8: 'kind' must be a string, not an integer"}));
    CHECK(join(plan->files) == join({"plans/main.toml", "plans/fragments/backup.toml"}));
  }

  TEST_CASE("include cycles, missing includes and bad fragments are errors at the include") {
    TempDir dir;
    std::string a =
        dir.write("a.toml", "[plan]\nname = \"a\"\ninclude = [\"b.toml\", \"nope.toml\"]\n");
    std::string b = dir.write("b.toml", "[plan]\ninclude = [\"sub/../a.toml\", \"c.toml\"]\n");
    std::string c = dir.write("c.toml", "[steps.x]\nkind = \n");
    Diagnostics d;
    auto plan = load_plan_file(a, d);
    REQUIRE(plan);
    std::string base = dir.path("");
    CHECK(join(lines(d)) ==
          join({
              a + ":3:23: cannot read included file '" + base +
                  "nope.toml': No such file or directory",
              b + ":2:13: include cycle: " + a + " -> " + b + " -> " + base + "a.toml",
              c + ":2:8: Error while parsing key-value pair: expected value, saw '\\n'",
          }));
    CHECK(join(plan->files) == join({a, b}));
  }

  TEST_CASE("a file included twice without a cycle is merged once") {
    TempDir dir;
    dir.write("common.toml", "[steps.common]\nkind = \"noop\"\n");
    dir.write("x.toml", "[plan]\ninclude = [\"common.toml\"]\n[steps.x]\nkind = \"noop\"\n");
    dir.write("y.toml", "[plan]\ninclude = [\"./common.toml\"]\n[steps.y]\nkind = \"noop\"\n");
    std::string main =
        dir.write("m.toml", "[plan]\nname = \"m\"\ninclude = [\"x.toml\", \"y.toml\"]\n");
    Diagnostics d;
    auto plan = load_plan_file(main, d);
    REQUIRE(plan);
    CHECK(lines(d).empty());
    REQUIRE(plan->steps.size() == 3);
    CHECK(plan->steps[0].id == "common"s);
    CHECK(plan->steps[1].id == "x"s);
    CHECK(plan->steps[2].id == "y"s);
  }

  TEST_CASE("duplicate steps and vars across files name the first definition") {
    TempDir dir;
    std::string frag = dir.write("frag.toml", R"([vars]
user = "a"
[steps.backup]
kind = "noop"
)");
    std::string main = dir.write("main.toml", R"([plan]
name = "m"
include = ["frag.toml"]
[vars]
user = "b"
[steps.backup]
kind = "noop"
)");
    Diagnostics d;
    auto plan = load_plan_file(main, d);
    REQUIRE(plan);
    CHECK(join(lines(d)) ==
          join({
              main + ":5:1: variable 'user' is already defined at " + frag + ":2:1",
              main + ":6:1: step 'backup' is already defined at " + frag + ":3:1",
          }));
    REQUIRE(plan->steps.size() == 1);
    CHECK(plan->steps[0].loc.file == frag);
    CHECK(plan->vars[0].default_value.as_string() == "a"s);
  }

  TEST_CASE("errors are all reported, not just the first") {
    auto r = load_steps(R"([steps.a]
timeout = "soon"
[steps.b]
kind = "noop"
requires = "a"
[steps.c]
retries = -5
)");
    REQUIRE(r.plan);
    CHECK(r.errors.size() == 5);
    CHECK(r.plan->steps.size() == 3);
  }

  TEST_CASE("a large generated plan loads in order") {
    const int n = 20000;
    std::string text = "[plan]\nname = \"big\"\n";
    for (int i = 0; i < n; ++i) {
      std::string id = "s" + std::to_string((i * 7919) % n);  // ids not in key order
      text += "[steps." + id + "]\nkind = \"noop\"\nrequires = [\"x\"]\n";
    }
    auto r = load(text);
    REQUIRE(r.plan);
    CHECK(r.errors.empty());
    REQUIRE(r.plan->steps.size() == static_cast<size_t>(n));
    CHECK(r.plan->steps[1].id == "s7919"s);
    CHECK(r.plan->steps[n - 1].loc.line == 3 + (n - 1) * 3);
  }

  // The loader releases converted steps' TOML subtrees in batches (4096 steps): every step keeps
  // its values and positions, and errors in later batches still point at the right place.
  TEST_CASE("a large plan keeps every step's values across the released batches") {
    const int n = 9000;
    std::string text = "[plan]\nname = \"big\"\n";
    for (int i = 0; i < n; ++i) {
      text += "[steps.s" + std::to_string(i) + "]\nkind = \"shell\"\nscript = \"echo " +
              std::to_string(i) + "\"\n";
      text +=
          i == n - 2 ? "tiemout = \"5s\"\n" : "requires = [\"s" + std::to_string(i / 2) + "\"]\n";
    }
    auto r = load(text);
    REQUIRE(r.plan);
    REQUIRE(r.plan->steps.size() == static_cast<size_t>(n));
    int bad = 0;
    for (int i = 0; i < n; ++i) {
      const StepDecl& s = r.plan->steps[i];
      const int line = 3 + i * 4;
      bool ok = s.id == "s" + std::to_string(i) && s.kind == "shell" && s.loc.line == line &&
                s.loc.file == "t.toml"s && s.params.size() == (i == n - 2 ? 2u : 1u) &&
                s.params[0].second.as_string() == "echo " + std::to_string(i) &&
                s.params[0].second.loc == SourceLoc{"t.toml", line + 2, 11};
      if (i != n - 2)
        ok = ok && s.requires_.size() == 1 && s.requires_[0].id == "s" + std::to_string(i / 2) &&
             s.requires_[0].loc == SourceLoc{"t.toml", line + 3, 14};
      if (!ok) ++bad;
    }
    CHECK(bad == 0);
    // `tiemout` is an executor parameter to the loader; it is still there with its position.
    const StepDecl& s = r.plan->steps[n - 2];
    REQUIRE(s.params.size() == 2);
    CHECK(s.params[1].first == "tiemout"s);
    CHECK(s.params[1].second.key_loc == SourceLoc{"t.toml", 3 + (n - 2) * 4 + 3, 1});
  }
}
