// PgConn (see pg_conn.h).
#include "pg_conn.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ordo {
namespace {

// Waits are sliced so that a stop request is noticed within this long.
constexpr Millis kSlice{50};

// libpq's messages end in "\n" and continue on "\n\t..." lines: make them one line.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

// Waits up to `max` for `events` on fd; returns the revents (0 on timeout or EINTR).
short wait_fd(int fd, short events, Millis max) {
  pollfd p{fd, events, 0};
  int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(max.count(), 0)));
  return n > 0 ? p.revents : 0;
}

Millis until(Clock::time_point t) {
  return std::chrono::duration_cast<Millis>(t - Clock::now());
}

// The slice to wait before re-checking stop, the deadline and `limit`.
Millis slice_before(std::optional<Clock::time_point> deadline, Clock::time_point limit) {
  Clock::time_point end = deadline ? std::min(*deadline, limit) : limit;
  return std::clamp(until(end) + Millis(1), Millis(0), kSlice);
}

void notice_thunk(void* arg, const char* message) {
  auto* fn = static_cast<std::function<void(std::string_view)>*>(arg);
  if (!fn || !*fn) return;
  std::string_view rest(message);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.empty()) (*fn)(line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
}

// The connect_timeout a connection was started with (from the DSN or PGCONNECT_TIMEOUT).
std::optional<Millis> connect_timeout_of(PGconn* c) {
  std::optional<Millis> out;
  PQconninfoOption* opts = PQconninfo(c);
  for (PQconninfoOption* o = opts; o && o->keyword; ++o)
    if (std::strcmp(o->keyword, "connect_timeout") == 0 && o->val && *o->val) {
      int s = std::atoi(o->val);
      if (s > 0) out = Millis(std::max(s, 2) * 1000);  // libpq treats 1 as 2
    }
  PQconninfoFree(opts);
  return out;
}

// Switches the calling thread's effective gid and uid (raw syscalls: this thread only) for its
// lifetime; restores uid, then gid, on destruction. ok() false: nothing switched, error() why.
class ThreadCreds {
 public:
  ThreadCreds(uid_t uid, gid_t gid) : old_uid_(::geteuid()), old_gid_(::getegid()) {
    if (::syscall(SYS_setresgid, kKeep, long{gid}, kKeep) != 0) {
      error_ = std::strerror(errno);
      return;
    }
    if (::syscall(SYS_setresuid, kKeep, long{uid}, kKeep) != 0) {
      error_ = std::strerror(errno);
      (void)::syscall(SYS_setresgid, kKeep, long{old_gid_}, kKeep);
      return;
    }
    switched_ = true;
  }
  ThreadCreds(const ThreadCreds&) = delete;
  ThreadCreds& operator=(const ThreadCreds&) = delete;
  ~ThreadCreds() {
    if (!switched_) return;
    // The real and saved uid are still the old ones, so switching back is always allowed.
    (void)::syscall(SYS_setresuid, kKeep, long{old_uid_}, kKeep);
    (void)::syscall(SYS_setresgid, kKeep, long{old_gid_}, kKeep);
  }
  bool ok() const { return switched_; }
  const std::string& error() const { return error_; }

 private:
  static constexpr long kKeep = -1;  // setres[ug]id: leave this id as it is
  uid_t old_uid_;
  gid_t old_gid_;
  bool switched_ = false;
  std::string error_;
};

}  // namespace

std::optional<std::pair<uid_t, gid_t>> connect_as(const RunAs& ra) {
  if (ra.user.empty() || (ra.uid == ::geteuid() && ra.gid == ::getegid())) return std::nullopt;
  return std::make_pair(ra.uid, ra.gid);
}

const std::string* PgResult::cell(size_t r, size_t c) const {
  if (r >= cells.size() || c >= cells[r].size() || !cells[r][c]) return nullptr;
  return &*cells[r][c];
}

PgConn::~PgConn() {
  close();
}

PgConn::PgConn(PgConn&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), notice_(std::move(other.notice_)) {}

PgConn& PgConn::operator=(PgConn&& other) noexcept {
  if (this != &other) {
    close();
    conn_ = std::exchange(other.conn_, nullptr);
    notice_ = std::move(other.notice_);
  }
  return *this;
}

void PgConn::close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

bool PgConn::connected() const {
  return conn_ && PQstatus(conn_) == CONNECTION_OK;
}

int PgConn::backend_pid() const {
  return conn_ ? PQbackendPID(conn_) : 0;
}

PgResult PgConn::connect(const PgConnectOptions& opt) {
  close();
  PgResult res;
  auto fail = [&](PgEnd end, std::string why) {
    res.end = end;
    res.error = "cannot connect to " +
                (opt.dsn.empty() ? std::string("the default database") : redact_dsn(opt.dsn)) +
                ": " + why;
    close();
    return res;
  };

  std::optional<ThreadCreds> creds;
  if (opt.as_user) {
    creds.emplace(opt.as_user->first, opt.as_user->second);
    if (!creds->ok()) {
      res.end = PgEnd::Failed;
      res.error = "cannot connect as user " +
                  (opt.as_user_name.empty() ? "uid " + std::to_string(opt.as_user->first)
                                            : opt.as_user_name) +
                  ": " + creds->error();
      return res;
    }
  }

  // Array order matters: entries before the expanded `dbname` are defaults the DSN overrides.
  std::vector<std::string> keys, vals;
  if (!opt.env.empty()) {
    PQconninfoOption* defs = PQconndefaults();
    for (PQconninfoOption* o = defs; o && o->keyword; ++o) {
      if (!o->envvar) continue;
      for (const auto& [name, value] : opt.env)
        if (name == o->envvar && !value.empty()) {
          keys.emplace_back(o->keyword);
          vals.push_back(value);
        }
    }
    PQconninfoFree(defs);
  }
  keys.emplace_back("fallback_application_name");
  vals.push_back(opt.fallback_application_name);
  keys.emplace_back("dbname");
  vals.push_back(opt.dsn);
  std::vector<const char*> kp, vp;
  for (size_t i = 0; i < keys.size(); ++i) {
    kp.push_back(keys[i].c_str());
    vp.push_back(vals[i].c_str());
  }
  kp.push_back(nullptr);
  vp.push_back(nullptr);

  conn_ = PQconnectStartParams(kp.data(), vp.data(), /*expand_dbname=*/1);
  if (!conn_) return fail(PgEnd::Failed, "out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD)
    return fail(PgEnd::Failed, one_line(PQerrorMessage(conn_)));
  Millis timeout = connect_timeout_of(conn_).value_or(opt.timeout);
  const Clock::time_point give_up = Clock::now() + timeout;

  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) return fail(PgEnd::Failed, one_line(PQerrorMessage(conn_)));
    if (opt.stop.stop_requested()) return fail(PgEnd::Cancelled, "cancelled");
    if (opt.deadline && Clock::now() >= *opt.deadline)
      return fail(PgEnd::TimedOut, "the step's timeout passed");
    if (Clock::now() >= give_up)
      return fail(PgEnd::Failed, "timed out after " + format_duration(timeout));
    short want = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (wait_fd(PQsocket(conn_), want, slice_before(opt.deadline, give_up)) == 0) continue;
    st = PQconnectPoll(conn_);
  }
  creds.reset();  // the connection is made: back to the thread's own ids
  notice_ = std::make_unique<std::function<void(std::string_view)>>(opt.on_notice);
  PQsetNoticeProcessor(conn_, notice_thunk, notice_.get());
  if (PQsetnonblocking(conn_, 1) != 0) return fail(PgEnd::Failed, one_line(PQerrorMessage(conn_)));
  return res;
}

PgResult PgConn::exec(std::string_view sql, const std::vector<std::string>& params,
                      const std::stop_token& stop, std::optional<Clock::time_point> deadline,
                      Millis cancel_grace) {
  PgResult res;
  auto fail = [&](std::string why) {
    res.end = PgEnd::Failed;
    res.error = one_line(why);
    if (conn_ && PQstatus(conn_) == CONNECTION_BAD) close();
    return res;
  };
  if (!connected()) return fail("not connected");

  std::string text(sql);
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  if (!PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0))
    return fail(PQerrorMessage(conn_));

  std::optional<PgEnd> cancel_reason;  // set once PQcancel was sent (or tried)
  Clock::time_point cancel_sent{};
  bool have_result = false, copy_out = false;
  const Clock::time_point never = Clock::time_point::max();
  for (;;) {
    // Interruption: a stop request or the deadline cancels the statement, once.
    if (!cancel_reason) {
      if (stop.stop_requested())
        cancel_reason = PgEnd::Cancelled;
      else if (deadline && Clock::now() >= *deadline)
        cancel_reason = PgEnd::TimedOut;
      if (cancel_reason) {
        cancel_sent = Clock::now();
        if (PGcancel* c = PQgetCancel(conn_)) {
          char err[256] = {0};
          PQcancel(c, err, sizeof err);
          PQfreeCancel(c);
        }
      }
    } else if (Clock::now() - cancel_sent > cancel_grace) {
      close();  // the server did not answer the cancel: abandon the session
      res.end = *cancel_reason;
      res.error = "cancelled; the server did not answer within " + format_duration(cancel_grace) +
                  ", connection closed";
      return res;
    }

    int flushed = PQflush(conn_);
    if (flushed < 0) return fail(PQerrorMessage(conn_));
    if (copy_out) {
      char* buf = nullptr;
      int n = PQgetCopyData(conn_, &buf, /*async=*/1);
      if (buf) PQfreemem(buf);
      if (n > 0) continue;
      if (n == -2) return fail(PQerrorMessage(conn_));
      if (n == -1) {
        copy_out = false;
        continue;
      }
      // n == 0: wait for more data
    } else if (!PQisBusy(conn_)) {
      PGresult* r = PQgetResult(conn_);
      if (!r) break;
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_COPY_IN) {
        PQputCopyEnd(conn_, "COPY FROM STDIN is not supported here");
      } else if (st == PGRES_COPY_OUT) {
        copy_out = true;
      } else if (!have_result || res.end == PgEnd::Ok) {
        // Keep the first error, else the last result.
        have_result = true;
        if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
          res = PgResult{};
          res.end = PgEnd::Failed;
          res.sqlstate = field(r, PG_DIAG_SQLSTATE);
          std::string primary = field(r, PG_DIAG_MESSAGE_PRIMARY);
          if (primary.empty()) primary = one_line(PQresultErrorMessage(r));
          res.error = res.sqlstate.empty() ? primary : "SQLSTATE " + res.sqlstate + ": " + primary;
          res.detail = one_line(field(r, PG_DIAG_MESSAGE_DETAIL));
          res.hint = one_line(field(r, PG_DIAG_MESSAGE_HINT));
        } else {
          res = PgResult{};
          res.has_tuples = st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE;
          const int nr = PQntuples(r), nc = PQnfields(r);
          for (int c = 0; c < nc; ++c) res.columns.emplace_back(PQfname(r, c));
          for (int i = 0; i < nr; ++i) {
            auto& row = res.cells.emplace_back();
            for (int c = 0; c < nc; ++c)
              row.push_back(PQgetisnull(r, i, c) ? std::nullopt
                                                 : std::optional<std::string>(PQgetvalue(r, i, c)));
          }
          res.rows = res.has_tuples ? nr : std::atoll(PQcmdTuples(r));
        }
      }
      PQclear(r);
      continue;
    }

    Clock::time_point limit = cancel_reason ? cancel_sent + cancel_grace : never;
    short want = POLLIN | (flushed == 1 ? POLLOUT : 0);
    short got = wait_fd(PQsocket(conn_), want,
                        slice_before(cancel_reason ? std::nullopt : deadline, limit));
    if ((got & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(conn_))
      return fail(PQerrorMessage(conn_));
  }
  if (cancel_reason && res.end != PgEnd::Ok) {
    res.end = *cancel_reason;
    if (res.sqlstate == "57014") res.error = "statement cancelled";
  }
  if (!have_result && res.end == PgEnd::Ok) return fail("the server returned no result");
  return res;
}

}  // namespace ordo
