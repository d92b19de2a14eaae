// Benchmark (not a test): how late does the lock-watchdog fire? For each setting it runs one
// watchdog and creates 20 separate lock waits (an ALTER TABLE behind an idle-in-transaction
// SELECT, started at a random phase of the poll cadence), and measures, per wait, the time from
// the wait reaching `threshold` (pg_locks.waitstart + threshold, wall clock of this host) to the
// call of ctx.fire. Prints p50/p95/max per setting beside the poll interval.
//
// Needs a PostgreSQL: TEST_PGHOST (socket dir) and TEST_PGPORT, superuser postgres.
// Usage: build-x/tests/watchdog-latency [runs]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kinds.h"
#include "pg_conn.h"

using namespace ordo;
using namespace std::chrono_literals;

namespace {

std::string server_dsn(const std::string& db) {
  return std::string("host=") + std::getenv("TEST_PGHOST") + " port=" + std::getenv("TEST_PGPORT") +
         " user=postgres sslmode=disable dbname=" + db;
}

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool check(const PgResult& r, const char* what) {
  if (!r.ok()) std::fprintf(stderr, "%s: %s\n", what, r.error.c_str());
  return r.ok();
}

struct Setting {
  Millis poll, threshold;
};

// Runs `runs` waits under one watchdog; returns the latencies in ms (empty on error).
std::vector<double> measure(const std::string& db, Setting s, int runs, int& column) {
  PgConn a, b, admin;
  PgConnectOptions o;
  o.dsn = server_dsn(db) + " application_name=bench-holder";
  if (!check(a.connect(o), "connect")) return {};
  o.dsn = server_dsn(db) + " application_name=ordo-db-upgrade";
  if (!check(b.connect(o), "connect")) return {};
  o.dsn = server_dsn(db);
  if (!check(admin.connect(o), "connect")) return {};

  std::mutex m;
  std::condition_variable cv;
  std::vector<int64_t> fired_at;  // wall clock µs of each fire() call
  auto exec = make_lock_watchdog_executor();
  StepContext ctx;
  ctx.step_id = "bench";
  ctx.params = resolve_params(exec->spec(), {{"dsn", Value(server_dsn(db))},
                                             {"threshold", Value(format_duration(s.threshold))},
                                             {"poll", Value(format_duration(s.poll))},
                                             {"match", Value("ordo-db-upgrade")},
                                             {"max_fires", Value(runs + 1)}});
  std::stop_source stop;
  ctx.stop = stop.get_token();
  ctx.fire = [&](const ValueTable&) {
    int64_t now = wall_us();
    std::lock_guard lock(m);
    fired_at.push_back(now);
    cv.notify_all();
    return true;
  };
  ctx.warn = [](std::string_view w) {
    std::fprintf(stderr, "warn: %.*s\n", int(w.size()), w.data());
  };
  std::thread watcher([&] { (void)exec->run(ctx); });

  std::mt19937 rng(42);
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    std::this_thread::sleep_for(
        Millis(std::uniform_int_distribution<int64_t>(0, s.poll.count())(rng)));
    if (!check(a.exec("BEGIN"), "begin") || !check(a.exec("SELECT * FROM t LIMIT 1"), "select"))
      break;
    std::string sql = "ALTER TABLE t ADD COLUMN c" + std::to_string(column++) + " int";
    auto alter = std::async(std::launch::async, [&b, sql] { return b.exec(sql, {}); });
    {
      std::unique_lock lock(m);
      if (!cv.wait_for(lock, s.threshold + s.poll + 10s,
                       [&] { return fired_at.size() == static_cast<size_t>(i + 1); })) {
        std::fprintf(stderr, "no firing for wait %d\n", i);
        break;
      }
    }
    PgResult ws = admin.exec(
        "SELECT (extract(epoch FROM waitstart) * 1000000)::bigint FROM pg_locks WHERE pid = $1 "
        "AND NOT granted AND waitstart IS NOT NULL",
        {std::to_string(b.backend_pid())});
    if (!check(ws, "waitstart") || !ws.cell(0, 0)) break;
    int64_t reached = std::atoll(ws.cell(0, 0)->c_str()) + s.threshold.count() * 1000;
    {
      std::lock_guard lock(m);
      out.push_back(double(fired_at.back() - reached) / 1000.0);
    }
    if (!check(a.exec("COMMIT"), "commit") || !check(alter.get(), "alter")) break;
  }
  stop.request_stop();
  watcher.join();
  return out;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::max(0.0, std::ceil(p * double(v.size())) - 1));
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (!std::getenv("TEST_PGHOST") || !std::getenv("TEST_PGPORT")) {
    std::fprintf(stderr, "set TEST_PGHOST and TEST_PGPORT to a PostgreSQL (superuser postgres)\n");
    return 2;
  }
  const int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::string db = "ordo_bench_latency_" + std::to_string(::getpid());
  PgConn admin;
  PgConnectOptions o;
  o.dsn = server_dsn("postgres");
  if (!check(admin.connect(o), "connect") || !check(admin.exec("CREATE DATABASE " + db), "create"))
    return 1;
  {
    PgConn c;
    o.dsn = server_dsn(db);
    if (!check(c.connect(o), "connect") ||
        !check(c.exec("CREATE TABLE t AS SELECT 1 AS id"), "create table"))
      return 1;
  }

  std::printf(
      "lock-watchdog firing latency: fire() time - (waitstart + threshold), %d waits each\n", runs);
  std::printf("%-8s %-10s %8s %8s %8s %8s   %s\n", "poll", "threshold", "p50 ms", "p95 ms",
              "max ms", "min ms", "max / poll");
  int column = 0;
  int rc = 0;
  for (Setting s : {Setting{100ms, 1000ms}, Setting{500ms, 1000ms}, Setting{500ms, 200ms}}) {
    std::vector<double> lat = measure(db, s, runs, column);
    if (lat.size() != static_cast<size_t>(runs)) {
      std::fprintf(stderr, "only %zu of %d waits measured\n", lat.size(), runs);
      rc = 1;
      if (lat.empty()) continue;
    }
    std::printf("%-8s %-10s %8.1f %8.1f %8.1f %8.1f   %.2f\n", format_duration(s.poll).c_str(),
                format_duration(s.threshold).c_str(), pct(lat, 0.50), pct(lat, 0.95), pct(lat, 1.0),
                pct(lat, 0.0), pct(lat, 1.0) / double(s.poll.count()));
    std::fflush(stdout);
  }
  (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  return rc;
}
