// pg-dump: back up a PostgreSQL database with pg_dump and check that the archive is readable.
// The parameter table and checks are complete; run() lands in a later change.
#include "kinds.h"
#include "not_implemented.h"

namespace ordo {
namespace {

class PgDumpExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "pg-dump",
        .summary = "back up a PostgreSQL database with pg_dump, and verify the archive",
        .doc =
            "Runs `pg_dump --format FORMAT --file OUTPUT DSN`. The dump is written beside "
            "`output` under a temporary name and renamed into place when complete, so a "
            "failed dump never leaves a truncated file at `output`. An existing `output` "
            "fails the step unless `overwrite = true`. With `verify` (the default) the "
            "archive is read back with `pg_restore --list` (the pg_restore beside "
            "`pg_dump`); a plain SQL dump cannot be read that way, so for format = \"plain\" "
            "the default verification is skipped and `verify = true` is an error. A "
            "running pg_dump holds ACCESS SHARE locks: schema changes wait for it. Passwords "
            "belong in ~/.pgpass (or PGPASSFILE), not in the plan.",
        .params =
            {
                {.name = "dsn",
                 .type = ParamType::String,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the database: libpq conninfo or URI (passwords go in ~/.pgpass)",
                 .secret = false},
                {.name = "output",
                 .type = ParamType::Path,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the dump file to write (a directory for format = \"directory\")"},
                {.name = "format",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = Value("custom"),
                 .choices = {"custom", "plain", "directory", "tar"},
                 .doc = "pg_dump --format"},
                {.name = "verify",
                 .type = ParamType::Bool,
                 .required = false,
                 .default_value = Value(true),
                 .choices = {},
                 .doc = "read the result back with `pg_restore --list` (not for plain)"},
                {.name = "overwrite",
                 .type = ParamType::Bool,
                 .required = false,
                 .default_value = Value(false),
                 .choices = {},
                 .doc = "replace an existing `output` instead of failing"},
                {.name = "pg_dump",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = Value("pg_dump"),
                 .choices = {},
                 .doc = "the pg_dump program (a path, or a name looked up on PATH)"},
            },
        .outputs =
            {
                {"path", "the absolute path of the dump"},
                {"bytes", "its size in bytes (for a directory: the sum of its files)"},
            },
        .watcher = false,
        .example =
            "[steps.backup-db]\nkind = \"pg-dump\"\nuser = \"postgres\"\ndsn = "
            "\"dbname=indico\"\noutput = \"/var/backups/indico-${facts.hostname}.dump\"\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    const Value* format = table_find(step.params, "format");
    const Value* verify = table_find(step.params, "verify");
    if (format && format->is_string() && format->as_string() == "plain" && verify &&
        verify->is_bool() && verify->as_bool())
      diags.error(value_loc_of(*verify),
                  "`verify` needs an archive format: pg_restore --list cannot read a plain SQL "
                  "dump (use format = \"custom\", or verify = false)");
    if (const Value* out = table_find(step.params, "output");
        out && out->is_string() && out->as_string().empty())
      diags.error(value_loc_of(*out), "`output` is empty: where to write the dump");
  }

  Outcome run(StepContext&) const override { return not_implemented_yet("pg-dump"); }
};

}  // namespace

std::unique_ptr<Executor> make_pg_dump_executor() {
  return std::make_unique<PgDumpExecutor>();
}

}  // namespace ordo
