// JSON Schema for plan files, generated from the executor tables (ordo schema). Editors
// (Taplo / Even Better TOML) use it for completion, hover docs and validation.
#pragma once

#include <string>

#include "registry.h"

namespace ordo {

// The schema text (pretty-printed JSON, trailing newline). Deterministic.
std::string plan_json_schema(const Registry& registry);

}  // namespace ordo
