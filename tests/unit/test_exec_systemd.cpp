// Unit tests: the systemd executor against the simulated host's systemctl (real background
// processes; examples/sandbox), and a scripted systemctl for states the sandbox never shows
// ("activating").
#include <doctest/doctest.h>

#include <fstream>
#include <thread>

#include "exec_test_util.h"

using namespace ordo;
using namespace ordo_test;
using namespace std::string_literals;

namespace {

// One sandbox for this file (the systemctl stand-in refuses changes by other users when the
// sandbox was made by root, so the steps run as ordo itself).
Sandbox& sbx() {
  static Sandbox s("");
  return s;
}
bool no_sandbox() {
  return !is_root();
}

Step systemd(const std::string& unit, const std::string& action, ValueTable extra = {}) {
  ValueTable p = {
      {"unit", Value(unit)}, {"action", Value(action)}, {"systemctl", Value(sbx().systemctl())}};
  for (auto& e : extra) p.push_back(std::move(e));
  return Step("systemd", p);
}

std::string state_of(const std::string& unit) {
  std::string s = sh(q(sbx().systemctl()) + " is-active " + q(unit)).out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// A systemctl that answers `is-active` with the content of STATE_FILE and accepts any verb.
std::string scripted_systemctl(const Scratch& dir, const std::string& state) {
  const std::string script = dir / "systemctl";
  std::ofstream(script) << "#!/bin/sh\n"
                           "[ \"$1\" = is-active ] && { cat " +
                               dir / "state" +
                               "; exit 3; }\n"
                               "exit 0\n";
  std::ofstream(dir / "state") << state << "\n";
  ::chmod(script.c_str(), 0755);
  return script;
}

}  // namespace

TEST_SUITE("exec_systemd") {
  TEST_CASE("stop, start and is-active change and report a real unit" * doctest::timeout(120) *
            doctest::skip(no_sandbox())) {
    REQUIRE_MESSAGE(sbx().ok(), sbx().error);
    // uWSGI (Type=notify): systemctl returns once it is up. Not Celery (Type=simple): the
    // sandbox's systemctl then returns while the service is still in its process group, and
    // run_process SIGKILLs that group when systemctl exits.
    const std::string unit = "indico-uwsgi.service";
    REQUIRE(state_of(unit) == "active");

    Step stop = systemd(unit, "stop", {{"wait", Value("30s")}});
    INFO(stop.output());
    Outcome o = stop.run();
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(out(o, "state") == "inactive");
    CHECK(state_of(unit) == "inactive");

    Step check = systemd(unit, "is-active");
    INFO(check.output());
    Outcome inactive = check.run();
    CHECK(inactive.status == Outcome::Status::Failed);
    CHECK(inactive.message == unit + " is 'inactive', not active");
    CHECK(out(inactive, "state") == "inactive");

    Step start = systemd(unit, "start", {{"wait", Value("30s")}});
    INFO(start.output());
    Outcome started = start.run();
    CHECK(started.status == Outcome::Status::Succeeded);
    CHECK(out(started, "state") == "active");
    CHECK(state_of(unit) == "active");
    CHECK(start.said("info: " + unit + " is active"));

    Step check2 = systemd(unit, "is-active");
    Outcome active = check2.run();
    CHECK(active.status == Outcome::Status::Succeeded);
    CHECK(out(active, "state") == "active");
  }

  TEST_CASE("restart without wait reports the state it left the unit in" * doctest::timeout(120) *
            doctest::skip(no_sandbox())) {
    REQUIRE_MESSAGE(sbx().ok(), sbx().error);
    const std::string unit = "indico-uwsgi.service";
    const std::string pid_file = sbx().root + "/run/systemd/" + unit + ".pid";
    const std::string before = sh("cat " + q(pid_file)).out;
    Step s = systemd(unit, "restart");
    INFO(s.output());
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(out(o, "state") == "active");
    CHECK(sh("cat " + q(pid_file)).out != before);  // a new main process
  }

  TEST_CASE("a unit that does not exist is named as such" * doctest::timeout(60) *
            doctest::skip(no_sandbox())) {
    REQUIRE_MESSAGE(sbx().ok(), sbx().error);
    Step start = systemd("nosuch.service", "start", {{"wait", Value("5s")}});
    Outcome o = start.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message ==
          "unit nosuch.service does not exist on this host (systemctl: Failed to start "
          "nosuch.service: Unit nosuch.service not found.)");

    Step stop = systemd("nosuch", "stop");
    Outcome s = stop.run();
    CHECK(s.status == Outcome::Status::Failed);
    CHECK(s.message ==
          "unit nosuch does not exist on this host (systemctl: Failed to stop nosuch.service: "
          "Unit nosuch.service not loaded.)");

    // is-active says "inactive" for an unknown unit: LoadState tells the truth.
    Step check = systemd("nosuch.service", "is-active");
    Outcome c = check.run();
    CHECK(c.status == Outcome::Status::Failed);
    CHECK(c.message ==
          "unit nosuch.service does not exist on this host (systemctl: LoadState=not-found)");
  }

  TEST_CASE("wait gives up with the state the unit is stuck in" * doctest::timeout(30)) {
    Scratch dir;
    Step s("systemd", {{"unit", Value("indico-uwsgi.service")},
                       {"action", Value("start")},
                       {"systemctl", Value(scripted_systemctl(dir, "activating"))},
                       {"wait", Value("1200ms")}});
    const auto t0 = Clock::now();
    Outcome o = s.run();
    const auto took = Clock::now() - t0;
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message == "indico-uwsgi.service is still 'activating' after 1.2s");
    CHECK(out(o, "state") == "activating");
    CHECK(took >= std::chrono::milliseconds(1200));
    CHECK(took < std::chrono::seconds(5));
  }

  TEST_CASE("wait succeeds as soon as the unit gets there" * doctest::timeout(30)) {
    Scratch dir;
    const std::string systemctl = scripted_systemctl(dir, "activating");
    Step s("systemd", {{"unit", Value("u.service")},
                       {"action", Value("start")},
                       {"systemctl", Value(systemctl)},
                       {"wait", Value("20s")}});
    // The unit becomes active after ~700ms (a background writer changes the state file).
    const std::string flip =
        "(sleep 0.7; echo active > " + q(dir / "state") + ") >/dev/null 2>&1 &";
    REQUIRE(sh(flip).code == 0);
    const auto t0 = Clock::now();
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(out(o, "state") == "active");
    CHECK(Clock::now() - t0 < std::chrono::seconds(5));
    CHECK(s.said("info: u.service is activating"));
    CHECK(s.said("info: u.service is active"));
  }

  TEST_CASE("the step's timeout and a stop request end a wait" * doctest::timeout(30)) {
    Scratch dir;
    const std::string systemctl = scripted_systemctl(dir, "activating");
    Step s("systemd", {{"unit", Value("u.service")},
                       {"action", Value("start")},
                       {"systemctl", Value(systemctl)},
                       {"wait", Value("1m")}});
    s.ctx.deadline = Clock::now() + std::chrono::milliseconds(800);
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::TimedOut);
    CHECK(o.message.find("still 'activating'") != std::string::npos);

    Step c("systemd", {{"unit", Value("u.service")},
                       {"action", Value("start")},
                       {"systemctl", Value(systemctl)},
                       {"wait", Value("1m")}});
    std::stop_source stop;
    c.ctx.stop = stop.get_token();
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      stop.request_stop();
    });
    const auto t0 = Clock::now();
    Outcome cancelled = c.run();
    t.join();
    CHECK(cancelled.status == Outcome::Status::Cancelled);
    CHECK(Clock::now() - t0 < std::chrono::seconds(3));
  }

  TEST_CASE("a systemctl that cannot answer is a failure, not a state" * doctest::timeout(30)) {
    Step s("systemd", {{"unit", Value("u.service")},
                       {"action", Value("is-active")},
                       {"systemctl", Value("/nonexistent/systemctl")}});
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message.find("cannot run '/nonexistent/systemctl'") != std::string::npos);
    CHECK_FALSE(has_out(o, "state"));
  }
}
