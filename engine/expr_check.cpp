// The `when` language, part 2: static type checking (Expr::check).
#include "expr_node.h"

namespace ordo {

const char* expr_type_name(ExprType t) {
  switch (t) {
    case ExprType::Bool:
      return "boolean";
    case ExprType::Int:
      return "integer";
    case ExprType::String:
      return "string";
    case ExprType::Version:
      return "version";
    case ExprType::List:
      return "list";
    case ExprType::Any:
      return "any value";
  }
  return "?";
}

namespace {

class Checker {
 public:
  Checker(const std::function<Result<ExprType>(const Ref&)>& type_of, Diagnostics& diags)
      : type_of_(type_of), diags_(diags) {}

  ExprType type(const ExprNode& n) {
    using K = ExprNode::Kind;
    switch (n.kind) {
      case K::Literal:
        return n.literal.is_bool()  ? ExprType::Bool
               : n.literal.is_int() ? ExprType::Int
                                    : ExprType::String;
      case K::Ref: {
        auto t = type_of_(n.ref);
        if (t.ok()) return *t;
        Error e = t.take_error();
        if (!e.loc.known()) e.loc = n.ref.loc;
        diags_.add(std::move(e));
        return ExprType::Any;
      }
      case K::Not:
      case K::And:
      case K::Or:
        for (const auto& k : n.kids) need_bool(n, *k, type(*k));
        return ExprType::Bool;
      case K::Cmp:
        comparison(n);
        return ExprType::Bool;
      case K::Call:
        return call(n);
    }
    return ExprType::Any;
  }

 private:
  void need_bool(const ExprNode& op, const ExprNode& operand, ExprType t) {
    if (t == ExprType::Bool || t == ExprType::Any) return;
    const char* what = op.kind == ExprNode::Kind::Not ? "a true/false value" : "true/false values";
    diags_.error(operand.loc, "'" + op.op + "' needs " + what + ", not " + expr_type_name(t));
  }

  static bool numeric_literal(const ExprNode& n) {
    return n.kind == ExprNode::Kind::Literal && n.literal.is_string() &&
           numeric_text(n.literal.as_string()).has_value();
  }

  void comparison(const ExprNode& n) {
    const ExprNode& l = *n.kids[0];
    const ExprNode& r = *n.kids[1];
    const ExprType lt = type(l), rt = type(r);
    if (lt == ExprType::Any || rt == ExprType::Any) return;
    const bool equality = n.cmp == CmpOp::Eq || n.cmp == CmpOp::Ne;
    if (!equality) {
      for (ExprType t : {lt, rt}) {
        if (t == ExprType::Bool || t == ExprType::List) {
          diags_.error(n.op_loc,
                       "'" + n.op + "' needs numbers or versions, not " + expr_type_name(t));
          return;
        }
      }
    }
    if (lt == rt) return;
    auto pair = [&](ExprType a, ExprType b) {
      return (lt == a && rt == b) || (lt == b && rt == a);
    };
    if (pair(ExprType::String, ExprType::Version)) return;
    if (pair(ExprType::Int, ExprType::String) && numeric_literal(lt == ExprType::String ? l : r))
      return;
    diags_.error(n.op_loc, std::string("cannot compare ") + expr_type_name(lt) + " with " +
                               expr_type_name(rt));
  }

  ExprType call(const ExprNode& n) {
    const ExprNode& arg = *n.kids[0];
    const ExprType t = type(arg);
    const bool is_exists = n.op == "exists";
    const bool fits =
        t == ExprType::String || t == ExprType::Any || (!is_exists && t == ExprType::Version);
    if (!fits) {
      diags_.error(arg.loc, n.op + "() needs " + (is_exists ? "a path string" : "text") + ", not " +
                                expr_type_name(t));
    }
    return is_exists ? ExprType::Bool : ExprType::Version;
  }

  const std::function<Result<ExprType>(const Ref&)>& type_of_;
  Diagnostics& diags_;
};

}  // namespace

void Expr::check(const std::function<Result<ExprType>(const Ref&)>& type_of,
                 Diagnostics& diags) const {
  if (!root_) return;
  Checker c(type_of, diags);
  const ExprType t = c.type(*root_);
  if (t == ExprType::Bool || t == ExprType::Any) return;
  const std::string text(trim_space(text_));
  std::string example;
  switch (t) {
    case ExprType::Int:
      example = text + " == 0";
      break;
    case ExprType::String:
      example = text + " == \"yes\"";
      break;
    case ExprType::Version:
      example = text + " >= \"1.0\"";
      break;
    default:
      break;
  }
  if (example.empty())
    diags.error(root_->loc,
                std::string("a `when` must be true or false, not ") + expr_type_name(t));
  else
    diags.error(root_->loc, "a `when` must be true or false; compare it, e.g. " + example);
}

}  // namespace ordo
