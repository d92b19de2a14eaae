// Unit tests: make_run_as — environment composition (current env or login env), venv, env
// entries, ~ expansion, and the user errors.
#include <doctest/doctest.h>

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "step_env.h"

using namespace ordo;
using namespace std::string_literals;

namespace {

const std::string* get(const RunAs& ra, std::string_view name) {
  const std::string* found = nullptr;
  int count = 0;
  for (const auto& [k, v] : ra.env)
    if (k == name) {
      found = &v;
      ++count;
    }
  REQUIRE(count <= 1);  // never two entries for one name
  return found;
}

std::string value_of(const RunAs& ra, std::string_view name) {
  const std::string* v = get(ra, name);
  return v ? *v : "<unset>";
}

EnvEntry entry(std::string name, EnvEntry::Mode mode, std::string value) {
  EnvEntry e;
  e.name = std::move(name);
  e.mode = mode;
  e.value = std::move(value);
  return e;
}

std::string my_name() {
  const passwd* pw = ::getpwuid(::geteuid());
  REQUIRE(pw != nullptr);
  return pw->pw_name;
}

// Sets an environment variable for the scope of one test.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const char* value) : name(std::move(n)) {
    if (const char* o = std::getenv(name.c_str())) old = o;
    if (value)
      ::setenv(name.c_str(), value, 1);
    else
      ::unsetenv(name.c_str());
  }
  ~ScopedEnv() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

}  // namespace

TEST_SUITE("step_env") {
  TEST_CASE("without user: the current environment, home from HOME") {
    ScopedEnv a("ORDO_T_X", "one");
    ScopedEnv h("HOME", "/home/tester");
    auto ra = make_run_as({.step_id = "s", .user = "", .env = {}, .venv = "", .cwd = ""});
    REQUIRE(ra.ok());
    CHECK(ra->user.empty());
    CHECK(value_of(*ra, "ORDO_T_X") == "one"s);
    CHECK(value_of(*ra, "PATH") == std::string(std::getenv("PATH")));
    CHECK(ra->home == "/home/tester"s);
    CHECK(ra->cwd.empty());
  }

  TEST_CASE("venv: VIRTUAL_ENV, its bin first on PATH, no PYTHONHOME; ~ is the home") {
    ScopedEnv h("HOME", "/home/tester");
    ScopedEnv p("PATH", "/usr/bin:/bin");
    ScopedEnv ph("PYTHONHOME", "/opt/py");
    auto ra = make_run_as({.step_id = "s", .user = "", .env = {}, .venv = "~/venv/", .cwd = ""});
    REQUIRE(ra.ok());
    CHECK(value_of(*ra, "VIRTUAL_ENV") == "/home/tester/venv"s);
    CHECK(value_of(*ra, "PATH") == "/home/tester/venv/bin:/usr/bin:/bin"s);
    CHECK(get(*ra, "PYTHONHOME") == nullptr);
  }

  TEST_CASE("env entries: set replaces, prepend/append join with ':' or become the value") {
    ScopedEnv p("PATH", "/usr/bin:/bin");
    ScopedEnv x("ORDO_T_SET", "old");
    ScopedEnv u1("ORDO_T_UNSET_A", nullptr);
    ScopedEnv u2("ORDO_T_UNSET_P", nullptr);
    ScopedEnv e("ORDO_T_EMPTY", "");
    StepEnvInput in{.step_id = "s",
                    .user = "",
                    .env = {entry("ORDO_T_SET", EnvEntry::Mode::Set, "new"),
                            entry("PATH", EnvEntry::Mode::Prepend, "/opt/a/bin"),
                            entry("PATH", EnvEntry::Mode::Append, "/opt/z/bin"),
                            entry("ORDO_T_UNSET_A", EnvEntry::Mode::Append, "/only"),
                            entry("ORDO_T_UNSET_P", EnvEntry::Mode::Prepend, "/first"),
                            entry("ORDO_T_EMPTY", EnvEntry::Mode::Prepend, "/e"),
                            entry("ORDO_T_NEW", EnvEntry::Mode::Set, "v")},
                    .venv = "/srv/venv",
                    .cwd = ""};
    auto ra = make_run_as(in);
    REQUIRE(ra.ok());
    CHECK(value_of(*ra, "ORDO_T_SET") == "new"s);
    // venv first, then the entries in order: the prepend goes before the venv's bin.
    CHECK(value_of(*ra, "PATH") == "/opt/a/bin:/srv/venv/bin:/usr/bin:/bin:/opt/z/bin"s);
    CHECK(value_of(*ra, "ORDO_T_UNSET_A") == "/only"s);
    CHECK(value_of(*ra, "ORDO_T_UNSET_P") == "/first"s);
    CHECK(value_of(*ra, "ORDO_T_EMPTY") == "/e"s);  // no stray ':' (an empty part means ".")
    CHECK(value_of(*ra, "ORDO_T_NEW") == "v"s);
  }

  TEST_CASE("cwd: ~ expands to the step user's home, ~other is left alone") {
    ScopedEnv h("HOME", "/home/tester");
    auto a = make_run_as({.step_id = "s", .user = "", .env = {}, .venv = "", .cwd = "~/web"});
    REQUIRE(a.ok());
    CHECK(a->cwd == "/home/tester/web"s);
    auto b = make_run_as({.step_id = "s", .user = "", .env = {}, .venv = "", .cwd = "~bob/x"});
    REQUIRE(b.ok());
    CHECK(b->cwd == "~bob/x"s);
  }

  TEST_CASE("user: the login environment of `su - user`, plus venv and env") {
    const std::string me = my_name();
    const passwd* pw = ::getpwnam(me.c_str());
    REQUIRE(pw != nullptr);
    const std::string home = pw->pw_dir;
    ScopedEnv t("TERM", "xterm-test");
    ScopedEnv l("LANG", "C.UTF-8");
    ScopedEnv x("ORDO_T_DROPPED", "1");
    ScopedEnv h("HOME", "/not/the/home");
    auto ra = make_run_as({.step_id = "s",
                           .user = me,
                           .env = {entry("PGAPPNAME", EnvEntry::Mode::Set, "ordo")},
                           .venv = "~/.venv",
                           .cwd = "~"});
    REQUIRE(ra.ok());
    CHECK(ra->user == me);
    CHECK(ra->uid == pw->pw_uid);
    CHECK(ra->gid == pw->pw_gid);
    CHECK(ra->home == home);
    CHECK(ra->cwd == home);
    CHECK(value_of(*ra, "HOME") == home);
    CHECK(value_of(*ra, "USER") == me);
    CHECK(value_of(*ra, "LOGNAME") == me);
    CHECK(value_of(*ra, "SHELL") == std::string(*pw->pw_shell ? pw->pw_shell : "/bin/sh"));
    CHECK(value_of(*ra, "TERM") == "xterm-test"s);
    CHECK(value_of(*ra, "LANG") == "C.UTF-8"s);
    CHECK(get(*ra, "ORDO_T_DROPPED") == nullptr);  // not the caller's environment
    CHECK(value_of(*ra, "PGAPPNAME") == "ordo"s);
    CHECK(value_of(*ra, "VIRTUAL_ENV") == home + "/.venv");
    const std::string base = pw->pw_uid == 0
                                 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                 : "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";
    CHECK(value_of(*ra, "PATH") == home + "/.venv/bin:" + base);
  }

  TEST_CASE("user: a non-root user's PATH is su's ENV_PATH" * doctest::skip(::geteuid() != 0)) {
    const passwd* pw = ::getpwnam("nobody");
    REQUIRE(pw != nullptr);
    auto ra = make_run_as({.step_id = "s", .user = "nobody", .env = {}, .venv = "", .cwd = ""});
    REQUIRE(ra.ok());
    CHECK(ra->uid == pw->pw_uid);
    CHECK(value_of(*ra, "PATH") == "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"s);
  }

  TEST_CASE("user: unknown user") {
    auto ra = make_run_as({.step_id = "x", .user = "indikko", .env = {}, .venv = "", .cwd = ""});
    REQUIRE_FALSE(ra.ok());
    CHECK(ra.error().message == "step 'x': no such user 'indikko'"s);
  }

  TEST_CASE("user: another user needs root") {
    // Run as root: check it from a child that dropped to 'nobody'. Otherwise ask for root.
    if (::geteuid() != 0) {
      auto ra = make_run_as({.step_id = "x", .user = "root", .env = {}, .venv = "", .cwd = ""});
      REQUIRE_FALSE(ra.ok());
      CHECK(ra.error().message ==
            "step 'x' runs as user 'root', which needs root (ordo is running as '" + my_name() +
                "')");
      return;
    }
    const passwd* nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    const uid_t uid = nobody->pw_uid;
    const gid_t gid = nobody->pw_gid;
    int fd[2];
    REQUIRE(::pipe(fd) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // the test process is single-threaded here: allocation is fine
      ::close(fd[0]);
      if (::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(2);
      auto ra = make_run_as({.step_id = "x", .user = "root", .env = {}, .venv = "", .cwd = ""});
      std::string msg = ra.ok() ? "unexpectedly ok" : ra.error().message;
      (void)!::write(fd[1], msg.data(), msg.size());
      ::_exit(0);
    }
    ::close(fd[1]);
    std::string got;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    ::close(fd[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    CHECK(got == "step 'x' runs as user 'root', which needs root (ordo is running as 'nobody')"s);
  }
  TEST_CASE("ORDO_RUN_ID and ORDO_STEP: set last, over the plan's env and an inherited value") {
    ScopedEnv inherited("ORDO_RUN_ID", "outer-run");  // an ordo running inside a step
    set_step_run_id("20261126T010203Z-1a2b");
    auto ra = make_run_as({.step_id = "stop-web",
                           .user = "",
                           .env = {entry("ORDO_STEP", EnvEntry::Mode::Set, "fake"),
                                   entry("ORDO_RUN_ID", EnvEntry::Mode::Set, "fake")},
                           .venv = "",
                           .cwd = ""});
    REQUIRE(ra.ok());
    CHECK(value_of(*ra, "ORDO_RUN_ID") == "20261126T010203Z-1a2b"s);
    CHECK(value_of(*ra, "ORDO_STEP") == "stop-web"s);
    // With a user: the login environment gets them too.
    auto as_me = make_run_as({.step_id = "b", .user = my_name(), .env = {}, .venv = "", .cwd = ""});
    REQUIRE(as_me.ok());
    CHECK(value_of(*as_me, "ORDO_RUN_ID") == "20261126T010203Z-1a2b"s);
    CHECK(value_of(*as_me, "ORDO_STEP") == "b"s);
    // No run (a unit test, a tool): no ORDO_RUN_ID, not even an inherited one.
    set_step_run_id("");
    auto none = make_run_as({.step_id = "c", .user = "", .env = {}, .venv = "", .cwd = ""});
    REQUIRE(none.ok());
    CHECK(value_of(*none, "ORDO_RUN_ID") == "<unset>"s);
    CHECK(value_of(*none, "ORDO_STEP") == "c"s);
  }
}
