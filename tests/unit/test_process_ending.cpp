// Unit tests: how run_process ends a child — exit codes decoded, timeouts and stop_token
// cancellation killing the whole group (SIGTERM, then SIGKILL after kill_grace), the leader's exit,
// and nothing left behind whatever the ending (descriptors, children); with real processes.
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

// True once pid no longer runs: gone (ESRCH) or a zombie waiting for PID 1 to reap it (which
// can take seconds here), polled until `within` passes.
bool dies_within(pid_t pid, std::chrono::milliseconds within) {
  const auto end = Clock::now() + within;
  for (;;) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t paren = text.rfind(')');
    if (paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z')
      return true;
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

TEST_SUITE("process") {
  TEST_CASE("exit codes are decoded from the wait status" * doctest::timeout(20)) {
    ProcessResult a = run_process(sh("exit 9"));
    CHECK(a.started);
    CHECK(a.exit_code == 9);
    CHECK(a.signal == 0);

    ProcessResult b = run_process(sh("kill -9 $$"));
    CHECK(b.started);
    CHECK(b.signal == 9);  // not "exit 9"
    CHECK(b.exit_code == -1);
    CHECK(signal_name(b.signal) == "SIGKILL"s);

    ProcessResult c = run_process(sh("true"));
    CHECK(c.exit_code == 0);
    CHECK_FALSE(c.timed_out);
    CHECK_FALSE(c.cancelled);
  }

  TEST_CASE("a timeout kills the whole group, grandchildren included" * doctest::timeout(30)) {
    Lines lines;
    ProcessSpec s = sh("sleep 300 & echo $!; wait");
    s.deadline = Clock::now() + 1s;
    s.kill_grace = 5s;
    s.on_line = lines.sink();
    const auto t0 = Clock::now();
    ProcessResult r = run_process(s);
    CHECK(r.started);
    CHECK(r.timed_out);
    CHECK_FALSE(r.cancelled);
    CHECK_FALSE(r.killed);  // sh and sleep die of SIGTERM
    CHECK(r.signal == SIGTERM);
    CHECK(Clock::now() - t0 < 4s);  // well before the sleep would end
    REQUIRE(lines.out.size() == 1);
    const pid_t grandchild = std::stoi(lines.out[0]);
    REQUIRE(grandchild > 1);
    CHECK(dies_within(grandchild, 10s));
  }

  TEST_CASE("a child ignoring SIGTERM is SIGKILLed after kill_grace" * doctest::timeout(30)) {
    Lines lines;
    ProcessSpec s = sh("trap '' TERM; echo ready; while :; do sleep 0.05; done");
    s.deadline = Clock::now() + 1s;
    s.kill_grace = 700ms;
    s.on_line = lines.sink();
    ProcessResult r = run_process(s);
    REQUIRE(lines.out == std::vector<std::string>{"ready"});
    CHECK(r.timed_out);
    CHECK(r.killed);
    CHECK(r.signal == SIGKILL);
    CHECK(r.elapsed >= 1600ms);  // deadline + grace, less a little for the startup
    CHECK(r.elapsed < 6s);
  }

  TEST_CASE("stop_token cancellation terminates the group" * doctest::timeout(30)) {
    Lines lines;
    std::stop_source source;
    ProcessSpec s = sh("sleep 300 & echo $!; wait");
    s.stop = source.get_token();
    s.on_line = lines.sink();
    std::jthread canceller([&] {
      std::this_thread::sleep_for(500ms);
      source.request_stop();  // from another thread, as Ctrl-C would
    });
    const auto t0 = Clock::now();
    ProcessResult r = run_process(s);
    CHECK(r.started);
    CHECK(r.cancelled);
    CHECK_FALSE(r.timed_out);
    CHECK(Clock::now() - t0 < 5s);
    REQUIRE(lines.out.size() == 1);
    CHECK(dies_within(std::stoi(lines.out[0]), 10s));

    // Already stopped: nothing starts.
    ProcessResult again = run_process(s);
    CHECK_FALSE(again.started);
    CHECK(again.cancelled);
  }

  TEST_CASE("the leader's exit ends the run even if others hold its pipes" * doctest::timeout(30)) {
    // A background job in the group: killed with the group when the leader exits.
    Lines lines;
    ProcessSpec s = sh("sleep 20 & echo $!; echo done");
    s.on_line = lines.sink();
    const auto t0 = Clock::now();
    ProcessResult r = run_process(s);
    CHECK(r.exit_code == 0);
    CHECK(Clock::now() - t0 < 3s);
    REQUIRE(lines.out.size() == 2);
    CHECK(dies_within(std::stoi(lines.out[0]), 10s));

    // An escapee in its own session keeps stdout open: a short drain, then we stop waiting.
    Lines esc;
    ProcessSpec e = sh("setsid sh -c 'echo $$; exec sleep 20' & sleep 0.3; echo leader-done");
    e.on_line = esc.sink();
    const auto t1 = Clock::now();
    ProcessResult r2 = run_process(e);
    CHECK(r2.exit_code == 0);
    CHECK(Clock::now() - t1 < 4s);
    REQUIRE(esc.out.size() == 2);
    CHECK(esc.out[1] == "leader-done"s);
    ::kill(std::stoi(esc.out[0]), SIGKILL);  // not ours to keep
  }

  TEST_CASE("no descriptor or child is left behind, whatever the ending" * doctest::timeout(60)) {
    auto open_fds = [] {
      size_t n = 0;
      for (int fd = 0; fd < 1024; ++fd)
        if (::fcntl(fd, F_GETFD) != -1) ++n;
      return n;
    };
    const size_t before = open_fds();
    for (int i = 0; i < 5; ++i) {
      run_process(sh("echo x; echo y >&2"));
      ProcessSpec missing;
      missing.argv = {"/nonexistent/ordo-prog"};
      run_process(missing);
      ProcessSpec bad_cwd = sh("true");
      bad_cwd.run_as.cwd = "/nonexistent-dir";
      run_process(bad_cwd);
      ProcessSpec timed = sh("sleep 10");
      timed.deadline = Clock::now() + 50ms;
      run_process(timed);
    }
    CHECK(open_fds() == before);
    int st = 0;
    errno = 0;
    CHECK(::waitpid(-1, &st, WNOHANG) == -1);  // no child at all: none running, no zombie
    CHECK(errno == ECHILD);
  }

  TEST_CASE("an exception from on_line still kills and reaps the group" * doctest::timeout(30)) {
    pid_t grandchild = 0;
    ProcessSpec s = sh("sleep 300 & echo $!; wait");
    s.on_line = [&](OutputStream, std::string_view l) {
      grandchild = std::stoi(std::string(l));
      throw std::runtime_error("consumer gave up");
    };
    CHECK_THROWS_AS(run_process(s), std::runtime_error);
    REQUIRE(grandchild > 1);
    CHECK(dies_within(grandchild, 10s));
    int st = 0;
    errno = 0;
    CHECK(::waitpid(-1, &st, WNOHANG) == -1);  // the shell was reaped too
    CHECK(errno == ECHILD);
  }
}
