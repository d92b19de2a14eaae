// pg-dump: back up a PostgreSQL database with pg_dump and check that the archive is readable.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "child_env.h"
#include "kinds.h"
#include "not_implemented.h"
#include "process_outcome.h"
#include "run_params.h"

namespace ordo {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) {
  return std::system_category().message(err);
}

// "12.3 GiB": a size for messages.
std::string human_bytes(uint64_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

// The size of a file, or the sum of the regular files under a directory.
uint64_t size_of(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    auto n = fs::file_size(path, ec);
    return ec ? 0 : n;
  }
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

// Removes a file or a directory tree; "" when nothing is left, else why not.
std::string remove_path(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return ec.message();
  return fs::exists(fs::symlink_status(path, ec)) ? "still there" : "";
}

// The newest /usr/lib/postgresql/N/bin/NAME, "" when there is none.
std::string newest_pg_bin(const std::string& name) {
  std::error_code ec;
  std::string best;
  int best_version = -1;
  for (auto it = fs::directory_iterator("/usr/lib/postgresql", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string v = it->path().filename().string();
    if (v.empty() || v.find_first_not_of("0123456789.") != std::string::npos) continue;
    const std::string candidate = it->path().string() + "/bin/" + name;
    if (::access(candidate.c_str(), X_OK) != 0) continue;
    const int major = std::atoi(v.c_str());
    if (major > best_version) {
      best_version = major;
      best = candidate;
    }
  }
  return best;
}

// One run of a pg-dump step.
class PgDumpRun {
 public:
  explicit PgDumpRun(StepContext& ctx)
      : ctx_(ctx),
        dsn_(param_string(ctx.params, "dsn")),
        format_(param_string(ctx.params, "format", "custom")),
        // check() refuses verify = true with plain, so here true is the default: skipped.
        verify_(param_bool(ctx.params, "verify", true) && format_ != "plain"),
        overwrite_(param_bool(ctx.params, "overwrite", false)),
        check_space_(param_bool(ctx.params, "check_space", true)) {}

  Outcome run() {
    std::string output = step_path(ctx_, param_string(ctx_.params, "output"));
    if (output.empty()) return Outcome::failed("`output` is empty: where to write the dump");
    while (output.size() > 1 && output.ends_with('/')) output.pop_back();
    output_ = fs::path(output).lexically_normal().string();
    partial_ = output_ + ".partial";

    struct stat st {};
    if (::lstat(output_.c_str(), &st) == 0 && !overwrite_)
      return Outcome::failed(output_ +
                             " already exists: refusing to overwrite it (set overwrite = true to "
                             "replace it, or choose another `output`)");
    const std::string dir = dir_of(output_);
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Outcome::failed("the output directory " + dir + " does not exist");

    if (auto bad = find_programs()) return *bad;
    if (check_space_)
      if (auto bad = check_space(dir)) return *bad;

    if (::lstat(partial_.c_str(), &st) == 0) {
      ctx_.output(OutputStream::Info, "removing " + partial_ + " left by an earlier run");
      if (std::string why = remove_path(partial_); !why.empty())
        return Outcome::failed("cannot remove the leftover " + partial_ + ": " + why);
    }

    ctx_.output(OutputStream::Info, "dumping (format " + format_ + ") to " + partial_);
    ProcessResult r = run_process(command_spec(
        ctx_, {pg_dump_, "--format=" + format_, "--file=" + partial_, "--dbname=" + dsn_}));
    if (!command_ok(r)) return discard(command_failure(ctx_, r, started_, "pg_dump"));

    if (verify_)
      if (auto bad = verify()) return discard(std::move(*bad));

    if (auto bad = move_into_place()) return discard(std::move(*bad));
    const uint64_t bytes = size_of(output_);
    ctx_.output(OutputStream::Info, "wrote " + output_ + " (" + human_bytes(bytes) + ")");
    return Outcome::succeeded(
        {{"path", Value(output_)}, {"bytes", Value(static_cast<int64_t>(bytes))}});
  }

 private:
  // pg_dump_ from the `pg_dump` parameter (PATH, then the newest /usr/lib/postgresql/*/bin);
  // pg_restore and psql beside it when they are there, else by name on PATH.
  std::optional<Outcome> find_programs() {
    const std::string wanted = ctx_.expand_path(param_string(ctx_.params, "pg_dump", "pg_dump"));
    if (auto found = find_program(wanted, ctx_.run_as)) {
      pg_dump_ = *found;
    } else if (wanted.find('/') == std::string::npos && !newest_pg_bin(wanted).empty()) {
      pg_dump_ = newest_pg_bin(wanted);
    } else {
      return Outcome::failed("cannot find " + wanted +
                             (wanted.find('/') == std::string::npos
                                  ? " on the step's PATH (" + child_env_value(ctx_.run_as, "PATH") +
                                        ") nor in /usr/lib/postgresql/*/bin"
                                  : " (no such executable file)"));
    }
    const std::string bin = dir_of(pg_dump_);
    for (auto [name, where] : {std::pair{"pg_restore", &pg_restore_}, std::pair{"psql", &psql_}}) {
      const std::string beside = bin + "/" + name;
      *where = ::access(beside.c_str(), X_OK) == 0 ? beside : std::string(name);
    }
    return std::nullopt;
  }

  // Fails when the file system of `dir` has less room than the database's size.
  std::optional<Outcome> check_space(const std::string& dir) {
    ProcessResult r = run_process(
        command_spec(ctx_,
                     {psql_, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "--dbname=" + dsn_,
                      "-c", "SELECT pg_database_size(current_database())"},
                     Echo::None));
    if (r.timed_out || r.cancelled) return command_failure(ctx_, r, started_, "psql");
    std::string text = r.stdout_text;
    std::erase_if(text, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
    if (!command_ok(r) || text.empty() ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      std::string why = error_line(r.stderr_text);
      if (why.empty()) why = step_outcome(ctx_, r, started_).message;
      const std::string msg =
          "cannot read the database size, dumping without a free-space check (" + psql_ + ": " +
          why + ")";
      ctx_.warn("step '" + ctx_.step_id + "': " + msg);
      ctx_.output(OutputStream::Info, msg);
      return std::nullopt;
    }
    const uint64_t db_size = std::stoull(text);
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) != 0)
      return Outcome::failed("cannot read the free space of " + dir + ": " + errno_text(errno));
    const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    ctx_.output(OutputStream::Info, "database size " + human_bytes(db_size) + ", free in " + dir +
                                        ": " + human_bytes(free_bytes));
    if (free_bytes < db_size)
      return Outcome::failed("not enough free space in " + dir + ": " + human_bytes(free_bytes) +
                             " free, the database is " + human_bytes(db_size) +
                             " (set check_space = false to dump anyway)");
    return std::nullopt;
  }

  // `pg_restore --list` must read the archive and list at least one entry.
  std::optional<Outcome> verify() {
    ProcessResult r =
        run_process(command_spec(ctx_, {pg_restore_, "--list", partial_}, Echo::StderrOnly));
    if (!command_ok(r))
      return command_failure(ctx_, r, started_, "verifying the dump (pg_restore --list)");
    int entries = 0;
    size_t at = 0;
    const std::string& t = r.stdout_text;
    while (at < t.size()) {
      size_t nl = t.find('\n', at);
      if (nl == std::string::npos) nl = t.size();
      if (nl > at && t[at] != ';') ++entries;
      at = nl + 1;
    }
    if (entries == 0)
      return Outcome::failed(
          "verifying the dump failed: pg_restore --list shows no entries (an "
          "empty database?)");
    ctx_.output(OutputStream::Info,
                "verified: pg_restore --list reads " + std::to_string(entries) + " entries");
    return std::nullopt;
  }

  // OUTPUT.partial -> OUTPUT (replacing an old OUTPUT only when overwrite allowed it earlier).
  std::optional<Outcome> move_into_place() {
    struct stat st {};
    if (::lstat(output_.c_str(), &st) == 0) {
      if (!overwrite_)  // appeared while we dumped
        return Outcome::failed(output_ + " appeared while dumping: refusing to overwrite it");
      if (S_ISDIR(st.st_mode))
        if (std::string why = remove_path(output_); !why.empty())
          return Outcome::failed("cannot replace " + output_ + ": " + why);
    }
    if (::rename(partial_.c_str(), output_.c_str()) != 0)
      return Outcome::failed("cannot rename " + partial_ + " to " + output_ + ": " +
                             errno_text(errno));
    return std::nullopt;
  }

  // A failed dump leaves nothing behind: not OUTPUT.partial, and never a file at OUTPUT.
  Outcome discard(Outcome o) {
    struct stat st {};
    if (::lstat(partial_.c_str(), &st) == 0)
      if (std::string why = remove_path(partial_); !why.empty())
        o.message += "; could not remove " + partial_ + ": " + why;
    return o;
  }

  StepContext& ctx_;
  const Clock::time_point started_ = Clock::now();
  std::string dsn_, format_;
  bool verify_, overwrite_, check_space_;
  std::string output_, partial_;             // absolute paths
  std::string pg_dump_, pg_restore_, psql_;  // the programs
};

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
            "belong in ~/.pgpass (or PGPASSFILE), not in the plan. Before dumping, with "
            "`check_space` (the default), it asks the database for its size (`SELECT "
            "pg_database_size(current_database())` through the psql beside pg_dump) and "
            "fails when the file system of `output` has less free space than that: an "
            "upper bound, since a dump holds no indexes and the custom and directory "
            "formats are compressed; if the size cannot be read, it warns and dumps "
            "anyway. `pg_dump` without a '/' is looked up on the step's PATH, then in the "
            "newest /usr/lib/postgresql/*/bin. The temporary name is OUTPUT.partial (a "
            "leftover one from an interrupted run is removed first); a relative `output` is "
            "relative to the step's `cwd`.",
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
                {.name = "check_space",
                 .type = ParamType::Bool,
                 .required = false,
                 .default_value = Value(true),
                 .choices = {},
                 .doc = "fail before dumping if the output's file system has less free space "
                        "than the database's size"},
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

  Outcome run(StepContext& ctx) const override { return PgDumpRun(ctx).run(); }
};

}  // namespace

std::unique_ptr<Executor> make_pg_dump_executor() {
  return std::make_unique<PgDumpExecutor>();
}

}  // namespace ordo
