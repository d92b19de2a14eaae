// noop: does nothing and succeeds. Useful as a join point or a placeholder in a plan.
#include "kinds.h"

namespace ordo {
namespace {

class NoopExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "noop",
        .summary = "do nothing (a join point or placeholder)",
        .doc =
            "Succeeds at once without running anything. Use it to group dependencies "
            "(one step that requires several others) or as a placeholder while drafting.",
        .params = {},
        .outputs = {},
        .watcher = false,
        .example = "[steps.ready]\nkind = \"noop\"\nrequires = [\"backup-db\", \"stop-celery\"]\n",
    };
    return s;
  }
  Outcome run(StepContext&) const override { return Outcome::succeeded(); }
};

}  // namespace

std::unique_ptr<Executor> make_noop_executor() {
  return std::make_unique<NoopExecutor>();
}

}  // namespace ordo
