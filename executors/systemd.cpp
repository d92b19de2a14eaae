// systemd: start, stop, restart, reload, enable or disable a unit with systemctl, or check that
// it is active; optionally wait until the unit reaches the state the action aims for.
#include <algorithm>

#include "interruptible_sleep.h"
#include "kinds.h"
#include "not_implemented.h"
#include "process_outcome.h"
#include "run_params.h"

namespace ordo {
namespace {

constexpr Millis kPollEvery{500};  // `wait`: how often to ask `systemctl is-active`

// systemctl's own line when it says that `unit` does not exist: start/restart/reload "Unit
// x.service not found.", stop "Unit x.service not loaded.", enable/disable "Unit file
// x.service does not exist."; nullopt for any other failure (also a missing dependency).
std::optional<std::string> unit_missing(const ProcessResult& r, const std::string& unit) {
  std::vector<std::string> names = {unit};
  if (unit.find('.') == std::string::npos) names.push_back(unit + ".service");
  for (const std::string& name : names)
    for (const std::string& said : {"Unit " + name + " not found.", "Unit " + name + " not loaded.",
                                    "Unit file " + name + " does not exist."})
      if (r.stderr_text.find(said) != std::string::npos) {
        std::string line = error_line(r.stderr_text);
        return line.empty() ? said : line;
      }
  return std::nullopt;
}

// The states that end a `wait` successfully, by action.
bool reached(std::string_view action, std::string_view state) {
  if (action == "stop") return state == "inactive" || state == "failed";
  return state == "active";
}

// One run of a systemd step (the parameters and the commands it runs).
class SystemdRun {
 public:
  explicit SystemdRun(StepContext& ctx)
      : ctx_(ctx),
        unit_(param_string(ctx.params, "unit")),
        action_(param_string(ctx.params, "action")),
        systemctl_(ctx.expand_path(param_string(ctx.params, "systemctl", "systemctl"))),
        wait_(param_duration(ctx.params, "wait")) {}

  Outcome run() {
    if (unit_.empty() || action_.empty()) return Outcome::failed("`unit` and `action` are needed");
    if (action_ != "is-active") {
      ProcessResult r = run_process(command_spec(ctx_, {systemctl_, action_, unit_}));
      if (!command_ok(r)) {
        if (r.started && !r.timed_out && !r.cancelled && r.signal == 0)
          if (auto why = unit_missing(r, unit_)) return does_not_exist(*why, r.exit_code);
        return command_failure(ctx_, r, started_, "systemctl " + action_ + " " + unit_);
      }
    }
    if (wait_ && action_ != "enable" && action_ != "disable") return wait_for_target();
    std::string state;
    if (auto failed = query_state(state)) return *failed;
    if (action_ == "is-active" && state != "active") return not_active(state);
    ctx_.output(OutputStream::Info, unit_ + " is " + state);
    return Outcome::succeeded(outputs(state));
  }

 private:
  // Output `state`, once known.
  static ValueTable outputs(const std::string& state) {
    if (state.empty()) return {};
    return {{"state", Value(state)}};
  }

  Outcome does_not_exist(const std::string& why, int exit_code) const {
    return Outcome::failed(
        "unit " + unit_ + " does not exist on this host (systemctl: " + why + ")", exit_code);
  }

  // `systemctl is-active UNIT` -> state (its stdout; a non-zero exit only means "not active").
  // Returns the step's outcome when the question itself failed.
  std::optional<Outcome> query_state(std::string& state) {
    ProcessResult r = run_process(command_spec(ctx_, {systemctl_, "is-active", unit_}, Echo::None));
    std::string out = r.stdout_text;
    out.erase(std::find(out.begin(), out.end(), '\n'), out.end());
    if (!r.started || r.timed_out || r.cancelled || r.signal != 0 || out.empty()) {
      if (command_ok(r)) r.exit_code = 1;  // exit 0 but no answer: still a failure
      return command_failure(ctx_, r, started_, "systemctl is-active " + unit_);
    }
    state = out;
    return std::nullopt;
  }

  // is-active answers "inactive" for a unit that does not exist: ask LoadState to tell them
  // apart before blaming the unit's state.
  Outcome not_active(const std::string& state) {
    ProcessResult r = run_process(command_spec(
        ctx_, {systemctl_, "show", "--property=LoadState", "--value", unit_}, Echo::None));
    std::string load = r.stdout_text;
    load.erase(std::find(load.begin(), load.end(), '\n'), load.end());
    Outcome o = command_ok(r) && load == "not-found"
                    ? does_not_exist("LoadState=not-found", 3)
                    : Outcome::failed(unit_ + " is '" + state + "', not active", 3);
    o.outputs = outputs(state);
    return o;
  }

  Outcome wait_for_target() {
    const auto until = Clock::now() + *wait_;
    std::string state, shown;
    for (;;) {
      if (auto failed = query_state(state)) return with_state(std::move(*failed), shown);
      if (state != shown) ctx_.output(OutputStream::Info, unit_ + " is " + state);
      shown = state;
      if (reached(action_, state)) return Outcome::succeeded(outputs(state));
      // A unit that failed to start does not become active by itself.
      if (state == "failed" && action_ != "is-active")
        return with_state(Outcome::failed(unit_ + " is 'failed' after " + action_ +
                                          " (see `systemctl status " + unit_ + "`)"),
                          state);
      const auto now = Clock::now();
      if (now >= until) {
        if (action_ == "is-active" && state == "inactive") return not_active(state);
        return with_state(
            Outcome::failed(unit_ + " is still '" + state + "' after " + format_duration(*wait_)),
            state);
      }
      auto next = std::min(until, now + kPollEvery);
      if (ctx_.deadline) next = std::min(next, *ctx_.deadline);
      if (!sleep_until(ctx_.stop, next)) return with_state(step_cancelled(waiting()), state);
      if (deadline_passed(ctx_))
        return with_state(step_timed_out(ctx_, started_, waiting() + ", still '" + state + "'"),
                          state);
    }
  }

  // "waiting for u.service to become active", for timeout and cancellation messages.
  std::string waiting() const {
    return "waiting for " + unit_ + " to become " + (action_ == "stop" ? "inactive" : "active");
  }
  Outcome with_state(Outcome o, const std::string& state) const {
    o.outputs = outputs(state);
    return o;
  }

  StepContext& ctx_;
  const Clock::time_point started_ = Clock::now();
  std::string unit_, action_, systemctl_;
  std::optional<Millis> wait_;
};

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

  Outcome run(StepContext& ctx) const override { return SystemdRun(ctx).run(); }
};

}  // namespace

std::unique_ptr<Executor> make_systemd_executor() {
  return std::make_unique<SystemdExecutor>();
}

}  // namespace ordo
