// Value <-> JSON, for the engine files that read or write JSON (events/journal, run records,
// the schema). Internal: it includes nlohmann/json, so only those .cpp files include it —
// public headers stay free of it (toolchain.md §5). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "value.h"

namespace ordo {

using Json = nlohmann::ordered_json;  // keeps keys in insertion order (stable output)

Json to_json(const Value& v);
Json to_json(const ValueTable& t);
// JSON -> Value (null for JSON null); objects keep their key order.
Value to_value(const Json& j);
// The string member `key` of an object, or "" when missing or not a string.
std::string json_str(const Json& j, const char* key);

}  // namespace ordo
