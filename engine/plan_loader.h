// The plan loader: TOML text or file -> Plan, following includes. Its files (plan_loader.cpp,
// load_*.cpp, toml_convert.*) are the only users of toml++.
//
// Reports into Diagnostics and keeps going: TOML syntax errors (with the parser's position),
// unknown keys in [plan] and [vars.X] (with a suggestion), wrong types of common step keys,
// bad durations, malformed `retries`/`env`/`outputs`, duplicate step ids or vars across
// includes, include cycles and missing include files. Executor parameters are collected as
// raw Values; validate() checks them against the kind's table. Thread-safe (no shared state).
//
// Positions: a string value is located at its first character INSIDE the quotes (the line
// after `"""`/`'''` when the string starts with a newline), so `${...}` errors can add their
// offset. This holds for every LocatedText (when, user, venv, cwd), EnvEntry::loc, StepRef::loc,
// and Value::loc of strings; other values are located at their first character. Errors about
// a value's type point at its first character (a string's opening quote); errors about a
// string's content (bad duration, bad regex) point inside the quotes. Value::key_loc
// of a table member and VarDecl::loc are the key's position; StepDecl::loc is the `[steps.ID]`
// header (the id key for an inline table). Diagnostics name the file the item came from: an
// include path is resolved against the including file's directory and lexically normalised,
// never made absolute. A file reached twice through includes (not a cycle) is merged once.
//
// Memory: a main file of 256 KiB or more is parsed section by section when that is provably
// equivalent (plan_sections.h): its peak is the text, one section's TOML document and the
// Plan, not the text and the whole document. Included files are parsed whole.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "diagnostics.h"
#include "plan.h"
#include "plan_sections.h"
#include "vars.h"

namespace ordo {

// Loads a plan file. Returns nullopt only when nothing usable could be read (missing file,
// syntax error); otherwise a Plan, possibly with errors in diags.
std::optional<Plan> load_plan_file(const std::string& path, Diagnostics& diags);

// Loads from text; `path` names it in messages and anchors relative includes.
std::optional<Plan> load_plan_text(std::string_view text, const std::string& path,
                                   Diagnostics& diags);

// The same, splitting a big main file as `limits` say: its prefix and then each section of
// [steps.ID] tables are parsed and converted one at a time (plan_sections.h), which lowers the
// peak memory of a big load. The result (Plan, diagnostics, every position) is the whole
// parse's: if the text cannot be split or any part fails to parse, the whole text is loaded
// instead. `sections_loaded`, if given, receives the number of sections loaded (0: loaded
// whole). load_plan_text/load_plan_file use the default SectionLimits.
std::optional<Plan> load_plan_text(std::string_view text, const std::string& path,
                                   Diagnostics& diags, const SectionLimits& limits,
                                   size_t* sections_loaded = nullptr);

// Reads `--vars FILE.toml`: top-level `name = value` pairs (string, boolean, integer or list),
// each as a VarOverride with a typed `value` (Value::loc: the value's position) and `loc` at the
// key. resolve_vars() converts a string value like a `--set` text; other values must match
// the variable's type. Unreadable file or syntax error: an error in diags, nothing returned.
std::vector<VarOverride> load_vars_file(const std::string& path, Diagnostics& diags);

}  // namespace ordo
