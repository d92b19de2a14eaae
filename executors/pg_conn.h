// PgConn: one owned libpq connection for the PostgreSQL executors (sql, lock-watchdog), with
// the behaviour they share: connecting with a timeout that a stop request interrupts, notices
// routed to a callback instead of stderr, and statements sent asynchronously with their
// parameters bound by libpq, cancelled (PQcancel, then drained) on a stop or a deadline.
// The pure DSN helpers (redact_dsn, the indico.conf reader) are in pg_dsn.h, included here.
//
// Ownership: a PgConn owns its PGconn (PQfinish in the destructor, also after a failed
// connect). Thread safety: a PgConn is used by one thread at a time (libpq forbids sharing a
// PGconn); separate PgConns may be used concurrently. The free functions are pure.
// Only pg_conn.cpp, sql.cpp, lock_watchdog.cpp and their tests include libpq-fe.h.
#pragma once

#include <libpq-fe.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "executor.h"
#include "pg_dsn.h"
#include "result.h"

namespace ordo {

// How a connect or a statement ended.
enum class PgEnd { Ok, Failed, Cancelled, TimedOut };

// The copied-out result of a statement (or of a connect: no rows).
struct PgResult {
  PgEnd end = PgEnd::Ok;
  std::string error;     // Failed/Cancelled/TimedOut: one line for humans
  std::string sqlstate;  // the server's SQLSTATE when it reported an error ("42P01")
  std::string detail;    // the server's DETAIL and HINT, if any
  std::string hint;
  bool has_tuples = false;  // a row set (SELECT, ... RETURNING), else a command
  int64_t rows = 0;         // rows returned, or affected (PQcmdTuples), 0 if neither
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> cells;  // [row][column]; nullopt: NULL

  bool ok() const { return end == PgEnd::Ok; }
  // cells[r][c], or nullptr when out of range or NULL.
  const std::string* cell(size_t r, size_t c) const;
};

struct PgConnectOptions {
  std::string dsn;  // libpq conninfo or URI ("" = libpq defaults)
  // application_name unless the DSN or PGAPPNAME sets one.
  std::string fallback_application_name = "ordo";
  // The step's environment (RunAs::env): its libpq variables (PGHOST, PGAPPNAME, PGOPTIONS,
  // ...) act as defaults below the DSN, as they would for a child process. Empty: none.
  std::vector<std::pair<std::string, std::string>> env;
  Millis timeout{10000};  // give up connecting after this, unless the DSN sets connect_timeout
  std::stop_token stop;   // a stop request ends the attempt (Cancelled)
  std::optional<Clock::time_point> deadline;  // passing it ends the attempt (TimedOut)
  // Server notices (RAISE NOTICE, warnings), one call per line, without the newline.
  std::function<void(std::string_view)> on_notice;
  // Connect as this OS user (uid, gid): the step's `user`. Peer authentication on the local
  // socket (Indico's usual `postgresql:///indico`) takes the role from the connecting process's
  // credentials (SO_PEERCRED, read when connect() is called), and libpq takes its default role
  // name from geteuid(); connecting as root would log in as role "root". So, while connect()
  // runs (PQconnectStart to the end of the PQconnectPoll loop), the CALLING THREAD's effective
  // gid, then uid, are switched with the raw setresgid/setresuid syscalls, and restored (uid,
  // then gid) before connect() returns, whatever the outcome. Only this thread changes (glibc's
  // setresuid/seteuid would change every thread of ordo); real and saved ids, supplementary
  // groups (irrelevant to peer authentication) and the rest of the session are untouched.
  // Needs root (the engine refuses a different `user` otherwise); a failed switch fails the
  // connect with "cannot connect as user <name>: <reason>". nullopt: the process's own ids.
  std::optional<std::pair<uid_t, gid_t>> as_user;
  std::string as_user_name;  // the user's name, for messages
};

// The as_user for a step's run_as: set when it names a user whose ids differ from the process's
// effective ones (as the process executors switch only then), else nullopt.
std::optional<std::pair<uid_t, gid_t>> connect_as(const RunAs& ra);

class PgConn {
 public:
  PgConn() = default;
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  PgConn(PgConn&& other) noexcept;
  PgConn& operator=(PgConn&& other) noexcept;

  // Connects, replacing any current connection. On failure the error reads "cannot connect to
  // <dsn with password redacted>: <libpq's reason>" and the PgConn is left unconnected.
  PgResult connect(const PgConnectOptions& opt);
  bool connected() const;
  void close();
  // The raw connection for direct libpq calls. REQUIRES: connected().
  PGconn* get() const { return conn_; }
  // The server process id of this session (0 if unconnected).
  int backend_pid() const;

  // Runs one statement (PQsendQueryParams: no multiple statements) with `params` bound as
  // text to $1, $2, ... and waits for it in small slices. A stop request or `deadline` sends
  // PQcancel, then drains the results (Cancelled / TimedOut); if the server has not answered
  // `cancel_grace` later the connection is closed. Losing the connection closes it (Failed).
  PgResult exec(std::string_view sql, const std::vector<std::string>& params = {},
                const std::stop_token& stop = {},
                std::optional<Clock::time_point> deadline = std::nullopt,
                Millis cancel_grace = Millis(5000));

 private:
  PGconn* conn_ = nullptr;
  // Heap-held so its address (given to libpq) survives a move of the PgConn.
  std::unique_ptr<std::function<void(std::string_view)>> notice_;
};

}  // namespace ordo
