// Unit tests: the pip executor against the simulated host's pip (examples/sandbox: a local
// index where indico 3.3.x needs Python 3.12 and 3.2.9 is the newest for 3.9), run as the
// sandbox's Indico user in its venv, as the stock plans do.
#include <doctest/doctest.h>

#include "exec_test_util.h"

using namespace ordo;
using namespace ordo_test;
using namespace std::string_literals;

namespace {

Sandbox& sbx() {
  static Sandbox s("");
  return s;
}

// Puts the venv into a known state: Python 3.12 or 3.9, these pins installed, no faults.
void prepare(bool old_python, const std::string& pins) {
  REQUIRE_MESSAGE(sbx().ok(), sbx().error);
  sbx().fault("clear", "fail-pip");
  sbx().fault(old_python ? "set" : "clear", "old-python");
  ShResult r = sbx().as_user(sbx().venv() + "/bin/pip install " + pins);
  REQUIRE_MESSAGE(r.code == 0, r.out);
}

std::string installed(const std::string& pkg) {
  ShResult r = sbx().as_user(sbx().venv() + "/bin/pip show " + pkg + " | sed -n 's/^Version: //p'");
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

Step pip(ValueList packages, ValueTable extra = {}) {
  ValueTable p = {{"packages", Value(std::move(packages))}};
  for (auto& e : extra) p.push_back(std::move(e));
  return Step("pip", p, sbx().user(), sbx().venv());
}

bool no_sandbox() {
  return !is_root();  // the sandbox's users and PostgreSQL need root here
}

}  // namespace

TEST_SUITE("exec_pip") {
  TEST_CASE("an upgrade that moves records before, after and changed per package" *
            doctest::timeout(120) * doctest::skip(no_sandbox())) {
    prepare(false, "indico==3.3.10 indico-plugins==3.3.5");
    Step s = pip({"indico", "Indico_Plugins>=3.3"});
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(installed("indico") == "3.3.12");
    CHECK(out(o, "before.indico") == "3.3.10");
    CHECK(out(o, "after.indico") == "3.3.12");
    CHECK(out(o, "changed.indico") == "true");
    CHECK(out(o, "stayed_put.indico") == "false");
    CHECK(out(o, "before.indico-plugins") == "3.3.5");  // PEP 503 name
    CHECK(out(o, "after.indico-plugins") == "3.3.6");
    CHECK(out(o, "changed.indico-plugins") == "true");
    CHECK_FALSE(has_out(o, "note.indico"));
    CHECK(s.said("info: indico: 3.3.10 -> 3.3.12"));
    CHECK(s.said("Successfully installed"));  // pip's own output is the step's output
  }

  TEST_CASE("already the newest: stayed put, and says so" * doctest::timeout(120) *
            doctest::skip(no_sandbox())) {
    prepare(false, "indico==3.3.12");
    Step s = pip({"indico"});
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(out(o, "before.indico") == "3.3.12");
    CHECK(out(o, "after.indico") == "3.3.12");
    CHECK(out(o, "changed.indico") == "false");
    CHECK(out(o, "stayed_put.indico") == "true");
    CHECK(out(o, "latest.indico") == "3.3.12");
    CHECK(out(o, "note.indico") ==
          "already the newest version compatible with the venv's Python 3.12 (3.3.12); pip "
          "skips releases whose python_requires excludes that Python");
    CHECK(s.said("info: indico: already the newest version"));
  }

  TEST_CASE("an old Python keeps indico on 3.2.9: the note names the Python" *
            doctest::timeout(120) * doctest::skip(no_sandbox())) {
    prepare(true, "indico==3.2.9");
    Step s = pip({"indico"});
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);  // pip itself says nothing is wrong
    CHECK(installed("indico") == "3.2.9");
    CHECK(out(o, "changed.indico") == "false");
    CHECK(out(o, "stayed_put.indico") == "true");
    CHECK(out(o, "latest.indico") == "3.2.9");
    const std::string note = out(o, "note.indico");
    CHECK(note.find("Python 3.9") != std::string::npos);
    CHECK(note.find("python_requires") != std::string::npos);
    CHECK(s.said("info: indico: " + note));
    prepare(false, "indico==3.3.10");
  }

  TEST_CASE("without upgrade an installed package is left alone, not 'stayed put'" *
            doctest::timeout(120) * doctest::skip(no_sandbox())) {
    prepare(false, "indico==3.3.10");
    Step s = pip({"indico"}, {{"upgrade", Value(false)}});
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(installed("indico") == "3.3.10");
    CHECK(out(o, "changed.indico") == "false");
    CHECK(out(o, "stayed_put.indico") == "false");
  }

  TEST_CASE("a failing pip fails the step with pip's reason, and nothing changed" *
            doctest::timeout(120) * doctest::skip(no_sandbox())) {
    prepare(false, "indico==3.3.10");
    sbx().fault("set", "fail-pip");
    Step s = pip({"indico"});
    INFO(s.output());
    Outcome o = s.run();
    sbx().fault("clear", "fail-pip");
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.exit_code == 1);
    CHECK(o.message == "pip install failed: exit code 1: Error: pg_config executable not found.");
    CHECK(out(o, "before.indico") == "3.3.10");
    CHECK(installed("indico") == "3.3.10");
  }

  TEST_CASE("`python` runs PYTHON -m pip; a package not installed before is \"\"" *
            doctest::timeout(120) * doctest::skip(no_sandbox())) {
    prepare(false, "indico==3.3.10");
    REQUIRE(sbx().as_user(sbx().venv() + "/bin/pip uninstall -y indico-plugins").code == 0);
    Step s("pip",
           {{"packages", Value(ValueList{"indico-plugins==3.3.5"})},
            {"upgrade", Value(false)},
            {"python", Value(sbx().venv() + "/bin/python")}},
           sbx().user());
    INFO(s.output());
    Outcome o = s.run();
    REQUIRE(o.status == Outcome::Status::Succeeded);
    CHECK(out(o, "before.indico-plugins") == "");
    CHECK(out(o, "after.indico-plugins") == "3.3.5");
    CHECK(out(o, "changed.indico-plugins") == "true");
    CHECK(s.said("info: before: indico-plugins not installed"));
  }

  TEST_CASE("no pip to run: a clear failure" * doctest::timeout(30)) {
    Step s("pip", {{"packages", Value(ValueList{"indico"})}});
    s.ctx.run_as.env = {{"PATH", "/usr/bin:/bin"}};  // no VIRTUAL_ENV
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message == "which pip? give the step a `venv`, or `pip` or `python`");
  }
}
