// toml++ nodes -> Values and typed fields with source positions: part of the plan loader,
// private to it. The loader files (plan_loader.cpp, load_vars.cpp, load_steps.cpp,
// load_step_tables.cpp, toml_convert.cpp) are the only ones that include toml++; nothing else
// includes this header.
//
// Positions: a string value is located at its first character INSIDE the quotes (the line after
// `"""`/`'''` when the string starts with a newline), so `${...}` errors can add their offset;
// other values at their first character. toml++ tables iterate in key order, not declaration
// order, so every table is walked through ordered(), which sorts members by the key's position.
// Source is owned by the load of one file; not thread-safe (it caches line starts lazily).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "diagnostics.h"
#include "duration.h"
#include "plan.h"
#include "result.h"
#include "value.h"

namespace ordo::loader {

// A table member: its key and its value, both owned by the parsed toml::table.
using Member = std::pair<const toml::key*, const toml::node*>;

// Members of a table in declaration (source) order.
std::vector<Member> ordered(const toml::table& t);

// "a string", "an integer", ... for "must be X, not Y" messages.
std::string a_type(const toml::node& n);

// One loaded file: its path (as resolved), its text, and position helpers. The text must
// outlive the Source.
class Source {
 public:
  Source(const std::string& path, std::string_view text) : path_(path), text_(text) {}
  const std::string& path() const { return path_; }

  SourceLoc at(const toml::source_position& p) const {
    return SourceLoc{path_, static_cast<int>(p.line) + line_offset_, static_cast<int>(p.column)};
  }
  // For a document parsed from a section of the text that starts at a line start (see
  // plan_sections.h): the lines before it, added to every position from then on.
  void set_line_offset(int lines) { line_offset_ = lines; }
  SourceLoc key_loc(const toml::key& k) const { return at(k.source().begin); }
  // Where a value's token starts (the opening quote of a string): for "must be X" errors.
  SourceLoc node_loc(const toml::node& n) const { return at(n.source().begin); }
  // Where a value starts; for strings the first character inside the quotes.
  SourceLoc value_loc(const toml::node& n) {
    SourceLoc loc = at(n.source().begin);
    return n.is_string() ? content_loc(loc) : loc;
  }

 private:
  // Skips the opening quote(s) of the string at loc. A newline right after `"""`/`'''` is not
  // part of the string, so its content starts on the next line.
  SourceLoc content_loc(SourceLoc loc);
  // Byte offset of a 1-based line and (code point) column; npos if out of range.
  size_t offset_of(int line, int col);

  FileName path_;  // interned once: every SourceLoc made here copies a pointer
  std::string_view text_;
  int line_offset_ = 0;
  // A cursor instead of a table of line starts (8 bytes a line: 4 MB for a plan of 100k steps,
  // held while the parsed document is at its largest): the loader asks in document order, so
  // the cursor mostly moves forward a line or two.
  int cursor_line_ = 1;      // a 1-based line
  size_t cursor_start_ = 0;  // the byte offset where cursor_line_ starts
};

// Any TOML node as a Value (dates and times become their TOML text). Table members keep
// declaration order and carry their key's position in Value::key_loc.
Value to_value(const toml::node& n, Source& src);

// ---- typed readers: each reports a type error at the value and returns nullopt/empty ----
// `key` names the value in messages ("'timeout' must be ..."). Errors about the type point at
// the value's first character, errors about a string's content inside the quotes.

std::optional<std::string> string_of(const toml::node& v, const std::string& key, Source& src,
                                     Diagnostics& diags);
// A string with the position of its first content character.
std::optional<LocatedText> text_of(const toml::node& v, const std::string& key, Source& src,
                                   Diagnostics& diags);
std::optional<bool> bool_of(const toml::node& v, const std::string& key, Source& src,
                            Diagnostics& diags);
// A duration string such as "5s" (see duration.h).
std::optional<Millis> duration_of(const toml::node& v, const std::string& key, Source& src,
                                  Diagnostics& diags);
// An integer in [lo, hi]; reports a type or range error.
std::optional<int> int_of(const toml::node& v, const std::string& key, int64_t lo, int64_t hi,
                          Source& src, Diagnostics& diags);
// A list of step ids (or, with allow_one, a single id); bad entries are reported and skipped.
std::vector<StepRef> refs_of(const toml::node& v, const std::string& key, bool allow_one,
                             Source& src, Diagnostics& diags);
// A list of strings; bad entries are reported and skipped.
std::vector<std::string> strings_of(const toml::node& v, const std::string& key, Source& src,
                                    Diagnostics& diags);

}  // namespace ordo::loader
