// sql: run one SQL statement through libpq, with parameters bound (never interpolated), and
// optionally fail unless the result is what the plan expects.
// The parameter table and checks are complete; run() lands in a later change.
#include "kinds.h"
#include "not_implemented.h"

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
            "Passwords belong in ~/.pgpass (or PGPASSFILE), not in the plan.",
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

  Outcome run(StepContext&) const override { return not_implemented_yet("sql"); }
};

}  // namespace

std::unique_ptr<Executor> make_sql_executor() {
  return std::make_unique<SqlExecutor>();
}

}  // namespace ordo
