// step_env: computes how a step's processes run (RunAs, see executor.h) from the step's
// `user`, `env`, `venv` and `cwd` after interpolation.
//
// With a `user` different from the current one: requires root; the child gets that user's
// login environment as `su - user` gives it (HOME, USER, LOGNAME, SHELL from passwd, PATH as
// su's ENV_PATH/ENV_SUPATH, TERM and LANG kept), plus `env` entries. Without `user`: the
// current environment plus `env` entries. `venv` sets VIRTUAL_ENV, prepends VENV/bin to PATH
// and drops PYTHONHOME. `~` in venv/cwd expands to the step user's home.
// Pure functions over the process environment; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "executor.h"
#include "plan.h"

namespace ordo {

struct StepEnvInput {
  std::string step_id;
  std::string user;                 // interpolated `user` ("" = current user)
  std::vector<EnvEntry> env;        // interpolated `env` entries
  std::string venv;                 // interpolated `venv` ("" = none)
  std::string cwd;                  // interpolated `cwd` ("" = inherit)
};

// Errors name the step and the problem: unknown user, "needs root", ...
Result<RunAs> make_run_as(const StepEnvInput& in);

}  // namespace ordo
