// Unit tests: when the lock-watchdog fires, against a real PostgreSQL (TEST_PGHOST, TEST_PGPORT;
// skipped when unset) — a lock wait behind an idle-in-transaction session, not a slow statement
// without one, `match` by application_name or query, and max_fires. Each case runs run() on its
// own thread and plays the watched step itself with libpq sessions (lock_watchdog_test_util.h).
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

#include "kinds.h"
#include "lock_watchdog_test_util.h"
#include "pg_conn.h"
#include "pg_test_util.h"

using namespace ordo;
using namespace std::string_literals;
using namespace std::chrono_literals;
using namespace ordo::lock_watchdog_test;

TEST_CASE("lock-watchdog fires for a lock wait behind an idle-in-transaction session" *
          doctest::skip(no_pg()) * doctest::timeout(60)) {
  LockDb db;
  PgConn a = db.connect("holder");
  PgConn b = db.connect("ordo-db-upgrade");
  const int a_pid = a.backend_pid(), b_pid = b.backend_pid();
  hold_share_lock(a);

  Watcher w({{"dsn", Value(db.dsn())},
             {"threshold", Value("1s")},
             {"poll", Value("200ms")},
             {"match", Value("ordo-db-upgrade")},
             {"max_fires", Value(5)}});
  const auto sent = Clock::now();
  AsyncQuery alter(b, "ALTER TABLE t ADD COLUMN x int");
  REQUIRE(eventually([&] { return w.fired() == 1; }));
  CHECK(Clock::now() - sent >= 1s);

  ValueTable d = w.fire_at(0);
  CHECK(at(d, "pid").as_int() == b_pid);
  CHECK(at(d, "application_name").as_string() == "ordo-db-upgrade"s);
  CHECK(at(d, "relation").as_string() == "t"s);
  CHECK(at(d, "mode").as_string() == "AccessExclusiveLock"s);
  CHECK(at(d, "wait_ms").as_int() >= 1000);
  CHECK(at(d, "query").as_string() == "ALTER TABLE t ADD COLUMN x int"s);
  REQUIRE(at(d, "blockers").is_list());
  REQUIRE(at(d, "blockers").as_list().size() == 1);
  const ValueTable& blocker = at(d, "blockers").as_list()[0].as_table();
  CHECK(at(blocker, "pid").as_int() == a_pid);
  CHECK(at(blocker, "application_name").as_string() == "holder"s);
  CHECK(at(blocker, "state").as_string() == "idle in transaction"s);
  CHECK(at(blocker, "query").as_string() == "SELECT * FROM t LIMIT 1"s);
  CHECK(at(blocker, "usename").as_string() == "postgres"s);
  CHECK(at(blocker, "xact_age_ms").as_int() >= 1000);
  CHECK(at(d, "blocked_by").to_text() == std::to_string(a_pid));
  // The one-line summary people read in the console and the report.
  CHECK(at(d, "summary")
            .as_string()
            .find("ordo-db-upgrade (pid " + std::to_string(b_pid) + ") waited ") == 0);
  CHECK(at(d, "summary")
            .as_string()
            .find(" for AccessExclusiveLock on t; blocked by pid " + std::to_string(a_pid) +
                  " holder [idle in transaction") != std::string::npos);

  // The same wait goes on: no second firing.
  REQUIRE(eventually([&] { return db.lock_wait_ms(b_pid) >= 2800; }));
  CHECK(w.fired() == 1);

  // The triggered step's job: end the blocker; the ALTER then completes.
  db.terminate(a_pid);
  PgResult r = alter.wait();
  CHECK(r.error == ""s);
  CHECK(w.finish() < 1s);
  CHECK(w.outcome.status == Outcome::Status::Succeeded);
  CHECK(at(w.outcome.outputs, "fired").as_int() == 1);
  const std::string blockers = at(w.outcome.outputs, "blockers").as_string();
  CHECK(blockers.find("pid " + std::to_string(a_pid) + " holder [idle in transaction") == 0);
  CHECK(blockers.find("]: SELECT * FROM t LIMIT 1") != std::string::npos);
}

TEST_CASE("lock-watchdog: a slow statement that waits on no lock never fires" *
          doctest::skip(no_pg()) * doctest::timeout(60)) {
  LockDb db;
  Watcher w({{"dsn", Value(db.dsn())}, {"threshold", Value("300ms")}, {"poll", Value("100ms")}});
  REQUIRE(eventually([&] { return db.watchdog_pid() != 0; }));
  PgConn slow = db.connect("ordo-db-upgrade");
  {
    AsyncQuery sleep(slow, "SELECT pg_sleep(1.5)");
    CHECK(sleep.wait().error == ""s);
  }
  CHECK(w.fired() == 0);

  // The same watcher does fire for a real lock wait (so the silence above meant something).
  PgConn a = db.connect("holder");
  hold_share_lock(a);
  AsyncQuery alter(slow, "ALTER TABLE t ADD COLUMN x int");
  CHECK(eventually([&] { return w.fired() == 1; }));
  db.terminate(a.backend_pid());
  CHECK(alter.wait().error == ""s);
}

TEST_CASE("lock-watchdog: `match` selects by application_name or by query regex" *
          doctest::skip(no_pg()) * doctest::timeout(60)) {
  LockDb db;
  PgConn a = db.connect("holder");
  PgConn other = db.connect("other-app");
  PgConn upgrade = db.connect("ordo-db-upgrade");
  PgConn regex = db.connect("some-app");
  hold_share_lock(a);

  Watcher by_name({{"dsn", Value(db.dsn())},
                   {"threshold", Value("500ms")},
                   {"poll", Value("100ms")},
                   {"match", Value("ordo-db-upgrade")}});
  AsyncQuery q1(other, "ALTER TABLE t ADD COLUMN x int");
  REQUIRE(eventually([&] { return db.lock_wait_ms(other.backend_pid()) >= 1000; }));
  CHECK(by_name.fired() == 0);

  AsyncQuery q2(upgrade, "ALTER TABLE t ADD COLUMN y int");
  REQUIRE(eventually([&] { return by_name.fired() == 1; }));
  CHECK(at(by_name.fire_at(0), "pid").as_int() == upgrade.backend_pid());

  Watcher by_query({{"dsn", Value(db.dsn())},
                    {"threshold", Value("300ms")},
                    {"poll", Value("100ms")},
                    {"match", Value("ADD COLUMN +z")}});
  AsyncQuery q3(regex, "ALTER TABLE t ADD COLUMN z int");
  REQUIRE(eventually([&] { return by_query.fired() >= 1; }));
  REQUIRE(eventually([&] { return db.lock_wait_ms(regex.backend_pid()) >= 800; }));
  CHECK(by_query.fired() == 1);
  CHECK(at(by_query.fire_at(0), "pid").as_int() == regex.backend_pid());
  CHECK(by_name.fired() == 1);

  db.terminate(a.backend_pid());
  CHECK(q1.wait().error == ""s);
  CHECK(q2.wait().error == ""s);
  CHECK(q3.wait().error == ""s);
}

TEST_CASE("lock-watchdog: at most max_fires firings; fire() returning false stops it" *
          doctest::skip(no_pg()) * doctest::timeout(60)) {
  LockDb db;
  PgConn a = db.connect("holder");
  PgConn b = db.connect("ordo-db-upgrade");

  SUBCASE("max_fires = 2: two separate waits of one session fire, a third does not") {
    Watcher w({{"dsn", Value(db.dsn())},
               {"threshold", Value("300ms")},
               {"poll", Value("100ms")},
               {"max_fires", Value(2)}});
    for (int i = 0; i < 3; ++i) {
      hold_share_lock(a);
      AsyncQuery alter(b, "ALTER TABLE t ADD COLUMN c" + std::to_string(i) + " int");
      if (i < 2) {
        REQUIRE(eventually([&] { return w.fired() == static_cast<size_t>(i + 1); }));
        CHECK(at(w.fire_at(static_cast<size_t>(i)), "pid").as_int() == b.backend_pid());
      } else {
        REQUIRE(eventually([&] { return db.lock_wait_ms(b.backend_pid()) >= 900; }));
        CHECK(w.fired() == 2);
      }
      REQUIRE(a.exec("COMMIT").ok());
      CHECK(alter.wait().error == ""s);
    }
    CHECK(eventually([&] { return w.done.load(); }, 2s));  // returned without a stop request
    CHECK(w.outcome.status == Outcome::Status::Succeeded);
    CHECK(at(w.outcome.outputs, "fired").as_int() == 2);
  }

  SUBCASE("fire() returning false ends the watch at once") {
    Watcher w({{"dsn", Value(db.dsn())},
               {"threshold", Value("300ms")},
               {"poll", Value("100ms")},
               {"max_fires", Value(5)}},
              /*fire_limit=*/1);
    hold_share_lock(a);
    AsyncQuery alter(b, "ALTER TABLE t ADD COLUMN x int");
    REQUIRE(eventually([&] { return w.fired() == 1; }));
    CHECK(eventually([&] { return w.done.load(); }, 2s));
    CHECK(w.outcome.status == Outcome::Status::Succeeded);
    REQUIRE(a.exec("COMMIT").ok());
    CHECK(alter.wait().error == ""s);
  }
}
