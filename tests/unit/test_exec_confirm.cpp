// Unit tests: the confirm gate: --yes, refusal without a terminal, defaults, and real answers
// typed on a pseudo-terminal (the question helper on a pty, and the executor in a child
// process whose controlling terminal is a pty, so /dev/tty is that pty).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "exec_test_util.h"
#include "terminal.h"

using namespace ordo;
using namespace ordo_test;
using namespace std::string_literals;
using namespace std::chrono_literals;

namespace {

Step confirm(ValueTable extra = {}) {
  ValueTable p = {{"prompt", Value("Backup verified. Upgrade the database?")}};
  for (auto& e : extra) p.push_back(std::move(e));
  return Step("confirm", p);
}

// A pseudo-terminal pair, closed at the end.
struct Pty {
  int master = -1, slave = -1;
  Pty() {
    REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
    ::fcntl(master, F_SETFD, FD_CLOEXEC);
    ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  ~Pty() {
    if (master >= 0) ::close(master);
    if (slave >= 0) ::close(slave);
  }
  // What the terminal shows until `until` appears (or 5 s pass).
  std::string read_until(const std::string& until) const {
    std::string seen;
    const auto end = Clock::now() + 5s;
    while (seen.find(until) == std::string::npos && Clock::now() < end) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
    }
    return seen;
  }
  void type(const std::string& text) const {
    REQUIRE(::write(master, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
};

}  // namespace

TEST_SUITE("exec_confirm") {
  TEST_CASE("--yes answers yes without asking" * doctest::timeout(10)) {
    Step s = confirm();
    s.ctx.assume_yes = true;
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Succeeded);
    CHECK(out(o, "answer") == "yes");
    CHECK(out(o, "refused") == "false");
    CHECK(s.said("info: asking: Backup verified. Upgrade the database?"));
    CHECK(s.said("info: answer: yes (--yes)"));
  }

  TEST_CASE("without a terminal and without --yes or a default it refuses" * doctest::timeout(10)) {
    Step s = confirm();
    s.ctx.interactive = false;
    Outcome o = s.run();
    CHECK(o.status == Outcome::Status::Failed);
    CHECK(o.message == "confirm needs a terminal or --yes");
    CHECK(out(o, "refused") == "true");
    CHECK_FALSE(has_out(o, "answer"));
  }

  TEST_CASE("without a terminal the default answers; a no fails unless fail_on_no = false" *
            doctest::timeout(10)) {
    Step yes = confirm({{"default", Value("yes")}});
    Outcome y = yes.run();
    CHECK(y.status == Outcome::Status::Succeeded);
    CHECK(out(y, "answer") == "yes");
    CHECK(yes.said("info: answer: yes (not interactive: the default)"));

    Step no = confirm({{"default", Value("no")}});
    Outcome n = no.run();
    CHECK(n.status == Outcome::Status::Failed);
    CHECK(n.message == "answered no");
    CHECK(out(n, "answer") == "no");
    CHECK(out(n, "refused") == "true");

    Step soft = confirm({{"default", Value("no")}, {"fail_on_no", Value(false)}});
    Outcome f = soft.run();
    CHECK(f.status == Outcome::Status::Succeeded);
    CHECK(out(f, "answer") == "no");
    CHECK(out(f, "refused") == "false");
  }

  TEST_CASE("the question on a terminal: asks again until yes or no" * doctest::timeout(20)) {
    Pty pty;
    std::thread typist([&] {
      const std::string shown = pty.read_until("[y/n] ");
      CHECK(shown.find("Go on? [y/n] ") != std::string::npos);
      pty.type("maybe\n");
      CHECK(pty.read_until("Please answer yes or no.").find("Please answer yes or no.") !=
            std::string::npos);
      pty.type("  YES \n");
    });
    Answer a = ask_yes_no(pty.slave, "Go on?", std::nullopt, Clock::now() + 10s, {});
    typist.join();
    CHECK(a == Answer::Yes);
  }

  TEST_CASE("the question on a terminal: Enter takes the default, typed-ahead input does not" *
            doctest::timeout(20)) {
    Pty pty;
    pty.type("y\n");  // typed before the question: discarded
    std::thread typist([&] {
      CHECK(pty.read_until("[y/N] ").find("Go on? [y/N] ") != std::string::npos);
      pty.type("\n");
    });
    Answer a = ask_yes_no(pty.slave, "Go on?", false, Clock::now() + 10s, {});
    typist.join();
    CHECK(a == Answer::No);
  }

  TEST_CASE("the question on a terminal: deadline, stop and hangup" * doctest::timeout(20)) {
    Pty pty;
    auto t0 = Clock::now();
    CHECK(ask_yes_no(pty.slave, "Go on?", true, Clock::now() + 300ms, {}) == Answer::Timeout);
    CHECK(Clock::now() - t0 < 2s);

    std::stop_source stop;
    std::thread stopper([&] {
      std::this_thread::sleep_for(200ms);
      stop.request_stop();
    });
    t0 = Clock::now();
    CHECK(ask_yes_no(pty.slave, "Go on?", std::nullopt, std::nullopt, stop.get_token()) ==
          Answer::Cancelled);
    stopper.join();
    CHECK(Clock::now() - t0 < 2s);

    ::close(pty.master);
    pty.master = -1;
    CHECK(ask_yes_no(pty.slave, "Go on?", std::nullopt, Clock::now() + 5s, {}) == Answer::Closed);
  }

  TEST_CASE("the executor asks on /dev/tty: answered on a real controlling terminal" *
            doctest::timeout(20)) {
    Pty pty;
    int result[2];
    REQUIRE(::pipe(result) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // the child: the pty becomes its controlling terminal, then ordo asks
      ::close(result[0]);
      ::setsid();
      int code = 9;
      if (::ioctl(pty.slave, TIOCSCTTY, 0) == 0) {
        Step s = confirm();
        s.ctx.interactive = true;
        s.ctx.deadline = Clock::now() + 10s;
        Outcome o = s.run();
        code = o.status == Outcome::Status::Succeeded && out(o, "answer") == "yes" ? 0
               : o.status == Outcome::Status::Failed && out(o, "answer") == "no"   ? 1
                                                                                   : 2;
        const std::string msg = std::to_string(code) + " " + o.message + "\n" + s.output();
        (void)!::write(result[1], msg.data(), msg.size());
      }
      ::_exit(code);
    }
    ::close(result[1]);
    const std::string shown = pty.read_until("[y/n] ");
    CHECK(shown.find("Backup verified. Upgrade the database? [y/n] ") != std::string::npos);
    pty.type("no\n");
    int st = 0;
    ::waitpid(pid, &st, 0);
    std::string report;
    char buf[1024];
    for (ssize_t n; (n = ::read(result[0], buf, sizeof buf)) > 0;) report.append(buf, n);
    ::close(result[0]);
    INFO(report);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 1);  // answered no: failed with answer = no
    CHECK(report.starts_with("1 answered no\n"));
    CHECK(report.find("info: answer: no (on the terminal)") != std::string::npos);
  }
}
