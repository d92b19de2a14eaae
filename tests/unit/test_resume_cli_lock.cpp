// One run of a plan at a time, end to end with the real binary (ORDO_BIN): `ordo run` refused
// while a run is unfinished and `--fresh`, a second run or resume refused while one is live,
// a dead holder's lock taken over, and `ordo unlock`. Each test works in its own
// scratch directory under /tmp, removed when the test passes (resume_test_util.h).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "resume_test_util.h"

using namespace resume_test;
using namespace std::string_literals;

TEST_SUITE("resume_cli") {
  TEST_CASE("ordo run refuses while a run is unfinished; --fresh abandons it" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    std::string old = run_and_crash(s);
    write_file(s.path("go"), "");

    Result refused = ordo(s, {"run", "plan.toml", "--no-report"});
    CHECK(refused.rc == 3);
    CHECK(has(refused.err, "plan crashy has an unfinished run: " + old));
    CHECK(has(refused.err, "ordo resume plan.toml"));
    CHECK(has(refused.err, "ordo run --fresh plan.toml"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) == std::vector<std::string>{"first one"});

    Result fresh = ordo(s, {"run", "plan.toml", "--no-report", "--fresh"});
    CHECK(fresh.rc == 0);
    CHECK(has(fresh.err, "run " + old + " marked abandoned"));
    CHECK(lines_of(read_file(s.path("ledger.txt"))) ==
          std::vector<std::string>{"first one", "first one", "hang", "last"});
    std::vector<std::string> old_journal = lines_of(read_file(journal_of(s, old)));
    REQUIRE_FALSE(old_journal.empty());
    auto abandoned = nlohmann::json::parse(old_journal.back());
    CHECK(abandoned["t"] == "run_abandoned");
    Result status = ordo(s, {"status", "plan.toml", old});
    CHECK(status.rc == 0);
    CHECK(has(status.out, "Run " + old + " of plan crashy: abandoned"));
    // Now nothing is unfinished: a plain run goes ahead.
    CHECK(ordo(s, {"run", "plan.toml", "--no-report"}).rc == 0);
  }

  TEST_CASE("one run of a plan at a time: a second run or resume is refused, naming the holder" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    Proc first(s.dir, ordo_args({"run", "plan.toml", "--no-report"}), "first");
    REQUIRE(wait_for_file(s.path("hang.pid")));
    const std::string holder =
        "plan crashy is being run by pid " + std::to_string(first.pid) + " on host ";
    Result second = ordo(s, {"run", "plan.toml", "--no-report"});
    CHECK(second.rc == 3);
    CHECK(has(second.err, holder));
    CHECK(has(second.err, "(run 20"));
    Result resume = ordo(s, {"resume", "plan.toml", "--no-report"});
    CHECK(resume.rc == 3);
    CHECK(has(resume.err, holder));
    Result unlock = ordo(s, {"unlock", "plan.toml"});
    CHECK(unlock.rc == 3);
    CHECK(has(unlock.err, "not removing the lock of a live run"));
    Result status = ordo(s, {"status", "crashy"});
    CHECK(has(status.out, ": running (pid " + std::to_string(first.pid)));
    CHECK(has(status.out, "hang"));

    ::kill(first.pid, SIGTERM);  // stops `hang`, ends the run as interrupted
    CHECK(first.wait() == 130);
    CHECK_FALSE(exists(s.path("st/crashy/lock")));
  }

  TEST_CASE("a lock left by a dead process is taken over with a warning; ordo unlock removes one" *
            doctest::timeout(90) * doctest::skip(ordo_bin() == nullptr)) {
    Scratch s;
    INFO("scratch dir: " << s.dir);
    write_file(s.path("plan.toml"), crash_plan());
    write_file(s.path("go"), "");
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const std::string stale = "pid 999999999\nhost " + std::string(host) +
                              "\nsince 2026-01-01T00:00:00.000Z\nrun 20260101T000000Z-dead\n";
    REQUIRE(::mkdir(s.path("st").c_str(), 0700) == 0);
    REQUIRE(::mkdir(s.path("st/crashy").c_str(), 0700) == 0);
    write_file(s.path("st/crashy/lock"), stale);

    Result r = ordo(s, {"run", "plan.toml", "--no-report"});
    CHECK(r.rc == 0);
    CHECK(has(r.err, "warning: taking over the lock of plan crashy left by pid 999999999"));
    CHECK(has(r.err, "(run 20260101T000000Z-dead): that process is gone"));
    CHECK_FALSE(exists(s.path("st/crashy/lock")));

    write_file(s.path("st/crashy/lock"), stale);
    Result u = ordo(s, {"unlock", "crashy"});
    CHECK(u.rc == 0);
    CHECK(has(u.out, "Removed the stale lock of plan crashy left by pid 999999999"));
    CHECK_FALSE(exists(s.path("st/crashy/lock")));
    Result again = ordo(s, {"unlock", "plan.toml"});
    CHECK(again.rc == 0);
    CHECK(has(again.out, "is not locked"));
  }
}
