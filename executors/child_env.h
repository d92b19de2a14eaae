// child_env: the environment a step's child process gets (RunAs::env, or ordo's own when that
// is empty), as the domain executors need it: read a variable (VIRTUAL_ENV, PATH), add a few
// (PIP_NO_INPUT), and find a program on the child's PATH before running it (pg_dump's
// siblings pg_restore and psql). Pure functions over their arguments and the process
// environment; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "executor.h"

namespace ordo {

// The value of `name` in the child's environment ("" when unset).
std::string child_env_value(const RunAs& run_as, std::string_view name);

// run_as with `vars` set in its environment (replacing earlier values); an empty run_as.env
// (inherit) is first filled with ordo's own environment.
RunAs with_env_vars(RunAs run_as, const std::vector<std::pair<std::string, std::string>>& vars);

// Where `name` would be run from: a name with a '/' is returned as is if it is an executable
// file; otherwise the first executable regular file `DIR/name` along the child's PATH.
// nullopt when there is none.
std::optional<std::string> find_program(const std::string& name, const RunAs& run_as);

// A path as the step's child sees it, made absolute: a leading ~ expanded (ctx.expand_path),
// a relative path taken relative to the step's `cwd` (ctx.run_as.cwd), else to ordo's own
// working directory. "" stays "".
std::string step_path(const StepContext& ctx, const std::string& path);

// The directory part of a path ("/usr/bin/pg_dump" -> "/usr/bin"; "pg_dump" -> "").
std::string dir_of(const std::string& path);

}  // namespace ordo
