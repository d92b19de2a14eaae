// ExprNode: the parsed form of a `when` expression, shared by the parser (expr.cpp), the type
// checker (expr_check.cpp) and the evaluator (expr_eval.cpp). Internal to those files; nothing
// else includes it. Owned by an Expr through a shared_ptr; immutable after parse.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expr.h"

namespace ordo {

enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge };

struct ExprNode {
  enum class Kind { Literal, Ref, Not, And, Or, Cmp, Call };
  Kind kind = Kind::Literal;
  SourceLoc loc;     // where this node's text starts
  SourceLoc op_loc;  // the operator or function name
  std::string op;    // "==", "and", "exists", ... as written
  CmpOp cmp = CmpOp::Eq;
  Value literal;                                // Kind::Literal
  Ref ref;                                      // Kind::Ref
  std::vector<std::unique_ptr<ExprNode>> kids;  // operands, or the call's arguments
};

// `s` without leading and trailing white space.
std::string_view trim_space(std::string_view s);

// An integer written as text ("42", " -3\n"), as step outputs often are; nullopt otherwise.
std::optional<int64_t> numeric_text(std::string_view s);

}  // namespace ordo
