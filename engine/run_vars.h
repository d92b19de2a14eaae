// The run's variables file, <run_dir>/vars.toml (mode 0600): every resolved variable of the run
// with its real value (secret ones too: the journal and events only show "***"), plus the
// salt of the run's step fingerprints. `ordo resume` runs with these values, so a resumed run
// has the same variables; `--set`/`--vars` given to resume override them.
//
//   # ordo: variables of run 20261126T010203Z-1a2b of plan indico-3x (secrets included)
//   "ordo:fingerprint-salt" = "3f0c..."
//   "ordo:fact:os_family" = "rhel"          # a --fact given to the run
//   db_password = "s3cret"
//   plugins = ["a", "b"]
//
// The "ordo:" keys cannot be variable names, so the file stays a valid --vars file once they
// are taken out (read_run_vars does).
// Pure functions over the file system; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "diagnostics.h"
#include "plan.h"
#include "result.h"
#include "vars.h"

namespace ordo {

inline constexpr const char* kSaltKey = "ordo:fingerprint-salt";
inline constexpr const char* kFactPrefix = "ordo:fact:";

using FactOverrides = std::vector<std::pair<std::string, std::string>>;

// Writes the file (0600, synced), variables in the plan's declaration order.
Status write_run_vars(const std::string& path, const std::string& header, const Plan& plan,
                      const VarValues& vars, const std::string& salt,
                      const FactOverrides& facts = {});

struct StoredVars {
  std::vector<VarOverride> overrides;  // every stored variable, as a --vars file gives them
  std::string salt;
  FactOverrides facts;  // the --fact overrides of the run
};
// Reads the file back. Syntax errors go to diags.
StoredVars read_run_vars(const std::string& path, Diagnostics& diags);

// A TOML value: basic strings with escapes, integers, booleans, lists of those.
std::string toml_value(const Value& v);

}  // namespace ordo
