// What PostgreSQL says about lock waits, for the lock-watchdog: the two catalog queries (who
// waits for a lock, and who blocks them), their rows as LockWaiter, and the description of a
// firing (the blocker list for people, the `details` table for events, status and reports).
// Pure functions over copied-out results (PgResult): no connection, no state; safe from any
// thread. The watching loop itself is in lock_watchdog.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pg_conn.h"
#include "value.h"

namespace ordo {

// The waiting sessions of the current database: $1 = `match` ('' for all), $2 = whether $1 is
// a usable regex ("true"/"false"). Columns as LockWaiter, in its order.
const char* lock_waits_sql();
// The blocking sessions, in the order of $1 (an int[] literal such as "{12,34}"). pid 0 is a
// prepared transaction.
const char* lock_blockers_sql();

// One waiting session as a poll saw it.
struct LockWaiter {
  int pid = 0;
  std::string application_name, query, waitstart, relation, mode, locktype;
  std::string blocked_by;  // comma-separated pids
  int64_t wait_ms = -1;    // by the server from waitstart; -1: waitstart not known yet
};

// The rows of lock_waits_sql().
std::vector<LockWaiter> lock_waiters(const PgResult& r);

// A firing described: `blockers` one line per blocking session ("pid 12 indico-uwsgi [idle in
// transaction, transaction 3.2s]: SELECT ..."), `details` the firing's table (summary, pid,
// application_name, relation, mode, locktype, wait_ms, blocked_by, query, blockers).
struct LockFiring {
  std::string blockers;
  ValueTable details;
};

// `blockers_result` is the result of lock_blockers_sql() for w.blocked_by, or nullptr when
// that query failed: then only the pids are known.
LockFiring describe_firing(const LockWaiter& w, Millis waited, const PgResult* blockers_result);

// Whitespace runs collapsed to one space, cut to `max` characters with "...".
std::string shorten(std::string_view s, size_t max = 200);

}  // namespace ordo
