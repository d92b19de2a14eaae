// Result<T>: the value of a fallible operation, or an Error saying what went wrong and where.
//
// Errors are data in ordo: functions that can fail return Result<T> (or Status for
// Result<void>); exceptions only unwind to main(). TRY(expr) returns early with the error.
// Plain value type; not thread-safe beyond what its members are.
#pragma once

#include <compare>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ordo {

// FileName: an interned file path, one pointer wide. A plan of 100k steps holds about a
// million source positions, all naming one or a few files: each holds a pointer into a
// process-wide table instead of its own copy of the path. Converts implicitly from and to
// `const std::string&`, so it reads and compares like the string it names.
// The table is thread-safe (a mutex guards interning; lookups through an existing FileName
// need no lock: entries are never moved or freed). Interning happens when a FileName is made
// from a string; copying a FileName is a pointer copy. Entries live until the process ends,
// so make FileNames from file paths and labels ("--set"), not from unbounded data.
class FileName {
 public:
  FileName() = default;
  FileName(const std::string& s) : p_(intern(s)) {}  // NOLINT: implicit on purpose
  FileName(std::string_view s) : p_(intern(s)) {}    // NOLINT
  FileName(const char* s) : p_(intern(s)) {}         // NOLINT

  const std::string& str() const { return p_ ? *p_ : empty_string(); }
  operator const std::string&() const { return str(); }  // NOLINT
  bool empty() const { return p_ == nullptr; }
  size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }

  // The same text is the same entry, so equality is identity.
  friend bool operator==(const FileName& a, const FileName& b) { return a.p_ == b.p_; }
  friend bool operator==(const FileName& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const FileName& a, const char* b) { return a.str() == b; }
  // Ordered by text (diagnostics sort by file name).
  friend std::strong_ordering operator<=>(const FileName& a, const FileName& b) {
    return a.p_ == b.p_ ? std::strong_ordering::equal : a.str() <=> b.str();
  }
  friend std::string operator+(const FileName& a, const std::string& b) { return a.str() + b; }
  friend std::string operator+(const FileName& a, const char* b) { return a.str() + b; }
  friend std::string operator+(const std::string& a, const FileName& b) { return a + b.str(); }
  friend std::string operator+(const char* a, const FileName& b) { return a + b.str(); }
  friend std::ostream& operator<<(std::ostream& os, const FileName& f);

 private:
  // The table's entry for s; nullptr for "".
  static const std::string* intern(std::string_view s);
  static const std::string& empty_string();

  const std::string* p_ = nullptr;
};

// A position in a plan file. line and col are 1-based; 0 means "unknown".
struct SourceLoc {
  FileName file;  // path as the user gave it (or as resolved from an include)
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
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit on purpose
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
#define TRY_IMPL_(tmp, expr) \
  auto tmp = (expr);         \
  if (!tmp.ok()) return ::ordo::Error(tmp.take_error())
#define TRY(expr) TRY_IMPL_(ORDO_CONCAT(try_tmp_, __LINE__), expr)
// TRY_ASSIGN(lhs, expr): like TRY, then move the value into lhs.
#define TRY_ASSIGN_IMPL_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return ::ordo::Error(tmp.take_error()); \
  lhs = std::move(tmp).value()
#define TRY_ASSIGN(lhs, expr) TRY_ASSIGN_IMPL_(ORDO_CONCAT(try_tmp_, __LINE__), lhs, expr)
