// Lock-wait queries and firing descriptions (see lock_waits.h).
#include "lock_waits.h"

#include <algorithm>
#include <cstdlib>

namespace ordo {
namespace {

// The waiting sessions: $1 = `match` ('' for all), $2 = whether $1 is a usable regex.
constexpr const char* kWaitsSql = R"(
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.query, ''),
       coalesce(l.waitstart::text, ''),
       coalesce(floor(extract(epoch FROM clock_timestamp() - l.waitstart) * 1000)::bigint, -1),
       coalesce(l.relation::regclass::text, ''), coalesce(l.mode, ''), coalesce(l.locktype, ''),
       array_to_string(bp.pids, ',')
FROM pg_stat_activity a
CROSS JOIN LATERAL (SELECT pg_blocking_pids(a.pid) AS pids) bp
LEFT JOIN LATERAL (SELECT * FROM pg_locks p WHERE p.pid = a.pid AND NOT p.granted LIMIT 1) l
  ON true
WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
  AND a.datname = current_database() AND cardinality(bp.pids) > 0
  AND ($1 = '' OR a.application_name = $1 OR CASE WHEN $2 THEN a.query ~ $1 ELSE false END)
)";

// The blocking sessions, in the order of $1 (an int[] literal). pid 0 is a prepared transaction.
constexpr const char* kBlockersSql = R"(
SELECT b.pid, a.pid IS NOT NULL, coalesce(a.application_name, ''), coalesce(a.state, ''),
       coalesce(floor(extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint, -1),
       coalesce(a.query, ''), coalesce(a.usename::text, ''),
       coalesce(host(a.client_addr), CASE WHEN a.pid IS NULL THEN '' ELSE 'local' END)
FROM unnest($1::int[]) WITH ORDINALITY AS b(pid, n)
LEFT JOIN pg_stat_activity a ON a.pid = b.pid
ORDER BY b.n
)";

std::string cell(const PgResult& r, size_t row, size_t col) {
  const std::string* v = r.cell(row, col);
  return v ? *v : "";
}

}  // namespace

const char* lock_waits_sql() {
  return kWaitsSql;
}
const char* lock_blockers_sql() {
  return kBlockersSql;
}

std::vector<LockWaiter> lock_waiters(const PgResult& r) {
  std::vector<LockWaiter> waiters;
  for (size_t i = 0; i < r.cells.size(); ++i) {
    LockWaiter w;
    w.pid = std::atoi(cell(r, i, 0).c_str());
    w.application_name = cell(r, i, 1);
    w.query = cell(r, i, 2);
    w.waitstart = cell(r, i, 3);
    w.wait_ms = std::atoll(cell(r, i, 4).c_str());
    w.relation = cell(r, i, 5);
    w.mode = cell(r, i, 6);
    w.locktype = cell(r, i, 7);
    w.blocked_by = cell(r, i, 8);
    waiters.push_back(std::move(w));
  }
  return waiters;
}

LockFiring describe_firing(const LockWaiter& w, Millis waited, const PgResult* blockers_result) {
  ValueList pids, blockers;
  std::string summary;
  if (blockers_result) {
    const PgResult& b = *blockers_result;
    for (size_t i = 0; i < b.cells.size(); ++i) {
      int pid = std::atoi(cell(b, i, 0).c_str());
      bool alive = cell(b, i, 1) == "t";
      std::string state = alive ? cell(b, i, 3) : pid == 0 ? "prepared transaction" : "ended";
      int64_t age = std::atoll(cell(b, i, 4).c_str());
      pids.emplace_back(pid);
      blockers.emplace_back(ValueTable{
          {"pid", Value(pid)},
          {"application_name", Value(cell(b, i, 2))},
          {"state", Value(state)},
          {"xact_age_ms", Value(age)},
          {"query", Value(cell(b, i, 5))},
          {"usename", Value(cell(b, i, 6))},
          {"client_addr", Value(cell(b, i, 7))},
      });
      summary += std::string(summary.empty() ? "" : "\n") + "pid " + std::to_string(pid) + " " +
                 (cell(b, i, 2).empty() ? "-" : cell(b, i, 2)) + " [" + state +
                 (age >= 0 ? ", transaction " + format_duration(Millis(age)) : "") +
                 "]: " + shorten(cell(b, i, 5));
    }
  } else {
    size_t at = 0;
    while (at < w.blocked_by.size()) {
      size_t comma = std::min(w.blocked_by.find(',', at), w.blocked_by.size());
      int pid = std::atoi(w.blocked_by.substr(at, comma - at).c_str());
      pids.emplace_back(pid);
      blockers.emplace_back(ValueTable{{"pid", Value(pid)}});
      summary += std::string(summary.empty() ? "" : "\n") + "pid " + std::to_string(pid);
      at = comma + 1;
    }
  }
  // One line for people (the console and reports show it instead of the raw fields).
  std::string first_blocker = summary.substr(0, summary.find('\n'));
  std::string headline =
      (w.application_name.empty() ? "pid " + std::to_string(w.pid)
                                  : w.application_name + " (pid " + std::to_string(w.pid) + ")") +
      " waited " + format_duration(waited) + " for " + w.mode +
      (w.relation.empty() ? "" : " on " + w.relation) +
      (first_blocker.empty() ? "" : "; blocked by " + first_blocker);
  if (std::count(summary.begin(), summary.end(), '\n') > 0)
    headline += " (+" + std::to_string(std::count(summary.begin(), summary.end(), '\n')) + " more)";
  ValueTable details{
      {"summary", Value(headline)},
      {"pid", Value(w.pid)},
      {"application_name", Value(w.application_name)},
      {"relation", Value(w.relation)},
      {"mode", Value(w.mode)},
      {"locktype", Value(w.locktype)},
      {"wait_ms", Value(static_cast<int64_t>(waited.count()))},
      {"blocked_by", Value(std::move(pids))},
      {"query", Value(w.query)},
      {"blockers", Value(std::move(blockers))},
  };
  return {std::move(summary), std::move(details)};
}

std::string shorten(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

}  // namespace ordo
