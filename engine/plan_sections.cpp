// The plan text splitter (see plan_sections.h): a scanner of TOML statements that finds the
// table header lines, and the grouping of [steps.ID] headers into sections.
#include "plan_sections.h"

#include <algorithm>
#include <string>

namespace ordo {
namespace {

// One table header line of the text.
struct Header {
  size_t start = 0;     // offset of the line's first character
  bool steps = false;   // [steps.ID...] or [[steps.ID...]]
  std::string_view id;  // the ID (unquoted) for a steps header
};

bool bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Scans statements of a TOML text at line granularity. Every method returns false on anything
// it does not understand; the caller then gives up splitting (the whole parse decides).
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  // Collects every table header line; false if the text cannot be scanned.
  bool scan(std::vector<Header>& headers) {
    while (i_ < s_.size()) {
      size_t line_start = i_;
      skip_blanks();
      if (i_ >= s_.size()) break;
      char c = s_[i_];
      if (c == '\n') {
        ++i_;
      } else if (c == '#') {
        skip_comment();
      } else if (c == '[') {
        Header h;
        h.start = line_start;
        if (!header(h)) return false;
        headers.push_back(h);
      } else if (!key_value()) {
        return false;
      }
    }
    return true;
  }

 private:
  void skip_blanks() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  // Up to the newline (not consumed).
  void skip_comment() {
    size_t nl = s_.find('\n', i_);
    i_ = nl == std::string_view::npos ? s_.size() : nl;
  }
  // After a statement: blanks, an optional comment, then a newline or the end.
  bool end_of_line() {
    skip_blanks();
    if (i_ < s_.size() && s_[i_] == '#') skip_comment();
    if (i_ >= s_.size()) return true;
    if (s_[i_] != '\n') return false;
    ++i_;
    return true;
  }

  // A key part of a header: bare, "basic" without escapes, or 'literal'.
  bool key_part(std::string_view& out) {
    if (i_ >= s_.size()) return false;
    char q = s_[i_];
    if (q == '"' || q == '\'') {
      size_t end = s_.find_first_of(q == '"' ? "\"\\\n" : "'\n", i_ + 1);
      if (end == std::string_view::npos || s_[end] != q) return false;
      out = s_.substr(i_ + 1, end - i_ - 1);
      i_ = end + 1;
      return true;
    }
    size_t b = i_;
    while (i_ < s_.size() && bare_key_char(s_[i_])) ++i_;
    out = s_.substr(b, i_ - b);
    return i_ > b;
  }

  // `[a.b]` or `[[a.b]]` with blanks around the parts, then the end of the line.
  bool header(Header& h) {
    ++i_;  // '['
    bool array = i_ < s_.size() && s_[i_] == '[';
    if (array) ++i_;
    std::string_view parts[2];
    size_t n = 0;
    for (;;) {
      skip_key_blanks();
      std::string_view part;
      if (!key_part(part)) return false;
      if (n < 2) parts[n] = part;
      ++n;
      skip_key_blanks();
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        continue;
      }
      break;
    }
    if (i_ >= s_.size() || s_[i_] != ']') return false;
    ++i_;
    if (array) {
      if (i_ >= s_.size() || s_[i_] != ']') return false;
      ++i_;
    }
    if (parts[0] == "steps") {
      if (n < 2) return false;  // [steps] itself: not split
      h.steps = true;
      h.id = parts[1];
    }
    return end_of_line();
  }
  void skip_key_blanks() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }

  // A `key = value` statement, up to the newline that ends it: strings, comments and the
  // brackets of arrays and inline tables are followed, so a value may span lines.
  bool key_value() {
    int depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"' || c == '\'') {
        if (!string()) return false;
      } else if (c == '#') {
        skip_comment();
      } else if (c == '[' || c == '{') {
        ++depth;
        ++i_;
      } else if (c == ']' || c == '}') {
        if (--depth < 0) return false;
        ++i_;
      } else if (c == '\n') {
        ++i_;
        if (depth == 0) return true;
      } else {
        ++i_;
      }
    }
    return depth == 0;
  }

  // A string of any of the four kinds, starting at its opening quote.
  bool string() {
    char q = s_[i_];
    bool multi = s_.substr(i_, 3) == std::string_view(q == '"' ? "\"\"\"" : "'''");
    bool basic = q == '"';
    i_ += multi ? 3 : 1;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (basic && c == '\\') {
        i_ += 2;  // an escape, or a line-ending backslash (then the newline)
        continue;
      }
      if (c == '\n' && !multi) return false;
      if (c != q) {
        ++i_;
        continue;
      }
      if (!multi) {
        ++i_;
        return true;
      }
      size_t run = 0;  // up to two quotes before the closing three belong to the string
      while (i_ < s_.size() && s_[i_] == q) ++i_, ++run;
      if (run >= 3) return run <= 5;
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::optional<PlanSections> split_plan_sections(std::string_view text,
                                                const SectionLimits& limits) {
  if (text.size() < limits.min_bytes) return std::nullopt;
  std::vector<Header> headers;
  if (!Scanner(text).scan(headers)) return std::nullopt;
  auto first =
      std::find_if(headers.begin(), headers.end(), [](const Header& h) { return h.steps; });
  if (first == headers.end()) return std::nullopt;

  // The first header of each ID, in order; each ID once (contiguous headers, no other tables).
  std::vector<size_t> starts;
  std::vector<std::string_view> ids;
  for (auto h = first; h != headers.end(); ++h) {
    if (!h->steps) return std::nullopt;
    if (!ids.empty() && h->id == ids.back()) continue;
    starts.push_back(h->start);
    ids.push_back(h->id);
  }
  headers = {};
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return std::nullopt;
  ids = {};

  PlanSections out;
  out.prefix = text.substr(0, starts.front());
  size_t steps = std::max<size_t>(limits.steps, 1);
  int line = static_cast<int>(std::count(text.begin(), text.begin() + starts.front(), '\n'));
  for (size_t g = 0; g < starts.size();) {
    size_t begin = starts[g];
    size_t n = 1;
    while (g + n < starts.size() && n < steps && starts[g + n] - begin < limits.max_bytes) ++n;
    size_t end = g + n < starts.size() ? starts[g + n] : text.size();
    PlanSection s;
    s.text = text.substr(begin, end - begin);
    s.line_offset = line;
    s.steps = n;
    out.sections.push_back(s);
    line += static_cast<int>(std::count(s.text.begin(), s.text.end(), '\n'));
    g += n;
  }
  return out;
}

}  // namespace ordo
