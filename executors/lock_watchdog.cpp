// lock-watchdog: a watcher that fires when a session of the watched steps has waited for a
// PostgreSQL lock longer than `threshold`. It does not act by itself: the steps that name it
// in `triggered_by` are the action (e.g. restart uWSGI so its sessions release their locks).
//
// How run() watches (one thread, one connection of its own, application_name
// "ordo-lock-watchdog"): every `poll` it lists the sessions of the DSN's database that wait for a
// lock (pg_stat_activity.wait_event_type = 'Lock' with a non-empty pg_blocking_pids) and, per
// waiting pid, the ungranted pg_locks row. A wait is timed from pg_locks.waitstart (PG 14+),
// measured by the server; while waitstart is still NULL (a moment after the wait began) it is
// timed from the first poll that saw it, up to one poll late. Besides the regular polls it
// looks again exactly when a wait it has seen reaches `threshold`, so a wait seen before its
// threshold fires within a query's time of it; one that begins and crosses the threshold between
// two polls fires at the next poll.
// An episode is one wait of one pid: the same pid with the same waitstart. It fires at most once;
// the pid fires again only after a new wait (a poll that no longer saw it waiting, or another
// waitstart). Several waits crossing the threshold together fire longest first.
// It never signals the waiting or blocking sessions. Database trouble is a warning, once per
// change of state, and it keeps trying; a stop request interrupts both the sleep and a query.
#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kinds.h"
#include "lock_waits.h"
#include "not_implemented.h"
#include "pg_conn.h"

namespace ordo {
namespace {

struct WatchConfig {
  std::string dsn;
  Millis threshold{0};
  Millis poll{500};
  int64_t max_fires = 1;
  std::string match;
};

// What the watchdog remembers of a wait between polls.
struct Episode {
  std::string waitstart;  // "" until known
  Clock::time_point first_seen;
  bool fired = false;
};

// The state of one run of the watchdog (the Executor itself stays immutable).
class Watch {
 public:
  Watch(StepContext& ctx, WatchConfig cfg) : ctx_(ctx), cfg_(std::move(cfg)) {}

  Outcome run() {
    ctx_.output(OutputStream::Info, "watching " + redact_dsn(cfg_.dsn) +
                                        " for lock waits longer than " +
                                        format_duration(cfg_.threshold) +
                                        (cfg_.match.empty() ? "" : " (match: " + cfg_.match + ")") +
                                        ", every " + format_duration(cfg_.poll));
    bool more = true;
    while (more && !ctx_.stop.stop_requested() && !past_deadline()) {
      const Clock::time_point poll_start = Clock::now();
      Clock::time_point wake = poll_start + cfg_.poll;
      if (ensure_connected()) {
        auto due = poll_once(more);
        if (due) wake = std::min(wake, Clock::now() + *due);
      }
      if (more) sleep_until(wake);
    }
    ValueTable outputs{{"fired", Value(fired_)}, {"blockers", Value(last_blockers_)}};
    if (past_deadline() && !ctx_.stop.stop_requested()) {
      Outcome o;
      o.status = Outcome::Status::TimedOut;
      o.message = "stopped watching at its timeout (fired " + std::to_string(fired_) + ")";
      o.outputs = std::move(outputs);
      return o;
    }
    return Outcome::succeeded(std::move(outputs));
  }

 private:
  bool past_deadline() const { return ctx_.deadline && Clock::now() >= *ctx_.deadline; }

  // Interruptible by a stop request; the deadline also ends it.
  void sleep_until(Clock::time_point t) {
    if (ctx_.deadline) t = std::min(t, *ctx_.deadline);
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_until(lock, ctx_.stop, t, [] { return false; });
  }

  void set_reachable(bool up, const std::string& why) {
    if (up && reach_ == Reach::Down) ctx_.warn("lock-watchdog: database reachable again");
    if (!up && reach_ != Reach::Down) ctx_.warn("lock-watchdog: database unreachable: " + why);
    if (!up && reach_ == Reach::Down && why != down_reason_)
      ctx_.output(OutputStream::Info, "still unreachable: " + why);
    down_reason_ = up ? "" : why;
    reach_ = up ? Reach::Up : Reach::Down;
  }

  bool ensure_connected() {
    if (conn_.connected()) return true;
    PgConnectOptions opt;
    opt.dsn = cfg_.dsn;
    opt.fallback_application_name = "ordo-lock-watchdog";
    opt.env = ctx_.run_as.env;
    opt.as_user = connect_as(ctx_.run_as);
    opt.as_user_name = ctx_.run_as.user;
    opt.timeout = std::max(cfg_.poll, Millis(5000));
    opt.stop = ctx_.stop;
    opt.deadline = ctx_.deadline;
    opt.on_notice = [this](std::string_view line) { ctx_.output(OutputStream::Info, line); };
    PgResult r = conn_.connect(opt);
    if (r.end == PgEnd::Cancelled || r.end == PgEnd::TimedOut) return false;
    if (!r.ok()) {
      set_reachable(false, r.error);
      return false;
    }
    // A `match` PostgreSQL cannot compile as a regex still selects by application_name.
    PgResult re = exec("SELECT '' ~ $1", {cfg_.match.empty() ? "x" : cfg_.match});
    if (re.end == PgEnd::Failed && re.sqlstate == "2201B") {
      if (regex_ok_)
        ctx_.warn("lock-watchdog: `match` is not a valid regular expression (" + re.error +
                  "): selecting sessions by application_name only");
      regex_ok_ = false;
    } else if (!re.ok()) {
      return false;
    }
    set_reachable(true, "");
    return true;
  }

  // Runs a statement; a lost connection or failure is reported, once per change.
  PgResult exec(const char* sql, const std::vector<std::string>& params) {
    PgResult r = conn_.exec(sql, params, ctx_.stop, ctx_.deadline, Millis(1000));
    if (r.end == PgEnd::Failed && !conn_.connected()) {
      set_reachable(false, r.error);
    } else if (r.end == PgEnd::Failed && r.sqlstate != "2201B" && r.error != query_error_) {
      ctx_.warn("lock-watchdog: query failed: " + r.error);
      query_error_ = r.error;
    } else if (r.ok()) {
      query_error_.clear();
    }
    return r;
  }

  // One look at the lock waits: fires for each new episode past the threshold. Returns how long
  // until the next unfired wait reaches the threshold, if any. `more` turns false when fire()
  // says the limit is reached.
  std::optional<Millis> poll_once(bool& more) {
    PgResult r = exec(lock_waits_sql(), {cfg_.match, regex_ok_ ? "true" : "false"});
    if (!r.ok()) return std::nullopt;
    const Clock::time_point now = Clock::now();
    std::vector<LockWaiter> waiters = lock_waiters(r);

    std::map<int, Episode> seen;
    std::vector<std::pair<Millis, const LockWaiter*>> due_now;
    std::optional<Millis> next_due;
    for (const LockWaiter& w : waiters) {
      Episode ep{w.waitstart, now, false};
      if (auto it = episodes_.find(w.pid); it != episodes_.end()) {
        const std::string& known = it->second.waitstart;
        if (known.empty() || w.waitstart.empty() || known == w.waitstart) {
          ep = it->second;
          if (ep.waitstart.empty()) ep.waitstart = w.waitstart;
        }
      }
      Millis waited = w.wait_ms >= 0 ? Millis(w.wait_ms)
                                     : std::chrono::duration_cast<Millis>(now - ep.first_seen);
      if (!ep.fired) {
        if (waited >= cfg_.threshold)
          due_now.emplace_back(waited, &w);
        else
          next_due =
              std::min(next_due.value_or(Millis::max()), cfg_.threshold - waited + Millis(1));
      }
      seen[w.pid] = ep;
    }
    episodes_ = std::move(seen);

    std::stable_sort(due_now.begin(), due_now.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [waited, w] : due_now) {
      episodes_[w->pid].fired = true;
      if (!fire(*w, waited)) {
        more = false;
        break;
      }
    }
    return next_due;
  }

  // Gathers the blockers and calls ctx.fire; false when no more firings may follow.
  bool fire(const LockWaiter& w, Millis waited) {
    PgResult b = exec(lock_blockers_sql(), {"{" + w.blocked_by + "}"});
    LockFiring f = describe_firing(w, waited, b.ok() ? &b : nullptr);
    ++fired_;
    last_blockers_ = f.blockers;
    ctx_.output(OutputStream::Info,
                "fired: pid " + std::to_string(w.pid) + " (" + w.application_name + ") waited " +
                    format_duration(waited) + " for " + w.mode +
                    (w.relation.empty() ? "" : " on " + w.relation) + ": " + shorten(w.query));
    for (size_t at = 0; !f.blockers.empty() && at <= f.blockers.size();) {
      size_t nl = std::min(f.blockers.find('\n', at), f.blockers.size());
      ctx_.output(OutputStream::Info, "  blocked by " + f.blockers.substr(at, nl - at));
      at = nl + 1;
    }
    return ctx_.fire(f.details) && fired_ < cfg_.max_fires;
  }

  enum class Reach { Unknown, Up, Down };

  StepContext& ctx_;
  const WatchConfig cfg_;
  PgConn conn_;
  Reach reach_ = Reach::Unknown;
  std::string down_reason_, query_error_;
  bool regex_ok_ = true;
  std::map<int, Episode> episodes_;  // by waiting pid
  int64_t fired_ = 0;
  std::string last_blockers_;
};

class LockWatchdogExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "lock-watchdog",
        .summary = "watch PostgreSQL for lock waits of the watched steps, and fire",
        .doc =
            "A watcher: it runs while the steps in its `watches` run, polling "
            "pg_stat_activity every `poll`. When a session (of any application, or only "
            "those that `match` selects) has waited for a lock longer than `threshold`, it "
            "fires with the blocking sessions as details; the steps that name it in "
            "`triggered_by` then run. It fires at most `max_fires` times per run and never "
            "fails or blocks the watched steps; an unreachable database is a warning. "
            "`match` selects waiting sessions whose application_name equals it or whose "
            "query matches it as a PostgreSQL regular expression: set `env = { PGAPPNAME = "
            "\"...\" }` on the watched step to name its sessions. PostgreSQL shows a role "
            "its own sessions in full: connect as the role of the watched steps and of the "
            "likely blockers (on an Indico server the non-superuser `indico`, via `user`) "
            "and no privilege is needed; other roles' sessions show no state or query, so "
            "their waits go unseen and as blockers they show `<insufficient privilege>`, "
            "unless the role is a superuser or has pg_read_all_stats. Passwords belong in "
            "~/.pgpass, not in the plan. With `user`, it connects as that OS user (only "
            "the connecting thread, only while connecting), so peer authentication on the "
            "local socket (`postgresql:///indico`) logs in as that user's role.",
        .params =
            {
                {.name = "dsn",
                 .type = ParamType::String,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the database to watch: libpq conninfo or URI (passwords go in "
                        "~/.pgpass)",
                 .secret = false},
                {.name = "threshold",
                 .type = ParamType::Duration,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "how long a lock wait must last before the watchdog fires"},
                {.name = "poll",
                 .type = ParamType::Duration,
                 .required = false,
                 .default_value = Value("500ms"),
                 .choices = {},
                 .doc = "how often to look at the database's lock waits"},
                {.name = "max_fires",
                 .type = ParamType::Int,
                 .required = false,
                 .default_value = Value(1),
                 .choices = {},
                 .doc = "fire at most this many times in one run (at least 1)"},
                {.name = "match",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "only waits of sessions whose application_name is this or whose query "
                        "matches it (a regular expression)"},
            },
        .outputs =
            {
                {"fired", "how many times the watchdog fired"},
                {"blockers",
                 "the sessions blocking the wait at the last firing: one line each with pid, "
                 "application_name, state and query"},
            },
        .watcher = true,
        .example =
            "[steps.lock-wait-watchdog]\nkind = \"lock-watchdog\"\nwatches = "
            "[\"db-upgrade\"]\ndsn = \"${db_dsn}\"\nthreshold = \"5s\"\nmatch = "
            "\"ordo-db-upgrade\"\n\n[steps.restart-uwsgi]\nkind = \"systemd\"\nunit = "
            "\"indico-uwsgi.service\"\naction = \"restart\"\ntriggered_by = "
            "\"lock-wait-watchdog\"\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    if (step.watches.empty())
      diags.error(step.loc,
                  "a lock-watchdog needs `watches`: the steps whose lock waits it watches");
    if (const Value* n = table_find(step.params, "max_fires"); n && n->is_int() && n->as_int() < 1)
      diags.error(value_loc_of(*n),
                  "`max_fires` must be at least 1, not " + std::to_string(n->as_int()));
    if (const Value* p = table_find(step.params, "poll");
        p && p->is_string() && !has_interpolation(*p)) {
      auto d = parse_duration(p->as_string());
      if (d.ok() && d.value() <= Millis(0))
        diags.error(value_loc_of(*p), "`poll` must be longer than 0s");
    }
    if (const Value* m = table_find(step.params, "match");
        m && m->is_string() && m->as_string().empty())
      diags.error(value_loc_of(*m), "`match` is empty: leave it out to watch every session");
  }

  Outcome run(StepContext& ctx) const override {
    WatchConfig cfg;
    auto str = [&](std::string_view key) {
      const Value* v = table_find(ctx.params, key);
      return v && v->is_string() ? v->as_string() : std::string();
    };
    cfg.dsn = str("dsn");
    cfg.match = str("match");
    for (const char* key : {"threshold", "poll"}) {
      auto d = parse_duration(str(key));
      if (!d.ok()) return Outcome::failed(std::string("`") + key + "`: " + d.error().message);
      (std::string_view(key) == "poll" ? cfg.poll : cfg.threshold) = d.value();
    }
    if (cfg.poll <= Millis(0)) return Outcome::failed("`poll` must be longer than 0s");
    if (const Value* n = table_find(ctx.params, "max_fires"); n && n->is_int())
      cfg.max_fires = std::max<int64_t>(n->as_int(), 1);
    return Watch(ctx, std::move(cfg)).run();
  }
};

}  // namespace

std::unique_ptr<Executor> make_lock_watchdog_executor() {
  return std::make_unique<LockWatchdogExecutor>();
}

}  // namespace ordo
