// step_env: computes how a step's processes run (RunAs, see executor.h) from the step's
// `user`, `env`, `venv` and `cwd` after interpolation.
//
// With a `user` different from the current one: requires root; the child gets that user's
// login environment as `su - user` gives it (HOME, USER, LOGNAME, SHELL from passwd, PATH as
// su's ENV_PATH/ENV_SUPATH, TERM and LANG kept), plus `env` entries. Without `user`: the
// current environment plus `env` entries. `venv` sets VIRTUAL_ENV, prepends VENV/bin to PATH
// and drops PYTHONHOME. `~` in venv/cwd expands to the step user's home.
// Every step also gets ORDO_RUN_ID (the run it belongs to, set_step_run_id) and ORDO_STEP (its
// id), after the plan's `env`, so a plan cannot hide a step from `ordo resume`, which finds the
// processes of a killed ordo by them (resume_orphans.h; journal-format.md, "Step environment").
// Pure functions over the process environment; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "executor.h"
#include "plan.h"

namespace ordo {

struct StepEnvInput {
  std::string step_id;
  std::string user;           // interpolated `user` ("" = current user)
  std::vector<EnvEntry> env;  // interpolated `env` entries
  std::string venv;           // interpolated `venv` ("" = none)
  std::string cwd;            // interpolated `cwd` ("" = inherit)
};

// Errors name the step and the problem: unknown user, "needs root", ...
Result<RunAs> make_run_as(const StepEnvInput& in);

// The run whose steps this process launches: ORDO_RUN_ID of every RunAs made after the call
// ("" — the default — leaves ORDO_RUN_ID out). Set by the command before the run starts.
// Thread-safe.
void set_step_run_id(std::string run_id);
std::string step_run_id();

}  // namespace ordo
