// Unit tests: what run_process sets up in the child — spawn errors as data, argv[0] on the
// child's PATH, exactly run_as.env, stdin from /dev/null, no inherited descriptors, reset signals,
// cwd, and user switching; with real processes.
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

// A scratch directory, removed at the end unless the test failed.
struct Scratch {
  std::string path;
  Scratch() {
    char tmpl[] = "/tmp/ordo-proc-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Scratch() { std::system(("rm -rf '" + path + "'").c_str()); }
};

}  // namespace

TEST_SUITE("process") {
  TEST_CASE("a missing or unrunnable program is a spawn error, not an exception" *
            doctest::timeout(20)) {
    ProcessSpec s;
    s.argv = {"ordo-no-such-program-xyz", "arg"};
    ProcessResult a = run_process(s);
    CHECK_FALSE(a.started);
    CHECK(a.spawn_error.find("cannot run 'ordo-no-such-program-xyz': No such file or directory") ==
          0);

    s.argv = {"/nonexistent/ordo-prog"};  // with a '/': execve itself fails in the child
    ProcessResult b = run_process(s);
    CHECK_FALSE(b.started);
    CHECK(b.spawn_error == "cannot run '/nonexistent/ordo-prog': No such file or directory"s);

    Scratch dir;
    const std::string script = dir.path + "/not-executable";
    std::ofstream(script) << "#!/bin/sh\necho hi\n";
    ::chmod(script.c_str(), 0644);
    s.argv = {script};
    ProcessResult c = run_process(s);
    CHECK_FALSE(c.started);
    CHECK(c.spawn_error == "cannot run '" + script + "': Permission denied");
  }

  TEST_CASE("argv[0] is searched on the child's PATH; the environment is exactly run_as.env" *
            doctest::timeout(20)) {
    Scratch dir;
    const std::string tool = dir.path + "/ordo-test-tool";
    std::ofstream(tool) << "#!/bin/sh\necho \"tool $0 $1\"\n";
    ::chmod(tool.c_str(), 0755);
    Lines lines;
    ProcessSpec s;
    s.argv = {"ordo-test-tool", "x y"};
    s.run_as.env = {{"PATH", dir.path + ":/usr/bin:/bin"}, {"FOO", "bar baz"}};
    s.on_line = lines.sink();
    ProcessResult r = run_process(s);
    REQUIRE(r.started);
    // A #! script gets its resolved path as $0 from the kernel.
    CHECK(lines.out == std::vector<std::string>{"tool " + tool + " x y"});

    // A binary keeps argv[0] as written, not the resolved path.
    ProcessSpec own = sh("head -c 2 /proc/$$/cmdline");
    ProcessResult o = run_process(own);
    CHECK(o.stdout_text == "sh"s);

    Lines env_lines;
    s.argv = {"env"};
    s.on_line = env_lines.sink();
    run_process(s);
    std::vector<std::string> want = {"PATH=" + dir.path + ":/usr/bin:/bin", "FOO=bar baz"};
    CHECK(env_lines.out == want);
  }

  TEST_CASE("stdin is /dev/null" * doctest::timeout(20)) {
    ProcessSpec s;
    s.argv = {"cat"};
    const auto t0 = Clock::now();
    ProcessResult r = run_process(s);
    CHECK(r.exit_code == 0);
    CHECK(r.stdout_text.empty());
    CHECK(Clock::now() - t0 < 5s);
    ProcessResult link = run_process(sh("readlink /proc/self/fd/0"));
    CHECK(link.stdout_text == "/dev/null\n"s);
  }

  TEST_CASE("no descriptor is inherited beyond 0, 1, 2" * doctest::timeout(20)) {
    const int leak = ::open("/dev/null", O_RDONLY);  // without O_CLOEXEC
    REQUIRE(leak >= 0);
    REQUIRE(::dup2(leak, 100) == 100);  // dup2 never sets CLOEXEC
    Lines lines;
    ProcessSpec s;
    s.argv = {"ls", "/proc/self/fd"};
    s.on_line = lines.sink();
    ProcessResult r = run_process(s);
    ::close(100);
    ::close(leak);
    CHECK(r.exit_code == 0);
    // 0, 1, 2 and the directory ls itself opened to list them.
    REQUIRE(lines.out.size() == 4);
    CHECK(lines.out[0] == "0"s);
    CHECK(lines.out[1] == "1"s);
    CHECK(lines.out[2] == "2"s);
    CHECK(lines.out[3] == "3"s);
  }

  TEST_CASE("signal dispositions and mask are reset in the child" * doctest::timeout(20)) {
    auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
    Lines lines;
    ProcessSpec s;
    s.argv = {"grep", "-E", "^(SigBlk|SigIgn)", "/proc/self/status"};
    s.on_line = lines.sink();
    ProcessResult r = run_process(s);
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::signal(SIGPIPE, old_pipe);
    REQUIRE(lines.out.size() == 2);
    for (const auto& l : lines.out) CHECK(l.substr(l.size() - 16) == "0000000000000000"s);
  }

  TEST_CASE("cwd: the child starts there; a missing one is a spawn error" * doctest::timeout(20)) {
    Scratch dir;
    ProcessSpec s;
    s.argv = {"pwd"};
    s.run_as.cwd = dir.path;
    ProcessResult r = run_process(s);
    CHECK(r.stdout_text == dir.path + "\n");

    s.run_as.cwd = dir.path + "/missing";
    ProcessResult m = run_process(s);
    CHECK_FALSE(m.started);
    CHECK(m.spawn_error == "cannot chdir to " + dir.path + "/missing: No such file or directory");
  }

  TEST_CASE("user switching runs with the user's ids, groups and login environment" *
            doctest::timeout(30) * doctest::skip(::geteuid() != 0)) {
    const char* user = "ordo-test-user";
    if (!::getpwnam(user)) std::system("useradd -r -M ordo-test-user >/dev/null 2>&1");
    const passwd* pw = ::getpwnam(user);
    REQUIRE(pw != nullptr);
    const uid_t uid = pw->pw_uid;
    const gid_t gid = pw->pw_gid;
    const std::string home = pw->pw_dir;

    StepEnvInput in;
    in.step_id = "as-user";
    in.user = user;
    auto ra = make_run_as(in);
    REQUIRE(ra.ok());
    Lines lines;
    ProcessSpec s = sh("id -u; id -g; id -G; echo \"$HOME|$USER|$LOGNAME|$PATH\"");
    s.run_as = *ra;
    s.on_line = lines.sink();
    ProcessResult r = run_process(s);
    REQUIRE(r.exit_code == 0);
    REQUIRE(lines.out.size() == 4);
    CHECK(lines.out[0] == std::to_string(uid));
    CHECK(lines.out[1] == std::to_string(gid));
    CHECK(lines.out[2] == std::to_string(gid));  // root's supplementary groups are gone
    CHECK(lines.out[3] == home + "|" + user + "|" + user +
                              "|/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games");

    // A directory the user may not enter: chdir happens after the switch.
    Scratch dir;
    ::chmod(dir.path.c_str(), 0700);
    s.run_as.cwd = dir.path;
    ProcessResult denied = run_process(s);
    CHECK_FALSE(denied.started);
    CHECK(denied.spawn_error == "cannot chdir to " + dir.path + ": Permission denied");
  }

  TEST_CASE("a user switch the caller may not make is a spawn error naming the user" *
            doctest::timeout(30)) {
    // In a forked helper that is not root (root drops to 65534 first): switching to root
    // must fail in the child at setgroups, be reported as that stage, and leave no child.
    int msg[2];
    REQUIRE(::pipe(msg) == 0);
    const pid_t helper = ::fork();
    REQUIRE(helper >= 0);
    if (helper == 0) {
      ::close(msg[0]);
      if (::geteuid() == 0 &&
          (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
        ::_exit(2);
      ProcessSpec s = sh("echo should-not-run");
      s.run_as.user = "root";
      s.run_as.uid = 0;
      s.run_as.gid = 0;
      const ProcessResult r = run_process(s);
      errno = 0;
      const pid_t left = ::waitpid(-1, nullptr, WNOHANG);  // no child left: -1, ECHILD
      const int left_errno = errno;
      const std::string text = (r.started ? "started"s : r.spawn_error) + "|" +
                               std::to_string(left) + "|" + std::to_string(left_errno);
      (void)!::write(msg[1], text.data(), text.size());
      ::_exit(0);
    }
    ::close(msg[1]);
    std::string got;
    char buf[512];
    ssize_t n;
    while ((n = ::read(msg[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    ::close(msg[0]);
    int st = 0;
    REQUIRE(::waitpid(helper, &st, 0) == helper);
    REQUIRE(WIFEXITED(st));
    REQUIRE(WEXITSTATUS(st) == 0);
    CHECK(got == "cannot switch to user 'root' (uid 0, gid 0): Operation not permitted|-1|" +
                     std::to_string(ECHILD));
  }
}
