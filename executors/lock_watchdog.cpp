// lock-watchdog: a watcher that fires when a session of the watched steps has waited for a
// PostgreSQL lock longer than `threshold`. It does not act by itself: the steps that name it
// in `triggered_by` are the action (e.g. restart uWSGI so its sessions release their locks).
// The parameter table and checks are complete; run() lands in a later change.
#include "kinds.h"
#include "not_implemented.h"

namespace ordo {
namespace {

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
            "\"...\" }` on the watched step to name its sessions. The role needs to see "
            "other sessions (a superuser, or pg_read_all_stats). Passwords belong in "
            "~/.pgpass, not in the plan.",
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

  Outcome run(StepContext&) const override { return not_implemented_yet("lock-watchdog"); }
};

}  // namespace

std::unique_ptr<Executor> make_lock_watchdog_executor() {
  return std::make_unique<LockWatchdogExecutor>();
}

}  // namespace ordo
