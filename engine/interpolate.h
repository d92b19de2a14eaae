// Interpolation of `${...}` references in plan strings.
//
// `${name}` / `${vars.name}` / `${steps.ID.outputs.NAME}` / `${facts.NAME}`; `$$` is a literal
// `$`; `${raw:name}` inserts unquoted even in shell mode. A Template is parsed once (refs are
// checked at `check` time) and rendered later against a Scope. Thread-safe for const use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "refs.h"

namespace ordo {

class Template {
 public:
  struct Segment {
    std::string literal;  // used when !is_ref
    bool is_ref = false;
    bool raw = false;  // ${raw:...}
    Ref ref;
  };

  // Parses `text` starting at `loc` (refs get their exact column). Errors: unterminated `${`,
  // empty `${}`, a bad name.
  static Result<Template> parse(std::string_view text, SourceLoc loc);

  enum class Quote { None, Shell };
  // Renders; in Shell mode every non-raw ref value is single-quoted for /bin/sh.
  // An unresolvable ref is an Error at the ref's location.
  Result<std::string> render(const Scope& scope, Quote quote = Quote::None) const;

  std::vector<Ref> refs() const;
  bool has_refs() const;
  const std::vector<Segment>& segments() const { return segments_; }

 private:
  std::vector<Segment> segments_;
};

// Quotes a value for POSIX sh: abc -> 'abc', it's -> 'it'\''s'.
std::string shell_quote(std::string_view s);

// Interpolates every string inside a value tree (strings in lists and tables too).
// Strings whose refs cannot be resolved yet are left untouched when `partial` is true;
// otherwise that is an error.
Result<Value> interpolate_value(const Value& v, const Scope& scope, bool partial = false);

}  // namespace ordo
