// The files beside the journal: the run lock (one holder, named; a dead holder's lock taken
// over or waited for) and the vars file (real values, secrets too, the salt, --fact overrides);
// files in a scratch directory.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "events_json.h"
#include "fingerprint.h"
#include "journal.h"
#include "journal_replay.h"
#include "journal_test_util.h"
#include "resume.h"
#include "run_lock.h"
#include "run_vars.h"
#include "sched_fakes.h"
#include "sha256.h"

using namespace ordo;
using namespace ordo::testing;
using namespace std::string_literals;
using namespace journal_test;

TEST_SUITE("journal") {
  TEST_CASE("the run lock: one holder, the holder named, a dead holder's file taken over") {
    TempDir t;
    const std::string path = t.path("lock");
    RunLock first;
    auto got = first.acquire(path);
    REQUIRE(got.ok());
    CHECK(*got == RunLock::Outcome::Acquired);
    CHECK_FALSE(first.stale().has_value());
    REQUIRE(first.describe("R1").ok());
    CHECK(mode_of(path) == 0600);

    RunLock second;  // another open file description: flock(2) conflicts even in one process
    auto busy = second.acquire(path);
    REQUIRE(busy.ok());
    CHECK(*busy == RunLock::Outcome::Busy);
    CHECK(second.holder().pid == static_cast<long>(::getpid()));
    CHECK(second.holder().run == "R1"s);
    CHECK(describe_holder(second.holder()).find("pid " + std::to_string(::getpid()) + " on host") ==
          0);
    auto probe = probe_lock(path);
    REQUIRE(probe.ok());
    CHECK(probe->held);

    first.release();
    CHECK(::access(path.c_str(), F_OK) != 0);  // a clean release removes the file

    spit(path, "pid 999999999\nhost " + this_host() + "\nsince 2026-01-01T00:00:00Z\nrun R0\n");
    auto stale = probe_lock(path);
    REQUIRE(stale.ok());
    CHECK(stale->exists);
    CHECK_FALSE(stale->held);
    RunLock third;
    auto taken = third.acquire(path);
    REQUIRE(taken.ok());
    CHECK(*taken == RunLock::Outcome::Acquired);
    REQUIRE(third.stale().has_value());
    CHECK(third.stale()->pid == 999999999);
    CHECK_FALSE(third.stale()->alive_here);
    CHECK(third.stale()->run == "R0"s);
  }

  TEST_CASE("a lock still held after its holder died is waited for (a child not yet exec'd)" *
            doctest::timeout(30)) {
    TempDir t;
    const std::string path = t.path("lock");
    RunLock first;
    REQUIRE(first.acquire(path).ok());
    // The holder named in the file is gone, yet the lock is held (here: by `first`).
    spit(path, "pid 999999999\nhost " + this_host() + "\nsince 2026-01-01T00:00:00Z\n");
    std::thread releaser([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      first.release();
    });
    RunLock second;
    auto t0 = std::chrono::steady_clock::now();
    auto got = second.acquire(path);
    auto waited = std::chrono::steady_clock::now() - t0;
    releaser.join();
    REQUIRE(got.ok());
    CHECK(*got == RunLock::Outcome::Acquired);
    CHECK(waited >= std::chrono::milliseconds(250));
    CHECK(waited < RunLock::kOrphanWait);
  }

  TEST_CASE("the vars file keeps real values (secrets too), the salt and --fact overrides") {
    TempDir t;
    Diagnostics d;
    auto plan = load_plan_text(R"([plan]
name = "v"
[vars]
plain = "x"
n = 3
flag = true
items = ["a", "b c"]
[vars.password]
default = "p\"q\\r\n\u0001"
secret = true
)",
                               "v.toml", d);
    REQUIRE(plan.has_value());
    VarValues vars = resolve_vars(*plan, {}, d);
    REQUIRE_FALSE(d.has_errors());
    const std::string path = t.path("vars.toml");
    REQUIRE(write_run_vars(path, "test", *plan, vars, "salty", {{"os_family", "rhel"}}).ok());
    CHECK(mode_of(path) == 0600);
    StoredVars back = read_run_vars(path, d);
    std::ostringstream diag;
    d.print(diag);
    INFO(diag.str());
    REQUIRE_FALSE(d.has_errors());
    CHECK(back.salt == "salty"s);
    REQUIRE(back.facts.size() == 1);
    CHECK(back.facts[0].second == "rhel"s);
    VarValues again = resolve_vars(*plan, back.overrides, d);
    REQUIRE_FALSE(d.has_errors());
    for (const auto& [name, value] : vars) {
      INFO(name);
      CHECK(again.at(name).same_as(value));
    }
    CHECK(again.at("password").as_string() == "p\"q\\r\n\x01"s);
  }
}
