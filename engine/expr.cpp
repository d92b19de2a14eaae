// The `when` language, part 1: the lexer and the recursive-descent parser (Expr::parse).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "expr_node.h"

namespace ordo {
namespace {

using Node = std::unique_ptr<ExprNode>;

// ---- Lexer --------------------------------------------------------------------------------

enum class Tok { Name, Str, Int, LParen, RParen, Comma, Cmp, And, Or, Not, True, False, End, Bad };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // as written (for messages); for Bad, the error message
  std::string str;   // decoded string literal
  int64_t num = 0;
  CmpOp cmp = CmpOp::Eq;
  SourceLoc loc;
};

bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

class Lexer {
 public:
  Lexer(std::string_view text, SourceLoc loc) : s_(text), loc_(std::move(loc)) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      out.push_back(next());
      if (out.back().kind == Tok::End || out.back().kind == Tok::Bad) return out;
    }
  }

 private:
  void advance() {
    char c = s_[i_++];
    if (!loc_.known()) return;
    if (c == '\n') {
      ++loc_.line;
      loc_.col = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++loc_.col;  // count code points, not UTF-8 continuation bytes
    }
  }
  bool at(char c, size_t ahead = 0) const { return i_ + ahead < s_.size() && s_[i_ + ahead] == c; }
  Token bad(std::string message, Token t) {
    t.kind = Tok::Bad;
    t.text = std::move(message);
    return t;
  }

  Token next() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) advance();
    Token t;
    t.loc = loc_;
    if (i_ == s_.size()) return t;
    const size_t start = i_;
    const char c = s_[i_];
    auto take = [&](Tok k, size_t n) {
      for (size_t j = 0; j < n; ++j) advance();
      t.kind = k;
      t.text = std::string(s_.substr(start, n));
      return t;
    };
    if (name_start(c)) {
      while (i_ < s_.size() && name_char(s_[i_])) advance();
      t.text = std::string(s_.substr(start, i_ - start));
      t.kind = t.text == "and"     ? Tok::And
               : t.text == "or"    ? Tok::Or
               : t.text == "not"   ? Tok::Not
               : t.text == "true"  ? Tok::True
               : t.text == "false" ? Tok::False
                                   : Tok::Name;
      return t;
    }
    if (is_digit(c) || (c == '-' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))) {
      advance();
      while (i_ < s_.size() && name_char(s_[i_])) advance();
      t.text = std::string(s_.substr(start, i_ - start));
      auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.num);
      if (p != t.text.data() + t.text.size())
        return bad("unexpected '" + t.text + "': write versions and text in quotes, e.g. \"" +
                       t.text + "\"",
                   t);
      if (ec != std::errc()) return bad("integer '" + t.text + "' is too large", t);
      t.kind = Tok::Int;
      return t;
    }
    if (c == '"' || c == '\'') {
      advance();
      while (i_ < s_.size() && s_[i_] != c) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == c || s_[i_ + 1] == '\\')) {
          advance();
        }
        t.str += s_[i_];
        advance();
      }
      if (i_ == s_.size()) return bad(std::string("unterminated string: missing closing ") + c, t);
      advance();
      t.kind = Tok::Str;
      t.text = std::string(s_.substr(start, i_ - start));
      return t;
    }
    const bool eq_next = at('=', 1);
    switch (c) {
      case '(':
        return take(Tok::LParen, 1);
      case ')':
        return take(Tok::RParen, 1);
      case ',':
        return take(Tok::Comma, 1);
      case '=':
        if (!eq_next) return bad("unexpected '=': use '==' to compare", t);
        t.cmp = CmpOp::Eq;
        return take(Tok::Cmp, 2);
      case '!':
        if (!eq_next) return bad("unexpected '!': use 'not'", t);
        t.cmp = CmpOp::Ne;
        return take(Tok::Cmp, 2);
      case '<':
        t.cmp = eq_next ? CmpOp::Le : CmpOp::Lt;
        return take(Tok::Cmp, eq_next ? 2 : 1);
      case '>':
        t.cmp = eq_next ? CmpOp::Ge : CmpOp::Gt;
        return take(Tok::Cmp, eq_next ? 2 : 1);
      case '&':
        return bad(at('&', 1) ? "unexpected '&&': use 'and'" : "unexpected '&'", t);
      case '|':
        return bad(at('|', 1) ? "unexpected '||': use 'or'" : "unexpected '|'", t);
      default:
        break;
    }
    size_t n = 1;  // the whole UTF-8 sequence, for the message
    while (start + n < s_.size() && (static_cast<unsigned char>(s_[start + n]) & 0xC0) == 0x80) ++n;
    return bad("unexpected '" + std::string(s_.substr(start, n)) + "'", t);
  }

  std::string_view s_;
  size_t i_ = 0;
  SourceLoc loc_;
};

// ---- Parser -------------------------------------------------------------------------------

std::string where(const SourceLoc& open, const SourceLoc& now) {
  if (open.line != now.line)
    return "at line " + std::to_string(open.line) + ", col " + std::to_string(open.col);
  return "at col " + std::to_string(open.col);
}

class Parser {
 public:
  Parser(std::vector<Token> toks, std::vector<Ref>& refs) : t_(std::move(toks)), refs_(refs) {}

  Result<Node> parse_all() {
    if (cur().kind == Tok::End) return make_error("empty expression", cur().loc);
    TRY_ASSIGN(Node root, parse_or());
    if (cur().kind == Tok::Bad) return make_error(cur().text, cur().loc);
    if (cur().kind != Tok::End) return make_error("unexpected '" + cur().text + "'", cur().loc);
    return root;
  }

 private:
  const Token& cur() const { return t_[pos_]; }
  const Token& peek() const { return t_[std::min(pos_ + 1, t_.size() - 1)]; }
  void bump() {
    if (pos_ + 1 < t_.size()) ++pos_;
  }

  Node binary(ExprNode::Kind k, const Token& op, Node l, Node r) {
    auto n = std::make_unique<ExprNode>();
    n->kind = k;
    n->loc = l->loc;
    n->op_loc = op.loc;
    n->op = op.text;
    n->cmp = op.cmp;
    n->kids.push_back(std::move(l));
    n->kids.push_back(std::move(r));
    return n;
  }

  Result<Node> parse_or() {
    TRY_ASSIGN(Node l, parse_and());
    while (cur().kind == Tok::Or) {
      Token op = cur();
      bump();
      TRY_ASSIGN(Node r, parse_and());
      l = binary(ExprNode::Kind::Or, op, std::move(l), std::move(r));
    }
    return l;
  }

  Result<Node> parse_and() {
    TRY_ASSIGN(Node l, parse_not());
    while (cur().kind == Tok::And) {
      Token op = cur();
      bump();
      TRY_ASSIGN(Node r, parse_not());
      l = binary(ExprNode::Kind::And, op, std::move(l), std::move(r));
    }
    return l;
  }

  Result<Node> parse_not() {
    if (cur().kind != Tok::Not) return parse_cmp();
    Token op = cur();
    bump();
    TRY_ASSIGN(Node operand, parse_not());
    auto n = std::make_unique<ExprNode>();
    n->kind = ExprNode::Kind::Not;
    n->loc = n->op_loc = op.loc;
    n->op = op.text;
    n->kids.push_back(std::move(operand));
    return n;
  }

  Result<Node> parse_cmp() {
    TRY_ASSIGN(Node l, parse_primary());
    if (cur().kind != Tok::Cmp) return l;
    Token op = cur();
    bump();
    TRY_ASSIGN(Node r, parse_primary());
    if (cur().kind == Tok::Cmp)
      return make_error(
          "unexpected '" + cur().text + "': comparisons do not chain; join them with 'and'",
          cur().loc);
    return binary(ExprNode::Kind::Cmp, op, std::move(l), std::move(r));
  }

  Result<Node> parse_primary() {
    const Token& t = cur();
    auto lit = [&](Value v) {
      auto n = std::make_unique<ExprNode>();
      n->kind = ExprNode::Kind::Literal;
      n->loc = n->op_loc = t.loc;
      n->literal = std::move(v);
      n->literal.loc = t.loc;
      bump();
      return n;
    };
    switch (t.kind) {
      case Tok::Bad:
        return make_error(t.text, t.loc);
      case Tok::End:
        return make_error(
            "incomplete expression: expected a value after '" + t_[pos_ - 1].text + "'", t.loc);
      case Tok::Int:
        return Node(lit(Value(t.num)));
      case Tok::Str:
        return Node(lit(Value(t.str)));
      case Tok::True:
        return Node(lit(Value(true)));
      case Tok::False:
        return Node(lit(Value(false)));
      case Tok::LParen: {
        Token open = t;
        bump();
        TRY_ASSIGN(Node inner, parse_or());
        if (cur().kind == Tok::Bad) return make_error(cur().text, cur().loc);
        if (cur().kind != Tok::RParen)
          return make_error("expected ')' to close '(' " + where(open.loc, cur().loc), cur().loc);
        bump();
        inner->loc = open.loc;
        return inner;
      }
      case Tok::Name:
        return peek().kind == Tok::LParen ? parse_call() : parse_name();
      default:
        return make_error("unexpected '" + t.text + "': expected a value", t.loc);
    }
  }

  Result<Node> parse_name() {
    TRY_ASSIGN(Ref ref, parse_ref(cur().text, cur().loc));
    auto n = std::make_unique<ExprNode>();
    n->kind = ExprNode::Kind::Ref;
    n->loc = n->op_loc = cur().loc;
    n->ref = ref;
    refs_.push_back(std::move(ref));
    bump();
    return n;
  }

  Result<Node> parse_call() {
    Token name = cur();
    if (name.text != "exists" && name.text != "version") {
      std::string hint = did_you_mean(name.text, {"exists", "version"});
      if (hint.empty()) hint = ": the functions are exists(path) and version(text)";
      return make_error("unknown function '" + name.text + "'" + hint, name.loc);
    }
    bump();
    Token open = cur();
    bump();
    auto n = std::make_unique<ExprNode>();
    n->kind = ExprNode::Kind::Call;
    n->loc = n->op_loc = name.loc;
    n->op = name.text;
    if (cur().kind != Tok::RParen) {
      for (;;) {
        TRY_ASSIGN(Node arg, parse_or());
        n->kids.push_back(std::move(arg));
        if (cur().kind != Tok::Comma) break;
        bump();
      }
    }
    if (cur().kind == Tok::Bad) return make_error(cur().text, cur().loc);
    if (cur().kind != Tok::RParen)
      return make_error("expected ')' to close '(' " + where(open.loc, cur().loc), cur().loc);
    bump();
    if (n->kids.size() != 1) {
      return make_error(name.text + "() takes 1 argument, got " + std::to_string(n->kids.size()),
                        name.loc);
    }
    return n;
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  std::vector<Ref>& refs_;
};

}  // namespace

Result<Expr> Expr::parse(std::string_view text, SourceLoc loc) {
  Expr e;
  e.text_ = std::string(text);
  e.loc_ = loc;
  Parser p(Lexer(text, loc).run(), e.refs_);
  TRY_ASSIGN(Node root, p.parse_all());
  e.root_ = std::shared_ptr<const ExprNode>(std::move(root));
  return e;
}

}  // namespace ordo
