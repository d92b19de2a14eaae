// Result<T>: the value of a fallible operation, or an Error saying what went wrong and where.
//
// Errors are data in ordo: functions that can fail return Result<T> (or Status for
// Result<void>); exceptions only unwind to main(). TRY(expr) returns early with the error.
// Plain value type; not thread-safe beyond what its members are.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ordo {

// A position in a plan file. line and col are 1-based; 0 means "unknown".
struct SourceLoc {
  std::string file;  // path as the user gave it (or as resolved from an include)
  int line = 0;
  int col = 0;

  bool known() const { return line > 0; }
  // "file:line:col", or "file" when the position is unknown.
  std::string str() const;
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

struct Error {
  std::string message;
  SourceLoc loc;  // may be unknown for errors that are not about a file
  // "file:line:col: message" or just "message".
  std::string str() const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok().
  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string message, SourceLoc loc = {}) {
  return Error{std::move(message), std::move(loc)};
}

}  // namespace ordo

// TRY(expr): evaluate a Result; on error return it from the enclosing function.
#define ORDO_CONCAT_(a, b) a##b
#define ORDO_CONCAT(a, b) ORDO_CONCAT_(a, b)
#define TRY_IMPL_(tmp, expr)                          \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return ::ordo::Error(tmp.take_error())
#define TRY(expr) TRY_IMPL_(ORDO_CONCAT(try_tmp_, __LINE__), expr)
// TRY_ASSIGN(lhs, expr): like TRY, then move the value into lhs.
#define TRY_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                     \
  if (!tmp.ok()) return ::ordo::Error(tmp.take_error()); \
  lhs = std::move(tmp).value()
#define TRY_ASSIGN(lhs, expr) TRY_ASSIGN_IMPL_(ORDO_CONCAT(try_tmp_, __LINE__), lhs, expr)
