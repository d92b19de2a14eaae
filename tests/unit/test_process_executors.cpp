// Unit tests: the exec and shell executors on top of run_process — success codes, outputs,
// failures, timeouts, cancellation, check() of their params; with real processes.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "kinds.h"
#include "process.h"
#include "process_test_util.h"
#include "step_env.h"

using namespace ordo;
using namespace std::string_literals;
using namespace std::chrono_literals;
using namespace process_test;

namespace {

// The executors' view: a StepContext with these (already interpolated) params.
StepContext context(ValueTable params) {
  StepContext ctx;
  ctx.step_id = "s";
  ctx.params = std::move(params);
  return ctx;
}

ValueList strings(std::initializer_list<const char*> xs) {
  ValueList l;
  for (const char* x : xs) l.emplace_back(x);
  return l;
}

}  // namespace

TEST_SUITE("process") {
  // The executors on top of run_process.
  TEST_CASE("exec: success codes, outputs, failures" * doctest::timeout(30)) {
    auto exec = make_exec_executor();
    auto ctx = context({{"argv", Value(strings({"sh", "-c", "echo out; echo err >&2; exit 1"}))},
                        {"success_codes", Value(ValueList{Value(0), Value(1)})}});
    std::vector<std::string> seen;
    ctx.output = [&](OutputStream s, std::string_view l) {
      seen.push_back((s == OutputStream::Stderr ? "E:" : "O:") + std::string(l));
    };
    Outcome o = exec->run(ctx);
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(o.exit_code == 1);
    REQUIRE(table_find(o.outputs, "stdout"));
    CHECK(table_find(o.outputs, "stdout")->as_string() == "out"s);
    CHECK(table_find(o.outputs, "exit_code")->as_int() == 1);
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<std::string>{"E:err", "O:out"});

    auto failing = context({{"argv", Value(strings({"sh", "-c", "exit 2"}))}});
    Outcome f = exec->run(failing);
    CHECK(f.status == Outcome::Status::Failed);
    CHECK(f.message == "exit code 2"s);
    CHECK(f.exit_code == 2);

    auto killed = context({{"argv", Value(strings({"sh", "-c", "kill -9 $$"}))}});
    Outcome k = exec->run(killed);
    CHECK(k.status == Outcome::Status::Failed);
    CHECK(k.message == "killed by signal 9 (SIGKILL)"s);
    CHECK(k.signal == 9);

    auto missing = context({{"argv", Value(strings({"ordo-no-such-program-xyz"}))}});
    Outcome m = exec->run(missing);
    CHECK(m.status == Outcome::Status::Failed);
    CHECK(m.message.find("cannot run 'ordo-no-such-program-xyz'") == 0);
  }

  TEST_CASE("exec: timeout and cancellation outcomes" * doctest::timeout(30)) {
    auto exec = make_exec_executor();
    auto ctx = context({{"argv", Value(strings({"sleep", "30"}))}});
    ctx.deadline = Clock::now() + 500ms;
    Outcome t = exec->run(ctx);
    CHECK(t.status == Outcome::Status::TimedOut);
    CHECK(t.message == "timed out after 500ms; process group terminated"s);

    auto c2 = context({{"argv", Value(strings({"sleep", "30"}))}});
    std::stop_source src;
    c2.stop = src.get_token();
    std::jthread canceller([&] {
      std::this_thread::sleep_for(300ms);
      src.request_stop();
    });
    Outcome c = exec->run(c2);
    CHECK(c.status == Outcome::Status::Cancelled);
    CHECK(c.message == "cancelled; process group terminated"s);
  }

  TEST_CASE("exec: check() rejects non-integer success codes and an empty argv") {
    auto exec = make_exec_executor();
    StepDecl step;
    step.id = "x";
    step.kind = "exec";
    step.params = {{"argv", Value(ValueList{})},
                   {"success_codes", Value(ValueList{Value(0), Value("1"), Value(300)})}};
    Diagnostics d;
    exec->check(step, d);
    REQUIRE(d.error_count() == 3);
    CHECK(d.items()[0].message.find("'argv' must name a program") != std::string::npos);
    CHECK(d.items()[1].message.find("must hold integers, not a string") != std::string::npos);
    CHECK(d.items()[2].message.find("exit code 300") != std::string::npos);
  }

  TEST_CASE("shell: runs the script with the chosen shell" * doctest::timeout(30)) {
    auto shell = make_shell_executor();
    CHECK(shell->spec().find("script")->shell_quoted);
    auto ctx = context({{"script", Value("echo \"$0\"; echo two")}, {"shell", Value("/bin/sh")}});
    Outcome o = shell->run(ctx);
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(table_find(o.outputs, "stdout")->as_string() == "/bin/sh\ntwo"s);

    auto bad = context({{"script", Value("exit 3")}});  // default shell
    Outcome b = shell->run(bad);
    CHECK(b.status == Outcome::Status::Failed);
    CHECK(b.message == "exit code 3"s);
  }
}
