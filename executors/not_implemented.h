// Small helpers shared by the built-in kinds whose parameter tables and checks have landed but
// whose run() comes later (systemd, pip, sql, pg-dump, file, confirm, wait-for, lock-watchdog):
// the honest "not implemented yet" outcome, and where to report a parameter's problems.
// Header-only, pure functions; thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "executor.h"

namespace ordo {

// The outcome of run() for a kind whose execution is not written yet: a clear failure, never a
// pretended success.
inline Outcome not_implemented_yet(std::string_view kind) {
  return Outcome::failed("kind '" + std::string(kind) +
                         "' is not implemented yet (its parameters are checked; running it "
                         "comes later)");
}

// Where to report a problem about a parameter as a whole (its key), or about its value.
inline SourceLoc key_loc_of(const Value& v) {
  return v.key_loc.known() ? v.key_loc : v.loc;
}
inline SourceLoc value_loc_of(const Value& v) {
  return v.loc.known() ? v.loc : v.key_loc;
}

// True when a string value holds a `${...}` reference: its content is only known at run time,
// so checks of its content are skipped.
inline bool has_interpolation(const Value& v) {
  return v.is_string() && v.as_string().find("${") != std::string::npos;
}

// The members of `params` whose names are in `names`, in declaration order (for rules such as
// "exactly one of `dsn` and `indico_conf`": the second one present is the one to point at).
inline std::vector<const std::pair<std::string, Value>*> params_present(
    const ValueTable& params, std::initializer_list<std::string_view> names) {
  std::vector<const std::pair<std::string, Value>*> out;
  for (const auto& member : params)
    for (std::string_view n : names)
      if (member.first == n) out.push_back(&member);
  return out;
}

}  // namespace ordo
