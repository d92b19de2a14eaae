// shell: runs a script with `SHELL -c SCRIPT`, as the step's user, in its environment; fails on
// a non-zero exit code.
#include "kinds.h"
#include "process.h"
#include "process_step.h"

namespace ordo {
namespace {

class ShellExecutor final : public ProcessStepExecutor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "shell",
        .summary = "run a shell script (sh -c)",
        .doc =
            "Runs `shell -c script`. `${name}` values are inserted into the script "
            "shell-quoted, so a value with spaces, quotes or `$(...)` stays one literal word; "
            "write `${raw:name}` to insert a value unquoted (for a value that is itself shell "
            "code). The process runs like `exec`'s: stdin from /dev/null, its own process "
            "group (a `timeout` or Ctrl-C terminates the whole tree, background jobs "
            "included: SIGTERM, then SIGKILL after `kill_grace`), no descriptors from ordo, "
            "the step's `user`, `venv`, `env` and `cwd`. The step fails on a non-zero exit "
            "code or when a signal kills the shell. Prefer `exec` when no shell feature "
            "(pipes, redirections, globbing) is needed.",
        .params =
            {
                {.name = "script",
                 .type = ParamType::String,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the script, run with `shell -c`; ${...} values are shell-quoted",
                 .shell_quoted = true},
                {.name = "shell",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = Value("/bin/sh"),
                 .choices = {},
                 .doc = "the shell to run the script with"},
            },
        .outputs =
            {
                {.name = "exit_code", .doc = "the shell's exit code"},
                {.name = "stdout",
                 .doc = "standard output without its final newline (the first 1 MiB)"},
            },
        .watcher = false,
        .example =
            "[steps.archive-logs]\n"
            "kind = \"shell\"\n"
            "user = \"${indico_user}\"\n"
            "cwd = \"~/log\"\n"
            "script = \"\"\"\n"
            "set -e\n"
            "tar czf ${backup_dir}/logs-$(date +%F).tgz *.log\n"
            "find . -name '*.log' -mtime +30 -delete\n"
            "\"\"\"\n"
            "\n"
            "[steps.version]\n"
            "kind = \"shell\"\n"
            "shell = \"/bin/bash\"\n"
            "script = \"set -o pipefail; indico --version | head -1\"\n"
            "outputs = { version = { from = \"stdout\", regex = \"([0-9.]+)\" } }\n",
    };
    return s;
  }

  std::variant<Prepared, Outcome> prepare(StepContext& ctx) const override {
    const auto started = Clock::now();
    const Value* script = table_find(ctx.params, "script");
    if (!script || !script->is_string()) return Outcome::failed("'script' is missing");
    std::string shell = "/bin/sh";
    if (const Value* v = table_find(ctx.params, "shell");
        v && v->is_string() && !v->as_string().empty())
      shell = ctx.expand_path(v->as_string());
    return Prepared{take_process_spec(ctx, {shell, "-c", script->as_string()}), {0}, started};
  }
};

}  // namespace

std::unique_ptr<Executor> make_shell_executor() {
  return std::make_unique<ShellExecutor>();
}

}  // namespace ordo
