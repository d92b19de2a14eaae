// sql: run one SQL statement through libpq, with parameters bound (never interpolated), and
// optionally fail unless the result is what the plan expects.
// run() connects (pg_conn.h), sends the statement asynchronously so that a stop or the
// step's timeout cancels it (PQcancel), and routes server notices to the step log.
#include <algorithm>
#include <string>
#include <vector>

#include "kinds.h"
#include "not_implemented.h"
#include "pg_conn.h"

namespace ordo {
namespace {

class SqlExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "sql",
        .summary = "run one SQL statement (PostgreSQL) and check its result",
        .doc =
            "Connects with `dsn` (a libpq connection string or URI), or with the "
            "SQLALCHEMY_DATABASE_URI read from an indico.conf (`indico_conf`); give exactly "
            "one. Runs `query`, a single statement, with `params` bound to $1, $2, ... by "
            "libpq: values never become SQL text, and `${...}` inside `query` is refused "
            "(pass it through `params`). `expect` makes the step fail unless the first "
            "column of the first row equals it, compared as text (`expect = \"3.3.12\"`, "
            "`expect = 0`, `expect = true` matches PostgreSQL's `t`); `expect_rows` makes "
            "it fail unless the statement returned or affected exactly that many rows. "
            "Passwords belong in ~/.pgpass (or PGPASSFILE), not in the plan. With `user`, "
            "ordo connects as that OS user (only the connecting thread, only while "
            "connecting): peer authentication on the local socket (`postgresql:///indico`) "
            "then logs in as that user's role, and it is libpq's default role name.",
        .params =
            {
                {.name = "dsn",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "libpq conninfo or URI, e.g. \"postgresql:///indico\" (passwords go "
                        "in ~/.pgpass)",
                 .secret = false},
                {.name = "indico_conf",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "an indico.conf to read SQLALCHEMY_DATABASE_URI from, instead of `dsn`"},
                {.name = "query",
                 .type = ParamType::String,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "one SQL statement; $1, $2, ... refer to `params`"},
                {.name = "params",
                 .type = ParamType::List,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "values bound to $1, $2, ... by libpq (strings, numbers or booleans)"},
                {.name = "expect",
                 .type = ParamType::Any,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "fail unless the result's `value` equals this (compared as text)"},
                {.name = "expect_rows",
                 .type = ParamType::Int,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "fail unless the statement returned or affected exactly this many rows"},
            },
        .outputs =
            {
                {"rows", "rows returned (SELECT) or affected (INSERT, UPDATE, DELETE)"},
                {"value", "the first column of the first row as text (\"\" if none or NULL)"},
            },
        .watcher = false,
        .example =
            "[steps.db-version]\nkind = \"sql\"\ndsn = \"${db_dsn}\"\nquery = \"SELECT "
            "version_num FROM alembic_version WHERE version_num = $1\"\nparams = "
            "[\"${expected_revision}\"]\nexpect_rows = 1\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    auto targets = params_present(step.params, {"dsn", "indico_conf"});
    if (targets.empty())
      diags.error(step.loc, "a sql step needs `dsn` or `indico_conf`: where to connect");
    else if (targets.size() > 1)
      diags.error(key_loc_of(targets[1]->second), "give `dsn` or `indico_conf`, not both");

    if (const Value* q = table_find(step.params, "query"); q && q->is_string()) {
      if (q->as_string().find_first_not_of(" \t\r\n") == std::string::npos)
        diags.error(value_loc_of(*q), "`query` is empty");
      else if (has_interpolation(*q))
        diags.error(value_loc_of(*q),
                    "`${...}` inside `query` would put values into SQL text: write $1, $2, "
                    "... and pass the values in `params`");
    }
    if (const Value* ps = table_find(step.params, "params"); ps && ps->is_list())
      for (const Value& p : ps->as_list())
        if (p.is_list() || p.is_table() || p.is_null())
          diags.error(value_loc_of(p), std::string("`params` values must be strings, numbers "
                                                   "or booleans, not a ") +
                                           value_kind_name(p.kind()));
    if (const Value* e = table_find(step.params, "expect"); e && e->is_list())
      diags.error(value_loc_of(*e),
                  "`expect` must be one value (string, number or boolean) compared with the "
                  "result's `value`; to check a row count use `expect_rows`");
    if (const Value* n = table_find(step.params, "expect_rows");
        n && n->is_int() && n->as_int() < 0)
      diags.error(value_loc_of(*n), "`expect_rows` cannot be negative");
  }

  Outcome run(StepContext& ctx) const override {
    const auto started = Clock::now();
    auto dsn = target_dsn(ctx);
    if (!dsn.ok()) return Outcome::failed(dsn.error().message);
    std::string query;
    if (const Value* q = table_find(ctx.params, "query"); q && q->is_string())
      query = q->as_string();
    std::vector<std::string> args;
    if (const Value* ps = table_find(ctx.params, "params"); ps && ps->is_list())
      for (const Value& p : ps->as_list()) {
        if (p.is_list() || p.is_table() || p.is_null())
          return Outcome::failed(std::string("`params` values must be strings, numbers or "
                                             "booleans, not a ") +
                                 value_kind_name(p.kind()));
        args.push_back(param_text(p));
      }

    PgConnectOptions opt;
    opt.dsn = *dsn;
    opt.fallback_application_name = "ordo:" + ctx.step_id;
    opt.env = ctx.run_as.env;
    opt.as_user = connect_as(ctx.run_as);
    opt.as_user_name = ctx.run_as.user;
    opt.stop = ctx.stop;
    opt.deadline = ctx.deadline;
    opt.on_notice = [&ctx](std::string_view line) { ctx.output(OutputStream::Info, line); };
    PgConn conn;
    PgResult r = conn.connect(opt);
    if (r.ok()) r = conn.exec(query, args, ctx.stop, ctx.deadline, ctx.kill_grace);
    if (!r.detail.empty()) ctx.output(OutputStream::Info, "DETAIL: " + r.detail);
    if (!r.hint.empty()) ctx.output(OutputStream::Info, "HINT: " + r.hint);
    switch (r.end) {
      case PgEnd::Ok:
        break;
      case PgEnd::Failed:
        return Outcome::failed(r.error);
      case PgEnd::Cancelled:
        return interrupted(Outcome::Status::Cancelled, r.error);
      case PgEnd::TimedOut:
        return interrupted(Outcome::Status::TimedOut,
                           "timed out after " +
                               format_duration(std::chrono::duration_cast<Millis>(
                                   ctx.deadline.value_or(Clock::now()) - started)) +
                               "; " + r.error);
    }

    const std::string* first = r.cell(0, 0);
    ValueTable outputs{{"rows", Value(r.rows)}, {"value", Value(first ? *first : "")}};
    std::string got = !r.has_tuples || r.cells.empty() ? "no rows"
                      : first                          ? "'" + *first + "'"
                                                       : "NULL";
    ctx.output(OutputStream::Info, std::to_string(r.rows) + (r.rows == 1 ? " row" : " rows") +
                                       (r.has_tuples ? "; value: " + got : ""));

    std::vector<std::string> unmet;
    if (const Value* e = table_find(ctx.params, "expect"); e && !e->is_null()) {
      std::vector<std::string> accepted = expected_texts(*e);
      bool met = first && std::find(accepted.begin(), accepted.end(), *first) != accepted.end();
      if (!met) unmet.push_back("expected value '" + accepted.front() + "', got " + got);
    }
    if (const Value* n = table_find(ctx.params, "expect_rows"); n && n->is_int())
      if (n->as_int() != r.rows)
        unmet.push_back("expected " + std::to_string(n->as_int()) + " row(s), got " +
                        std::to_string(r.rows));
    if (unmet.empty()) return Outcome::succeeded(std::move(outputs));
    std::string message;
    for (const auto& u : unmet) message += (message.empty() ? "" : "; ") + u;
    Outcome o = Outcome::failed(std::move(message));
    o.outputs = std::move(outputs);
    return o;
  }

 private:
  // Where to connect: `dsn`, or the URI in `indico_conf`.
  static Result<std::string> target_dsn(StepContext& ctx) {
    if (const Value* d = table_find(ctx.params, "dsn"); d && d->is_string()) return d->as_string();
    const Value* c = table_find(ctx.params, "indico_conf");
    if (!c || !c->is_string()) return make_error("a sql step needs `dsn` or `indico_conf`");
    std::string path = ctx.expand_path(c->as_string());
    auto dsn = read_indico_conf_dsn(path);
    if (dsn.ok()) ctx.output(OutputStream::Info, "database from " + path + ": " + redact_dsn(*dsn));
    return dsn;
  }

  // A `params` value as the text libpq binds: booleans as true/false (PostgreSQL's input).
  static std::string param_text(const Value& p) {
    if (p.is_string()) return p.as_string();
    if (p.is_bool()) return p.as_bool() ? "true" : "false";
    return p.to_text();
  }

  // The texts of the first column that satisfy `expect`; the first is the one to show.
  static std::vector<std::string> expected_texts(const Value& e) {
    if (e.is_string()) return {e.as_string()};
    if (e.is_bool())
      return e.as_bool() ? std::vector<std::string>{"t", "true"}
                         : std::vector<std::string>{"f", "false"};
    return {e.to_text()};
  }

  static Outcome interrupted(Outcome::Status status, std::string message) {
    Outcome o;
    o.status = status;
    o.message = std::move(message);
    return o;
  }
};

}  // namespace

std::unique_ptr<Executor> make_sql_executor() {
  return std::make_unique<SqlExecutor>();
}

}  // namespace ordo
