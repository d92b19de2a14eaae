// The `when` language, part 3: evaluation against a Scope, and version comparison.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "expr_node.h"

namespace ordo {

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> numeric_text(std::string_view s) {
  s = trim_space(s);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return n;
}

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "3.3.12", "v3.3", "3.3.0rc1", "2024-01-05": optional v, digits and dots, a suffix.
bool looks_like_version(std::string_view s) {
  s = trim_space(s);
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (s.empty() || !is_digit(s[0])) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view(".+_~-").find(c) == std::string_view::npos)
      return false;
  return true;
}

bool holds(CmpOp op, int c) {
  switch (op) {
    case CmpOp::Eq:
      return c == 0;
    case CmpOp::Ne:
      return c != 0;
    case CmpOp::Lt:
      return c < 0;
    case CmpOp::Le:
      return c <= 0;
    case CmpOp::Gt:
      return c > 0;
    case CmpOp::Ge:
      return c >= 0;
  }
  return false;
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// One piece of a version: a number, or a word such as "rc". Words rank against numbers and
// the end of the version the way PEP 440 orders pre- and post-releases.
struct Piece {
  bool number = true;
  std::string text;  // digits without leading zeros, or the word in lower case
  int rank() const {
    if (number) return 5;
    if (text == "dev") return 0;
    if (text == "a" || text == "alpha") return 1;
    if (text == "b" || text == "beta") return 2;
    if (text == "c" || text == "rc" || text == "pre" || text == "preview") return 3;
    if (text == "post" || text == "p") return 6;
    return 4;
  }
};

std::vector<Piece> version_pieces(std::string_view s) {
  s = trim_space(s);
  if (s.size() > 1 && (s[0] == 'v' || s[0] == 'V') && is_digit(s[1])) s.remove_prefix(1);
  std::vector<Piece> out;
  size_t i = 0;
  while (i < s.size()) {
    if (!std::isalnum(static_cast<unsigned char>(s[i]))) {
      ++i;  // separators: . - _ + ~ and anything else
      continue;
    }
    Piece p;
    p.number = is_digit(s[i]);
    while (i < s.size() && std::isalnum(static_cast<unsigned char>(s[i])) &&
           is_digit(s[i]) == p.number) {
      p.text += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      ++i;
    }
    if (p.number) {
      size_t z = p.text.find_first_not_of('0');
      p.text = z == std::string::npos ? "0" : p.text.substr(z);
    }
    out.push_back(std::move(p));
  }
  return out;
}

int compare_pieces(const Piece& a, const Piece& b) {
  if (a.number && b.number) {
    if (a.text.size() != b.text.size()) return a.text.size() < b.text.size() ? -1 : 1;
    return three_way(a.text, b.text);
  }
  if (a.rank() != b.rank()) return a.rank() < b.rank() ? -1 : 1;
  return three_way(a.text, b.text);
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  std::vector<Piece> pa = version_pieces(a), pb = version_pieces(b);
  const Piece zero{true, "0"};  // "3.3" == "3.3.0"
  for (size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    int c = compare_pieces(i < pa.size() ? pa[i] : zero, i < pb.size() ? pb[i] : zero);
    if (c != 0) return c;
  }
  return 0;
}

namespace {

struct Val {
  Value v;
  bool version = false;  // produced by version(): always compared as a version
};

class Evaluator {
 public:
  explicit Evaluator(const Scope& scope) : scope_(scope) {}

  Result<Val> eval(const ExprNode& n) {
    using K = ExprNode::Kind;
    switch (n.kind) {
      case K::Literal:
        return Val{n.literal};
      case K::Ref: {
        std::optional<Value> v = scope_.lookup(n.ref);
        if (!v) {
          std::string msg = n.ref.str() + " is not known";
          if (n.ref.kind != Ref::Kind::Var && n.ref.kind != Ref::Kind::Fact)
            msg += " (did step " + n.ref.step + " run?)";
          return make_error(msg, n.ref.loc);
        }
        return Val{std::move(*v)};
      }
      case K::Not: {
        TRY_ASSIGN(bool b, boolean(n, *n.kids[0]));
        return Val{Value(!b)};
      }
      case K::And:
      case K::Or: {
        const bool stop_on = n.kind == K::Or;  // short-circuit: `or` stops at true
        for (const auto& k : n.kids) {
          TRY_ASSIGN(bool b, boolean(n, *k));
          if (b == stop_on) return Val{Value(stop_on)};
        }
        return Val{Value(!stop_on)};
      }
      case K::Cmp: {
        TRY_ASSIGN(Val l, eval(*n.kids[0]));
        TRY_ASSIGN(Val r, eval(*n.kids[1]));
        TRY_ASSIGN(bool b, compare(n, l, r));
        return Val{Value(b)};
      }
      case K::Call:
        return call(n);
    }
    return make_error("bad expression node", n.loc);
  }

 private:
  Result<bool> boolean(const ExprNode& op, const ExprNode& operand) {
    TRY_ASSIGN(Val v, eval(operand));
    if (v.v.is_bool()) return v.v.as_bool();
    return make_error("'" + op.op + "' needs true/false values, got " +
                          value_kind_name(v.v.kind()) + " " + v.v.to_string(),
                      operand.loc);
  }

  static bool is_number(const Value& v) {
    return v.kind() == ValueKind::Int || v.kind() == ValueKind::Double;
  }
  static double number(const Value& v) {
    return v.is_int() ? static_cast<double>(v.as_int()) : v.as_double();
  }

  Result<bool> compare(const ExprNode& n, const Val& l, const Val& r) {
    const Value& a = l.v;
    const Value& b = r.v;
    const bool equality = n.cmp == CmpOp::Eq || n.cmp == CmpOp::Ne;
    auto mismatch = [&]() -> Error {
      return make_error(std::string("cannot compare ") + value_kind_name(a.kind()) + " " +
                            a.to_string() + " with " + value_kind_name(b.kind()) + " " +
                            b.to_string(),
                        n.op_loc);
    };
    if (a.is_int() && b.is_int()) return holds(n.cmp, three_way(a.as_int(), b.as_int()));
    if (is_number(a) && is_number(b)) return holds(n.cmp, three_way(number(a), number(b)));
    if ((a.is_int() && b.is_string()) || (a.is_string() && b.is_int())) {
      auto text = numeric_text(a.is_string() ? a.as_string() : b.as_string());
      if (!text) {
        if (equality) return n.cmp == CmpOp::Ne;
        return mismatch();
      }
      int64_t x = a.is_int() ? a.as_int() : *text;
      int64_t y = b.is_int() ? b.as_int() : *text;
      return holds(n.cmp, three_way(x, y));
    }
    if (a.is_string() && b.is_string()) {
      const std::string& x = a.as_string();
      const std::string& y = b.as_string();
      if (l.version || r.version || (looks_like_version(x) && looks_like_version(y)))
        return holds(n.cmp, compare_versions(x, y));
      return holds(n.cmp, three_way(x, y));
    }
    if (!equality && (a.is_bool() || a.is_list() || b.is_bool() || b.is_list())) {
      const Value& bad = a.is_bool() || a.is_list() ? a : b;
      return make_error(
          "'" + n.op + "' needs numbers or versions, not " + value_kind_name(bad.kind()), n.op_loc);
    }
    if (a.kind() == b.kind() && (a.is_bool() || a.is_list()))
      return holds(n.cmp, a.same_as(b) ? 0 : 1);
    return mismatch();
  }

  Result<Val> call(const ExprNode& n) {
    TRY_ASSIGN(Val arg, eval(*n.kids[0]));
    const Value& v = arg.v;
    if (!v.is_string() && !v.is_int())
      return make_error(n.op + "() needs text, got " + value_kind_name(v.kind()), n.kids[0]->loc);
    const std::string text = v.to_text();
    if (n.op == "exists") {
      std::string path = text;
      if (path == "~" || path.rfind("~/", 0) == 0) {
        const char* home = std::getenv("HOME");
        path = std::string(home ? home : "") + path.substr(1);
      }
      std::error_code ec;
      return Val{Value(std::filesystem::exists(path, ec))};
    }
    // version(text): the first run of digits and dots, e.g. "indico 3.3.1 (py3)" -> 3.3.1.
    for (size_t i = 0; i < text.size(); ++i) {
      if (!is_digit(text[i])) continue;
      size_t j = i;
      while (j < text.size() && (is_digit(text[j]) ||
                                 (text[j] == '.' && j + 1 < text.size() && is_digit(text[j + 1]))))
        ++j;
      return Val{Value(text.substr(i, j - i)), true};
    }
    return make_error("version(): no version number in " + v.to_string(), n.loc);
  }

  const Scope& scope_;
};

}  // namespace

Result<Value> Expr::eval(const Scope& scope) const {
  if (!root_) return make_error("empty expression", loc_);
  Evaluator ev(scope);
  TRY_ASSIGN(Val v, ev.eval(*root_));
  return std::move(v.v);
}

Result<bool> Expr::eval_bool(const Scope& scope) const {
  TRY_ASSIGN(Value v, eval(scope));
  if (v.is_bool()) return v.as_bool();
  return make_error(std::string("a `when` must be true or false, got ") +
                        value_kind_name(v.kind()) + " " + v.to_string(),
                    root_->loc);
}

}  // namespace ordo
