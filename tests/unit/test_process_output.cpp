// Unit tests: run_process's output — large stdout and stderr at once without deadlock, lines
// (a final partial line, stderr capture), and concurrent runs on several threads; with real
// processes.
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

TEST_SUITE("process") {
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
}
