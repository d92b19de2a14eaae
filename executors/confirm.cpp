// confirm: a gate that asks the operator a yes/no question before the plan goes on.
#include <fcntl.h>
#include <unistd.h>

#include "kinds.h"
#include "not_implemented.h"
#include "process_outcome.h"
#include "run_params.h"
#include "terminal.h"

namespace ordo {
namespace {

// The terminal of the gate: /dev/tty, opened for this question and closed after it.
class Tty {
 public:
  Tty() : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {}
  Tty(const Tty&) = delete;
  Tty& operator=(const Tty&) = delete;
  ~Tty() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

Outcome answered(StepContext& ctx, bool yes, const std::string& how) {
  const std::string answer = yes ? "yes" : "no";
  ctx.output(OutputStream::Info, "answer: " + answer + " (" + how + ")");
  const bool refuse = !yes && param_bool(ctx.params, "fail_on_no", true);
  ValueTable out = {{"answer", Value(answer)}, {"refused", Value(refuse ? "true" : "false")}};
  if (!refuse) return Outcome::succeeded(std::move(out));
  Outcome o = Outcome::failed("answered no");
  o.outputs = std::move(out);
  return o;
}

// No terminal to ask on: the default, else refuse.
Outcome without_terminal(StepContext& ctx, const std::string& def, const std::string& why) {
  if (!def.empty()) return answered(ctx, def == "yes", why + ": the default");
  Outcome o = Outcome::failed("confirm needs a terminal or --yes");
  o.outputs = {{"refused", Value("true")}};
  return o;
}

class ConfirmExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "confirm",
        .summary = "ask the operator a yes/no question (a gate)",
        .doc =
            "Prints `prompt` on the terminal and waits for yes or no. `ordo run --yes` "
            "answers yes without asking. Without a terminal, or when the step's `timeout` "
            "(the common key) expires, the answer is `default`; with no `default` the step "
            "fails in those cases. A \"no\" fails the step (the run ends refused, exit 3) "
            "unless `fail_on_no = false`, in which case the step succeeds and later steps "
            "can branch on its `answer` with `when`. The question is asked on the controlling "
            "terminal (/dev/tty), and only when ordo runs interactively (stdin and stdout "
            "are a terminal); the answer, and how it was given, is a line of the step's "
            "output. Output `refused` is \"true\" when the gate stopped the plan: answered "
            "no (with fail_on_no), or no terminal, no --yes and no `default`.",
        .params =
            {
                {.name = "prompt",
                 .type = ParamType::String,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the question, e.g. \"Backup verified. Upgrade the database?\""},
                {.name = "default",
                 .type = ParamType::String,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {"yes", "no"},
                 .doc = "the answer when there is no terminal or the step's `timeout` expires"},
                {.name = "fail_on_no",
                 .type = ParamType::Bool,
                 .required = false,
                 .default_value = Value(true),
                 .choices = {},
                 .doc = "a \"no\" fails the step; false: it succeeds with answer = \"no\""},
            },
        .outputs = {{"answer", "\"yes\" or \"no\""},
                    {"refused",
                     "\"true\" when the gate refused to let the plan go on (answered no, or "
                     "no terminal and no --yes or default): `ordo run` then ends with exit "
                     "code 3; else \"false\""}},
        .watcher = false,
        .example =
            "[steps.go-ahead]\nkind = \"confirm\"\nprompt = \"Backup verified. Upgrade "
            "the database?\"\ntimeout = \"10m\"\ndefault = \"no\"\nrequires = "
            "[\"backup-db\"]\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    if (const Value* p = table_find(step.params, "prompt");
        p && p->is_string() && p->as_string().find_first_not_of(" \t\n") == std::string::npos)
      diags.error(value_loc_of(*p), "`prompt` is empty: ask a question");
  }

  Outcome run(StepContext& ctx) const override {
    const auto started = Clock::now();
    const std::string prompt = param_string(ctx.params, "prompt");
    const std::string def = param_string(ctx.params, "default");
    ctx.output(OutputStream::Info, "asking: " + prompt);
    if (ctx.assume_yes) return answered(ctx, true, "--yes");
    if (!ctx.interactive) return without_terminal(ctx, def, "not interactive");
    Tty tty;
    if (tty.fd() < 0) return without_terminal(ctx, def, "no terminal (/dev/tty)");
    std::optional<bool> default_yes;
    if (!def.empty()) default_yes = def == "yes";
    switch (ask_yes_no(tty.fd(), prompt, default_yes, ctx.deadline, ctx.stop)) {
      case Answer::Yes:
        return answered(ctx, true, "on the terminal");
      case Answer::No:
        return answered(ctx, false, "on the terminal");
      case Answer::Closed:
        return without_terminal(ctx, def, "the terminal closed");
      case Answer::Cancelled:
        return step_cancelled("no answer given");
      case Answer::Timeout:
        if (!def.empty()) return answered(ctx, def == "yes", "no answer in time: the default");
        return step_timed_out(ctx, started, "no answer, and no `default`");
    }
    return Outcome::failed("confirm: unexpected answer");
  }
};

}  // namespace

std::unique_ptr<Executor> make_confirm_executor() {
  return std::make_unique<ConfirmExecutor>();
}

}  // namespace ordo
