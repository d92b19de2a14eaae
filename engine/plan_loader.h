// The plan loader: TOML text or file -> Plan, following includes. The only user of toml++.
//
// Reports into Diagnostics and keeps going: TOML syntax errors (with the parser's position),
// unknown keys in [plan] and [vars.X] (with a suggestion), wrong types of common step keys,
// bad durations, malformed `retries`/`env`/`outputs`, duplicate step ids or vars across
// includes, include cycles and missing include files. Executor parameters are collected as
// raw Values; validate() checks them against the kind's table. Thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "diagnostics.h"
#include "plan.h"

namespace ordo {

// Loads a plan file. Returns nullopt only when nothing usable could be read (missing file,
// syntax error); otherwise a Plan, possibly with errors in diags.
std::optional<Plan> load_plan_file(const std::string& path, Diagnostics& diags);

// Loads from text; `path` names it in messages and anchors relative includes.
std::optional<Plan> load_plan_text(std::string_view text, const std::string& path,
                                   Diagnostics& diags);

}  // namespace ordo
