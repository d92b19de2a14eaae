// Unit tests: the lock-watchdog's life and its connection, against a real PostgreSQL (TEST_PGHOST,
// TEST_PGPORT; skipped when unset) — a prompt stop, an unreachable database, a lost connection
// and the reconnect, and connecting as another OS user (peer authentication). Each case runs run()
// on its own thread (lock_watchdog_test_util.h).
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

TEST_CASE("lock-watchdog: a stop before the threshold returns promptly without firing" *
          doctest::skip(no_pg()) * doctest::timeout(60)) {
  LockDb db;
  PgConn a = db.connect("holder");
  PgConn b = db.connect("ordo-db-upgrade");
  hold_share_lock(a);
  Watcher w({{"dsn", Value(db.dsn())}, {"threshold", Value("30s")}, {"poll", Value("2s")}});
  AsyncQuery alter(b, "ALTER TABLE t ADD COLUMN x int");
  REQUIRE(eventually([&] { return db.watchdog_pid() != 0; }));
  REQUIRE(eventually([&] { return db.lock_wait_ms(b.backend_pid()) >= 300; }));
  CHECK(w.finish() < 500ms);  // in the middle of a 2 s poll sleep
  CHECK(w.fired() == 0);
  CHECK(w.outcome.status == Outcome::Status::Succeeded);
  CHECK(at(w.outcome.outputs, "fired").as_int() == 0);
  db.terminate(a.backend_pid());
  CHECK(alter.wait().error == ""s);
}

TEST_CASE("lock-watchdog: an unreachable database is one warning; it keeps trying" *
          doctest::skip(no_pg()) * doctest::timeout(60)) {
  Watcher w({{"dsn", Value("host=127.0.0.1 port=" + std::to_string(free_port()) +
                           " user=postgres dbname=x sslmode=disable")},
             {"threshold", Value("1s")},
             {"poll", Value("100ms")}});
  REQUIRE(eventually([&] { return w.warned() >= 1; }));
  CHECK(w.warn_at(0).find(
            "lock-watchdog: database unreachable: cannot connect to host=127.0.0.1") == 0);
  std::this_thread::sleep_for(800ms);  // 8 more failed polls: still one warning
  CHECK(w.warned() == 1);
  CHECK_FALSE(w.done.load());
  CHECK(w.finish() < 500ms);
  CHECK(w.outcome.status == Outcome::Status::Succeeded);
  CHECK(at(w.outcome.outputs, "fired").as_int() == 0);
}

TEST_CASE("lock-watchdog: a lost connection warns, reconnects, warns once more, still fires" *
          doctest::skip(no_pg()) * doctest::timeout(60)) {
  LockDb db;
  Watcher w({{"dsn", Value(db.dsn())}, {"threshold", Value("300ms")}, {"poll", Value("100ms")}});
  int first = 0;
  REQUIRE(eventually([&] { return (first = db.watchdog_pid()) != 0; }));
  db.terminate(first);
  REQUIRE(eventually([&] { return w.warned() >= 2; }));
  CHECK(w.warn_at(0).find("lock-watchdog: database unreachable: ") == 0);
  CHECK(w.warn_at(1) == "lock-watchdog: database reachable again"s);
  int second = db.watchdog_pid();
  CHECK(second != 0);
  CHECK(second != first);

  PgConn a = db.connect("holder");
  PgConn b = db.connect("ordo-db-upgrade");
  hold_share_lock(a);
  AsyncQuery alter(b, "ALTER TABLE t ADD COLUMN x int");
  CHECK(eventually([&] { return w.fired() == 1; }));
  db.terminate(a.backend_pid());
  CHECK(alter.wait().error == ""s);
  CHECK(w.warned() == 2);
}

TEST_CASE("lock-watchdog with `user` connects as that OS user (peer authentication)" *
          doctest::skip(no_pg() || ::geteuid() != 0) * doctest::timeout(60)) {
  pg_test::PeerDb peer;
  REQUIRE(peer.run_as.has_value());
  const ValueTable params = {
      {"dsn", Value(pg_test::PeerDb::dsn())}, {"threshold", Value("1s")}, {"poll", Value("100ms")}};
  ordo::PgConn admin;
  PgConnectOptions o;
  o.dsn = server_dsn("postgres");
  REQUIRE(admin.connect(o).error == "");
  // The watchdog's session in ordo_peer, by role ("" if none).
  auto session_role = [&] {
    PgResult r = admin.exec(
        "SELECT coalesce(max(usename), '') FROM pg_stat_activity WHERE datname = 'ordo_peer' "
        "AND application_name = 'ordo-lock-watchdog'");
    return r.ok() && r.cell(0, 0) ? *r.cell(0, 0) : std::string("<error>");
  };

  SUBCASE("without `user`: root has no role, one 'database unreachable' warning") {
    Watcher w(params);
    REQUIRE(eventually([&] { return w.warned() >= 1; }));
    INFO(w.warn_at(0));
    CHECK(w.warn_at(0).find("FATAL:  role \"root\" does not exist") != std::string::npos);
    w.finish();
  }
  SUBCASE("with `user`: it connects as that role and warns nothing") {
    Watcher w(params, 0, *peer.run_as);
    CHECK(eventually([&] { return session_role() == pg_test::PeerDb::kUser; }));
    std::this_thread::sleep_for(300ms);  // a few polls on the connection
    CHECK(w.warned() == 0);
    CHECK_FALSE(w.done.load());
    w.finish();
    CHECK(w.outcome.status == Outcome::Status::Succeeded);
    INFO(w.warn_at(0));
    CHECK(w.warned() == 0);
  }
  CHECK(::geteuid() == 0);
}
