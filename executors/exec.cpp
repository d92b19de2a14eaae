// exec: runs a program with an argument list (no shell), as the step's user, in its
// environment; fails on an exit code outside `success_codes`.
#include <algorithm>

#include "kinds.h"
#include "process.h"
#include "process_step.h"

namespace ordo {
namespace {

class ExecExecutor final : public ProcessStepExecutor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "exec",
        .summary = "run a program with arguments (no shell)",
        .doc =
            "Runs argv[0] with the other elements as its arguments, without a shell: each "
            "element is one argument, so values with spaces or quotes need no escaping "
            "(`${...}` in an element is replaced inside that element, never split). argv[0] "
            "without a '/' is looked up on the step's PATH, after `user`, `venv` and `env` "
            "are applied; a leading ~/ expands to the step user's home. The process gets "
            "stdin from /dev/null, its own process group (a `timeout` or Ctrl-C terminates "
            "the whole tree: SIGTERM, then SIGKILL after `kill_grace`), and no file "
            "descriptors from ordo. Its output lines are shown as they come. The step fails "
            "when the exit code is not in `success_codes`, or when a signal kills it.",
        .params =
            {
                {.name = "argv",
                 .type = ParamType::StringList,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the program and its arguments, one list element per argument"},
                {.name = "success_codes",
                 .type = ParamType::List,
                 .required = false,
                 .default_value = Value(ValueList{Value(0)}),
                 .choices = {},
                 .doc = "exit codes (integers 0-255) that count as success"},
            },
        .outputs =
            {
                {.name = "exit_code", .doc = "the process's exit code"},
                {.name = "stdout",
                 .doc = "standard output without its final newline (the first 1 MiB)"},
            },
        .watcher = false,
        .example =
            "[steps.db-upgrade]\n"
            "kind = \"exec\"\n"
            "user = \"${indico_user}\"\n"
            "venv = \"~/.venv\"\n"
            "argv = [\"indico\", \"db\", \"upgrade\"]\n"
            "env = { PGAPPNAME = \"ordo-db-upgrade\" }\n"
            "timeout = \"30m\"\n"
            "\n"
            "[steps.check-migrations]\n"
            "kind = \"exec\"\n"
            "argv = [\"grep\", \"-q\", \"pending\", \"/var/log/indico/migrate.log\"]\n"
            "success_codes = [0, 1]      # grep: 1 means no match, not an error\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    if (const Value* argv = table_find(step.params, "argv");
        argv && argv->is_list() && argv->as_list().empty())
      diags.error(argv->loc, "step '" + step.id + "': 'argv' must name a program (it is empty)");
    const Value* codes = table_find(step.params, "success_codes");
    if (!codes || !codes->is_list()) return;  // the type check reports a non-list
    if (codes->as_list().empty())
      diags.error(codes->loc, "step '" + step.id +
                                  "': 'success_codes' is empty (no run could "
                                  "succeed)");
    for (const Value& c : codes->as_list()) {
      SourceLoc at = c.loc.known() ? c.loc : codes->loc;
      if (!c.is_int())
        diags.error(at, "step '" + step.id + "': 'success_codes' must hold integers, not a " +
                            value_kind_name(c.kind()) + " (" + c.to_string() + ")");
      else if (c.as_int() < 0 || c.as_int() > 255)
        diags.error(at, "step '" + step.id + "': exit code " + std::to_string(c.as_int()) +
                            " in 'success_codes' is outside 0-255");
    }
  }

  std::variant<Prepared, Outcome> prepare(StepContext& ctx) const override {
    const auto started = Clock::now();
    std::vector<std::string> argv;
    if (const Value* v = table_find(ctx.params, "argv"); v && v->is_list())
      for (const Value& a : v->as_list())
        argv.push_back(a.is_string() ? a.as_string() : a.to_text());
    if (argv.empty()) return Outcome::failed("'argv' is empty: nothing to run");
    if (argv[0].starts_with("~/")) argv[0] = ctx.expand_path(argv[0]);

    std::vector<int64_t> codes;
    if (const Value* v = table_find(ctx.params, "success_codes"); v && v->is_list())
      for (const Value& c : v->as_list())
        if (c.is_int()) codes.push_back(c.as_int());
    if (codes.empty()) codes.push_back(0);

    return Prepared{take_process_spec(ctx, std::move(argv)), std::move(codes), started};
  }
};

}  // namespace

std::unique_ptr<Executor> make_exec_executor() {
  return std::make_unique<ExecExecutor>();
}

}  // namespace ordo
