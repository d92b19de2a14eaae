// confirm: a gate that asks the operator a yes/no question before the plan goes on.
// The parameter table and checks are complete; run() lands in a later change.
#include "kinds.h"
#include "not_implemented.h"

namespace ordo {
namespace {

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
            "can branch on its `answer` with `when`.",
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
        .outputs = {{"answer", "\"yes\" or \"no\""}},
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

  Outcome run(StepContext&) const override { return not_implemented_yet("confirm"); }
};

}  // namespace

std::unique_ptr<Executor> make_confirm_executor() {
  return std::make_unique<ConfirmExecutor>();
}

}  // namespace ordo
