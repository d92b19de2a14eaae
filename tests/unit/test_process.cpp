// Unit tests: run_process with real processes (timeouts, process groups, pipes, signals,
// descriptors, users), and the exec and shell executors on top of it.
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
#include "step_env.h"

using namespace ordo;
using namespace std::string_literals;
using namespace std::chrono_literals;

namespace {

// Lines as run_process delivers them, per stream.
struct Lines {
  std::vector<std::string> out, err;
  size_t out_bytes = 0, err_bytes = 0;  // line bytes + 1 per newline
  std::function<void(OutputStream, std::string_view)> sink() {
    return [this](OutputStream s, std::string_view l) {
      if (s == OutputStream::Stderr) {
        err.emplace_back(l);
        err_bytes += l.size() + 1;
      } else {
        out.emplace_back(l);
        out_bytes += l.size() + 1;
      }
    };
  }
};

ProcessSpec sh(const std::string& script) {
  ProcessSpec s;
  s.argv = {"sh", "-c", script};
  return s;
}

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

// A scratch directory, removed at the end unless the test failed.
struct Scratch {
  std::string path;
  Scratch() {
    char tmpl[] = "/tmp/ordo-proc-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Scratch() { std::system(("rm -rf '" + path + "'").c_str()); }
};

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

  TEST_CASE("10 MB on stdout and stderr at once do not deadlock" * doctest::timeout(60)) {
    Lines lines;
    ProcessSpec s =
        sh("(yes aaaaaaaaa | head -c 10000000) & (yes bbbbbbbbb | head -c 10000000 >&2); wait");
    s.on_line = lines.sink();
    ProcessResult r = run_process(s);
    CHECK(r.exit_code == 0);
    CHECK(lines.out_bytes == 10000000);
    CHECK(lines.err_bytes == 10000000);
    CHECK(lines.out.size() == 1000000);
    CHECK(lines.out.back() == "aaaaaaaaa"s);
    CHECK(lines.err.back() == "bbbbbbbbb"s);
    // Capture keeps the first MiB and says it cut.
    CHECK(r.stdout_text.size() == size_t{1} << 20);
    CHECK(r.stdout_truncated);
    CHECK(r.stdout_text.substr(0, 10) == "aaaaaaaaa\n"s);
    CHECK(r.stderr_text.empty());  // not asked for
  }

  TEST_CASE("lines: a final partial line is flushed; stderr capture on request" *
            doctest::timeout(20)) {
    Lines lines;
    ProcessSpec s = sh("printf 'a\\n\\nb'; printf 'e1\\ne2' >&2");
    s.on_line = lines.sink();
    s.capture_stderr = true;
    s.capture_limit = 3;
    ProcessResult r = run_process(s);
    CHECK(lines.out == std::vector<std::string>{"a", "", "b"});
    CHECK(lines.err == std::vector<std::string>{"e1", "e2"});
    CHECK(r.stdout_text == "a\n\n"s);
    CHECK(r.stdout_truncated);
    CHECK(r.stderr_text == "e1\n"s);
    CHECK(r.stderr_truncated);
  }

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

  TEST_CASE("concurrent runs on several threads each get their own output and status" *
            doctest::timeout(60)) {
    constexpr int kThreads = 4, kRuns = 15;
    std::vector<int> bad(kThreads, 0);
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([t, &bad] {
          for (int i = 0; i < kRuns; ++i) {
            const std::string tag = std::to_string(t) + "-" + std::to_string(i);
            ProcessResult r = run_process(sh("echo " + tag + "; exit " + std::to_string(i)));
            if (r.stdout_text != tag + "\n" || r.exit_code != i) ++bad[static_cast<size_t>(t)];
          }
        });
    }
    CHECK(bad == std::vector<int>(kThreads, 0));
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
