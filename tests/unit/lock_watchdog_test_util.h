// Helpers shared by the lock-watchdog's tests (test_lock_watchdog_*.cpp) against the real
// PostgreSQL (pg_test_util.h): a database of its own with a table t, an idle-in-transaction lock
// holder, a statement on its own thread (the watched step), and the watchdog itself running on
// its own thread with a StepContext that records firings and warnings. Header-only; for tests
// only. Watcher and AsyncQuery own their threads and join them in the destructor; Watcher's
// accessors are thread-safe (one mutex), the rest is used from the test's thread only.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kinds.h"
#include "pg_conn.h"
#include "pg_test_util.h"

namespace ordo::lock_watchdog_test {

using namespace std::chrono_literals;
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
inline void hold_share_lock(PgConn& c) {
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

// The value at `key` in `t`, or "<missing>".
inline const Value& at(const ValueTable& t, const std::string& key) {
  static const Value missing("<missing>");
  const Value* v = table_find(t, key);
  return v ? *v : missing;
}

}  // namespace ordo::lock_watchdog_test
