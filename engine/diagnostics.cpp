#include "diagnostics.h"

#include <algorithm>
#include <ostream>
#include <tuple>

namespace ordo {

std::string Diagnostic::str() const {
  std::string prefix;
  if (!loc.file.empty() || loc.known()) prefix = loc.str() + ": ";
  switch (severity) {
    case Severity::Error:
      return prefix + message;
    case Severity::Warning:
      return prefix + "warning: " + message;
    case Severity::Note:
      return prefix + "note: " + message;
  }
  return prefix + message;
}

void Diagnostics::error(SourceLoc loc, std::string message) {
  items_.push_back({Severity::Error, std::move(loc), std::move(message)});
}
void Diagnostics::warning(SourceLoc loc, std::string message) {
  items_.push_back({Severity::Warning, std::move(loc), std::move(message)});
}
void Diagnostics::note(SourceLoc loc, std::string message) {
  items_.push_back({Severity::Note, std::move(loc), std::move(message)});
}
void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

size_t Diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.loc.file, a.loc.line, a.loc.col) <
           std::tie(b.loc.file, b.loc.line, b.loc.col);
  });
  std::vector<Diagnostic> unique;
  for (auto& d : out) {
    bool dup = std::any_of(unique.begin(), unique.end(), [&](const Diagnostic& u) {
      return u.loc == d.loc && u.message == d.message && u.severity == d.severity;
    });
    if (!dup) unique.push_back(std::move(d));
  }
  return unique;
}

void Diagnostics::print(std::ostream& out) const {
  for (const auto& d : sorted()) out << d.str() << '\n';
}

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
// transpositions ("restrat" -> "restart" is one edit).
static size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(1, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string m = closest_match(word, candidates);
  return m.empty() ? "" : " (did you mean '" + m + "'?)";
}

}  // namespace ordo
