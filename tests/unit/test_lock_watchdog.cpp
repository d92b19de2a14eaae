// Unit tests: the lock-watchdog watcher against a real PostgreSQL (TEST_PGHOST, TEST_PGPORT;
// skipped when unset). Each case runs run() on its own thread with a StepContext that records
// firings and warnings, and plays the watched step itself with libpq sessions.
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
#include "pg_conn.h"
#include "pg_test_util.h"

using namespace ordo;
using namespace std::string_literals;
using namespace std::chrono_literals;

namespace {

using pg_test::eventually;
using pg_test::free_port;
using pg_test::no_pg;
using pg_test::server_dsn;

// A database of its own with a one-row table t, dropped (with its sessions) at the end.
struct LockDb : pg_test::TestDb {
  LockDb() : pg_test::TestDb("ordo_watchdog") {
    ordo::PgConn c = connect("setup");
    REQUIRE(c.exec("CREATE TABLE t (id int)").ok());
    REQUIRE(c.exec("INSERT INTO t VALUES (1)").ok());
  }
  // How long `pid` has waited for its ungranted lock, by pg_locks.waitstart (-1: not waiting).
  int64_t lock_wait_ms(int pid) {
    PgResult r = admin.exec(
        "SELECT coalesce(max(floor(extract(epoch FROM clock_timestamp() - waitstart) * 1000)), "
        "-1)::bigint FROM pg_locks WHERE pid = $1 AND NOT granted",
        {std::to_string(pid)});
    return r.ok() && r.cell(0, 0) ? std::atoll(r.cell(0, 0)->c_str()) : -1;
  }
  // The watchdog's own session in this database (0 if none).
  int watchdog_pid() {
    PgResult r = admin.exec(
        "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE datname = $1 AND "
        "application_name = 'ordo-lock-watchdog'",
        {name});
    return r.ok() && r.cell(0, 0) ? std::atoi(r.cell(0, 0)->c_str()) : 0;
  }
  void terminate(int pid) {
    REQUIRE(admin.exec("SELECT pg_terminate_backend($1)", {std::to_string(pid)}).ok());
  }
};

// Holds ACCESS SHARE on t, idle in transaction.
void hold_share_lock(PgConn& c) {
  REQUIRE(c.exec("BEGIN").ok());
  REQUIRE(c.exec("SELECT * FROM t LIMIT 1").ok());
}

// A statement sent on its own thread (the "watched step"); cancelled and awaited at the end.
struct AsyncQuery {
  std::stop_source stop;
  std::future<PgResult> result;
  AsyncQuery(PgConn& c, std::string sql) {
    result = std::async(std::launch::async,
                        [&c, sql, tok = stop.get_token()] { return c.exec(sql, {}, tok); });
  }
  ~AsyncQuery() {
    stop.request_stop();
    if (result.valid()) result.wait();
  }
  // The statement's result once it ended within `within`, else an error.
  PgResult wait(std::chrono::milliseconds within = 10s) {
    if (result.wait_for(within) != std::future_status::ready) {
      PgResult r;
      r.end = PgEnd::Failed;
      r.error = "still running";
      return r;
    }
    return result.get();
  }
};

// The watchdog running on its own thread, with a StepContext that records what it reports.
struct Watcher {
  std::unique_ptr<Executor> exec = make_lock_watchdog_executor();
  StepContext ctx;
  std::stop_source stop;
  std::mutex m;
  std::vector<ValueTable> fires;
  std::vector<std::string> warns, info;
  int limit;  // fire() returns false from the limit-th call on (as the scheduler does); 0: never
  Outcome outcome;
  std::atomic<bool> done{false};
  std::thread thread;

  Watcher(ValueTable params, int fire_limit = 0, RunAs run_as = {}) : limit(fire_limit) {
    ctx.run_as = std::move(run_as);
    ctx.step_id = "watch";
    ctx.kind = "lock-watchdog";
    ctx.params = resolve_params(exec->spec(), params);
    ctx.stop = stop.get_token();
    ctx.fire = [this](const ValueTable& d) {
      std::lock_guard lock(m);
      fires.push_back(d);
      return limit == 0 || static_cast<int>(fires.size()) < limit;
    };
    ctx.warn = [this](std::string_view w) {
      std::lock_guard lock(m);
      warns.emplace_back(w);
    };
    ctx.output = [this](OutputStream, std::string_view l) {
      std::lock_guard lock(m);
      info.emplace_back(l);
    };
    thread = std::thread([this] {
      outcome = exec->run(ctx);
      done = true;
    });
  }
  ~Watcher() {
    stop.request_stop();
    if (thread.joinable()) thread.join();
  }
  size_t fired() {
    std::lock_guard lock(m);
    return fires.size();
  }
  size_t warned() {
    std::lock_guard lock(m);
    return warns.size();
  }
  ValueTable fire_at(size_t i) {
    std::lock_guard lock(m);
    return i < fires.size() ? fires[i] : ValueTable{};
  }
  std::string warn_at(size_t i) {
    std::lock_guard lock(m);
    return i < warns.size() ? warns[i] : "<none>";
  }
  // Requests stop and joins; returns how long run() took to return.
  Clock::duration finish() {
    const auto asked = Clock::now();
    stop.request_stop();
    thread.join();
    return Clock::now() - asked;
  }
};

const Value& at(const ValueTable& t, const std::string& key) {
  static const Value missing("<missing>");
  const Value* v = table_find(t, key);
  return v ? *v : missing;
}

}  // namespace

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
