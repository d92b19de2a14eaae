// Diagnostics: every problem found in a plan, collected so the user sees all of them at once.
//
// Validation never stops at the first problem: loaders and checkers append here and carry on.
// Printing sorts by file, line, column so output is stable. Not thread-safe.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "result.h"

namespace ordo {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;
  // "file:line:col: message" for errors, "file:line:col: warning: message" for warnings.
  std::string str() const;
};

class Diagnostics {
 public:
  void error(SourceLoc loc, std::string message);
  void warning(SourceLoc loc, std::string message);
  void note(SourceLoc loc, std::string message);
  void add(Error e) { error(std::move(e.loc), std::move(e.message)); }
  void append(const Diagnostics& other);

  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

  // Stable order: by file, line, column, then insertion order; exact duplicates removed.
  std::vector<Diagnostic> sorted() const;
  // Writes sorted() one per line.
  void print(std::ostream& out) const;

 private:
  std::vector<Diagnostic> items_;
};

// "did you mean 'x'?" support: the closest candidate by edit distance, or "" if none is close
// enough (distance <= max(1, len/3)).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ordo
