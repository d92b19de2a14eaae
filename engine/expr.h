// Expr: the `when` expression language, parsed once, type-checked at `check` time, evaluated
// by the scheduler when the step becomes ready.
//
// Grammar: or-expr := and-expr ('or' and-expr)*; and-expr := not-expr ('and' not-expr)*;
// not-expr := 'not' not-expr | cmp; cmp := primary (('=='|'!='|'<'|'<='|'>'|'>=') primary)?;
// primary := literal | ref | func '(' args ')' | '(' or-expr ')'.
// Literals: "text", 'text', integers, true/false. Functions: exists(path), version(text).
// Comparisons of two version-like strings ("3.3.12") compare numerically by component.
// Immutable after parse; thread-safe for const use.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "refs.h"
#include "value.h"

namespace ordo {

// The static type of an expression or ref, for type checking.
enum class ExprType { Bool, Int, String, Version, List, Any };
const char* expr_type_name(ExprType t);

struct ExprNode;  // defined in expr.cpp

class Expr {
 public:
  // Parses `text` whose first character sits at `loc`. Errors carry the exact column.
  static Result<Expr> parse(std::string_view text, SourceLoc loc);

  // Type-checks: `type_of` returns the type of a ref, or an Error (unknown name with a
  // suggestion) which is reported at the ref's position. Reports operator/type mismatches.
  void check(const std::function<Result<ExprType>(const Ref&)>& type_of, Diagnostics& diags) const;

  // Every ref in the expression, in source order.
  const std::vector<Ref>& refs() const { return refs_; }

  // Evaluates; an unknown ref or a failed function is an Error. eval_bool requires a boolean
  // result: anything else is an Error ("a `when` must be true or false, got integer 2").
  Result<Value> eval(const Scope& scope) const;
  Result<bool> eval_bool(const Scope& scope) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  SourceLoc loc_;
  std::shared_ptr<const ExprNode> root_;
  std::vector<Ref> refs_;
};

// Compares dotted versions ("3.3.12" vs "3.10"): <0, 0, >0. Non-numeric parts compare as text.
int compare_versions(std::string_view a, std::string_view b);

}  // namespace ordo
