// systemd: start, stop, restart, reload, enable or disable a unit with systemctl, or check that
// it is active; optionally wait until the unit reaches the state the action aims for.
// The parameter table and checks are complete; run() lands in a later change.
#include "kinds.h"
#include "not_implemented.h"

namespace ordo {
namespace {

class SystemdExecutor final : public Executor {
 public:
  const ExecutorSpec& spec() const override {
    static const ExecutorSpec s{
        .kind = "systemd",
        .summary = "start, stop, restart or reload a systemd unit (systemctl)",
        .doc =
            "Runs `systemctl ACTION UNIT` and then reads the unit's state with "
            "`systemctl is-active`. With `wait`, it polls `is-active` until the unit "
            "reaches the state the action aims for (active after start, restart and "
            "reload; inactive after stop) and fails if that takes longer than `wait`. "
            "`is-active` changes nothing: it succeeds if the unit is active and fails "
            "otherwise (with `wait`: once it becomes active within that time). Managing "
            "units needs root: run ordo as root or set `user`. `systemctl` may name "
            "another program with the same interface (the simulated host uses one).",
        .params =
            {
                {.name = "unit",
                 .type = ParamType::String,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "the unit, e.g. \"indico-celery.service\""},
                {.name = "action",
                 .type = ParamType::String,
                 .required = true,
                 .default_value = std::nullopt,
                 .choices = {"start", "stop", "restart", "reload", "enable", "disable",
                             "is-active"},
                 .doc = "what to do: `systemctl ACTION UNIT`; is-active only checks"},
                {.name = "systemctl",
                 .type = ParamType::Path,
                 .required = false,
                 .default_value = Value("systemctl"),
                 .choices = {},
                 .doc = "the systemctl program (a path, or a name looked up on PATH)"},
                {.name = "wait",
                 .type = ParamType::Duration,
                 .required = false,
                 .default_value = std::nullopt,
                 .choices = {},
                 .doc = "poll until the unit reaches the target state, failing after this "
                        "long (not with enable/disable)"},
            },
        .outputs = {{"state",
                     "the unit's state after the action, as `systemctl is-active` prints it "
                     "(active, inactive, failed, activating, ...)"}},
        .watcher = false,
        .example =
            "[steps.stop-celery]\nkind = \"systemd\"\nunit = "
            "\"indico-celery.service\"\naction = \"stop\"\nwait = \"5m\"\n",
    };
    return s;
  }

  void check(const StepDecl& step, Diagnostics& diags) const override {
    const Value* unit = table_find(step.params, "unit");
    if (unit && unit->is_string() && unit->as_string().empty())
      diags.error(value_loc_of(*unit),
                  "`unit` is empty: name the systemd unit, e.g. \"indico-celery.service\"");
    const Value* action = table_find(step.params, "action");
    const Value* wait = table_find(step.params, "wait");
    if (wait && action && action->is_string() &&
        (action->as_string() == "enable" || action->as_string() == "disable"))
      diags.error(key_loc_of(*wait), "`wait` has no meaning with action \"" + action->as_string() +
                                         "\": it changes no running state");
  }

  Outcome run(StepContext&) const override { return not_implemented_yet("systemd"); }
};

}  // namespace

std::unique_ptr<Executor> make_systemd_executor() {
  return std::make_unique<SystemdExecutor>();
}

}  // namespace ordo
