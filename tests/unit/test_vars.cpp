// Unit tests: --set parsing, variable resolution and conversion, --vars files, host facts.
#include <doctest/doctest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "facts.h"
#include "plan_loader.h"
#include "vars.h"

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

std::vector<std::string> lines(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.sorted()) out.push_back(x.str());
  return out;
}

// The plan every resolution test uses (vars start on line 4).
const char* const kPlan = R"([plan]
name = "p"
[vars]
user = "indico"
debug = false
workers = 4
wait = { default = "5s", type = "duration" }
pkgs = { type = "list", default = ["a"] }
venv = { type = "path", default = "~/.venv" }
mode = { default = "fast", choices = ["fast", "safe"] }
dsn = { type = "string", secret = true }
)";

Plan test_plan() {
  Diagnostics d;
  auto plan = load_plan_text(kPlan, "t.toml", d);
  REQUIRE(plan);
  REQUIRE(d.empty());
  return *plan;
}

VarOverride set(const std::string& arg) {
  auto o = parse_set_arg(arg);
  REQUIRE(o.ok());
  return *o;
}

// Resolves with the given --set args (dsn is always set, as it has no default).
VarValues resolve(std::vector<std::string> args, Diagnostics& d) {
  std::vector<VarOverride> overrides{set("dsn=postgresql:///indico")};
  for (const auto& a : args) overrides.push_back(set(a));
  return resolve_vars(test_plan(), overrides, d);
}

// A scratch directory per test, removed afterwards unless ORDO_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ordo-vars-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("ORDO_KEEP_TEST_DIRS")) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& rel, const std::string& text) const {
    std::ofstream((path_ / rel).string()) << text;
    return (path_ / rel).string();
  }

 private:
  fs::path path_;
};

}  // namespace

TEST_SUITE("vars") {
  TEST_CASE("parse_set_arg splits at the first '='") {
    auto o = parse_set_arg("dsn=host=/tmp port=5432");
    REQUIRE(o.ok());
    CHECK(o->name == "dsn"s);
    CHECK(o->text == "host=/tmp port=5432"s);
    CHECK(o->loc.str() == "--set"s);
    CHECK_FALSE(o->value.has_value());
    auto empty = parse_set_arg("x=");
    REQUIRE(empty.ok());
    CHECK(empty->text.empty());
    auto bad = parse_set_arg("novalue");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().str() == "--set: expected name=value, got 'novalue'"s);
    auto noname = parse_set_arg("=3");
    REQUIRE_FALSE(noname.ok());
    CHECK(noname.error().str() == "--set: missing variable name in '=3'"s);
  }

  TEST_CASE("defaults are used when nothing is set") {
    Diagnostics d;
    VarValues v = resolve({}, d);
    CHECK(d.empty());
    CHECK(v.at("user").as_string() == "indico"s);
    CHECK(v.at("user").loc.str() == "t.toml:4:9"s);
    CHECK_FALSE(v.at("debug").as_bool());
    CHECK(v.at("workers").as_int() == 4);
    CHECK(v.at("wait").as_string() == "5s"s);
    CHECK(v.at("pkgs").to_string() == "[\"a\"]"s);
    CHECK(v.at("venv").as_string() == "~/.venv"s);
    CHECK(v.at("dsn").as_string() == "postgresql:///indico"s);
    CHECK(v.at("dsn").loc.str() == "--set"s);
    CHECK(v.size() == 8);
  }

  TEST_CASE("--set text converts to each declared type") {
    for (auto [text, expect] : std::vector<std::pair<std::string, bool>>{{"true", true},
                                                                         {"yes", true},
                                                                         {"1", true},
                                                                         {"TRUE", true},
                                                                         {"false", false},
                                                                         {"no", false},
                                                                         {"0", false}}) {
      Diagnostics d;
      VarValues v = resolve({"debug=" + text}, d);
      CHECK(d.empty());
      CHECK(v.at("debug").as_bool() == expect);
    }
    Diagnostics d;
    VarValues v = resolve(
        {"workers=-12", "wait=1h30m", "pkgs= x , y,z ", "venv=/opt/${x} ", "user=a,b", "mode=safe"},
        d);
    CHECK(lines(d).empty());
    CHECK(v.at("workers").as_int() == -12);
    CHECK(v.at("wait").as_string() == "1h30m"s);
    CHECK(v.at("pkgs").to_string() == "[\"x\", \"y\", \"z\"]"s);
    CHECK(v.at("venv").as_string() == "/opt/${x} "s);  // verbatim: no expansion, no trimming
    CHECK(v.at("user").as_string() == "a,b"s);
    CHECK(v.at("mode").as_string() == "safe"s);
  }

  TEST_CASE("an empty --set of a list is an empty list; later overrides win") {
    Diagnostics d;
    VarValues v = resolve({"pkgs=", "workers=1", "workers=2"}, d);
    CHECK(d.empty());
    CHECK(v.at("pkgs").as_list().empty());
    CHECK(v.at("workers").as_int() == 2);
  }

  TEST_CASE("values that do not convert are errors") {
    Diagnostics d;
    VarValues v = resolve({"debug=maybe", "workers=4x", "wait=soon", "mode=slow"}, d);
    CHECK(join(lines(d)) ==
          join({
              "--set: variable 'debug' expects a bool (true/false/yes/no/1/0), got 'maybe'",
              "--set: variable 'workers' expects an int, got '4x'",
              "--set: variable 'wait' expects a duration: bad duration \"soon\": expected a "
              "duration such as \"500ms\", \"5s\", \"2m\" or \"1h30m\" (units ms, s, m, h, d)",
              "--set: variable 'mode' must be one of fast, safe; got 'slow'",
          }));
    CHECK(v.at("workers").as_int() == 4);  // the default stays
  }

  TEST_CASE("unknown names in --set are errors with a suggestion") {
    Diagnostics d;
    resolve({"usr=x", "zzzzzz=1"}, d);
    CHECK(join(lines(d)) == join({"--set: unknown variable 'usr' in --set (did you mean 'user'?)",
                                  "--set: unknown variable 'zzzzzz' in --set"}));
  }

  TEST_CASE("a variable without a default must be set") {
    Diagnostics d;
    VarValues v = resolve_vars(test_plan(), {}, d);
    CHECK(join(lines(d)) ==
          join({"t.toml:11:1: variable 'dsn' has no default; set it with --set dsn=VALUE"}));
    CHECK(v.count("dsn") == 0);
  }

  TEST_CASE("--vars files give typed values with positions") {
    TempDir dir;
    std::string path = dir.write("host.toml", R"(user = "www"
workers = 8
debug = "yes"
pkgs = ["p", "q"]
dsn = "postgresql:///x"
)");
    Diagnostics d;
    auto overrides = load_vars_file(path, d);
    CHECK(d.empty());
    REQUIRE(overrides.size() == 5);
    CHECK(overrides[0].name == "user"s);  // file order
    CHECK(overrides[0].loc.str() == path + ":1:1");
    REQUIRE(overrides[0].value);
    CHECK(overrides[0].value->loc.str() == path + ":1:9");
    VarValues v = resolve_vars(test_plan(), overrides, d);
    CHECK(lines(d).empty());
    CHECK(v.at("user").as_string() == "www"s);
    CHECK(v.at("workers").as_int() == 8);
    CHECK(v.at("debug").as_bool());  // strings convert like --set text
    CHECK(v.at("pkgs").to_string() == "[\"p\", \"q\"]"s);
    CHECK(v.at("user").loc.str() == path + ":1:9");
  }

  TEST_CASE("--vars file errors point into the file") {
    TempDir dir;
    std::string path = dir.write("bad.toml", R"(usr = "www"
workers = true
mode = "slow"
ratio = 1.5
dsn = "x"
)");
    Diagnostics d;
    auto overrides = load_vars_file(path, d);
    CHECK(overrides.size() == 4);
    resolve_vars(test_plan(), overrides, d);
    CHECK(join(lines(d)) ==
          join({
              path + ":1:1: unknown variable 'usr' (did you mean 'user'?)",
              path + ":2:11: variable 'workers' expects an int, got a boolean",
              path + ":3:9: variable 'mode' must be one of fast, safe; got 'slow'",
              path + ":4:9: value of 'ratio' must be a string, boolean, integer or list, not a "
                     "float",
          }));
  }

  TEST_CASE("an unreadable or broken --vars file is an error") {
    Diagnostics d;
    CHECK(load_vars_file("/nonexistent/vars.toml", d).empty());
    TempDir dir;
    std::string path = dir.write("broken.toml", "a = \n");
    CHECK(load_vars_file(path, d).empty());
    CHECK(join(lines(d)) ==
          join({
              "/nonexistent/vars.toml: cannot read vars file: No such file or directory",
              path + ":1:5: Error while parsing key-value pair: expected value, saw '\\n'",
          }));
  }
}

TEST_SUITE("facts") {
  TEST_CASE("os family comes from ID and ID_LIKE") {
    TempDir dir;
    struct Case {
      std::string text, id, family, version;
    };
    std::vector<Case> cases = {
        {"ID=debian\nVERSION_ID=\"12\"\n", "debian", "debian", "12"},
        {"NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n", "ubuntu", "debian",
         "22.04"},
        {"ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n", "rocky", "rhel",
         "9.3"},
        {"ID=almalinux\nVERSION_ID='8.9'\n", "almalinux", "rhel", "8.9"},
        {"ID=ol\nID_LIKE=\"fedora\"\nVERSION_ID=8\n", "ol", "rhel", "8"},
        {"ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", "linuxmint", "debian", "unknown"},
        {"# comment\nID=opensuse-leap\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\n",
         "opensuse-leap", "opensuse-leap", "15.5"},
    };
    for (const auto& c : cases) {
      Facts f = gather_facts(dir.write("os-release", c.text));
      CAPTURE(c.text);
      CHECK(f.at("os_id") == c.id);
      CHECK(f.at("os_family") == c.family);
      CHECK(f.at("os_version") == c.version);
    }
  }

  TEST_CASE("a missing os-release gives unknown values; host and user are real") {
    Facts f = gather_facts("/nonexistent/os-release");
    CHECK(f.at("os_id") == "unknown"s);
    CHECK(f.at("os_family") == "unknown"s);
    CHECK(f.at("os_version") == "unknown"s);
    char host[256] = {};
    REQUIRE(::gethostname(host, sizeof host - 1) == 0);
    CHECK(f.at("hostname") == std::string(host));
    const passwd* pw = ::getpwuid(::geteuid());
    CHECK(f.at("user") == (pw ? std::string(pw->pw_name) : std::to_string(::geteuid())));
  }
}
