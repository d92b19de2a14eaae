// Fingerprints: what identifies a step's work and a plan's text, so that `ordo resume` can tell
// whether a step that succeeded in an interrupted run would do the same thing now.
//
// A step's fingerprint is the SHA-256 (hex) of its kind, its parameters after interpolation
// (defaults applied; table keys sorted, so reordering keys in the TOML changes nothing), its
// `user` and `cwd`, the `env` entries it declares with their values, and its virtualenv, all
// prefixed by a per-run salt (kept in the run's 0600 vars file), so a fingerprint in the
// journal cannot be used to guess a secret parameter offline. `when`, `timeout`, `retries`,
// dependencies and descriptions are not part of it: they do not change what the step does.
// The plan digest is the SHA-256 of each plan file (the main file, then each include) and a
// SHA-256 over those.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "event.h"
#include "plan.h"
#include "result.h"
#include "step_prepare.h"

namespace ordo {

std::string step_fingerprint(const StepDecl& decl, const PreparedStep& prepared,
                             std::string_view salt);

// Each file's SHA-256, in the order given. Error if a file cannot be read.
Result<std::vector<FileDigest>> digest_files(const std::vector<std::string>& paths);
// One digest for the whole plan: SHA-256 over "sha256\n" of each file, in order (paths are left
// out: the same plan reached through another relative path has the same digest).
std::string combined_digest(const std::vector<FileDigest>& files);

// A new random salt (32 hex digits).
std::string new_fingerprint_salt();

}  // namespace ordo
