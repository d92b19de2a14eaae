// Boxed<T>: an optional T kept on the heap — one pointer wide, where std::optional<T> takes
// sizeof(T) + alignment. For rarely set fields of types a plan holds once per step (StepDecl's
// `when`: 8 bytes instead of 56 on each of 100k steps, most without one).
//
// Reads like std::optional: `if (b)`, `*b`, `b->member`, `b = T{...}`, `b.reset()`. A value
// type: copying copies the T (deep), moving moves the pointer. Owns its T; not thread-safe
// beyond const access.
#pragma once

#include <memory>
#include <utility>

namespace ordo {

template <typename T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(T value) : p_(std::make_unique<T>(std::move(value))) {}  // NOLINT: like optional
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(T value) {
    if (p_)
      *p_ = std::move(value);
    else
      p_ = std::make_unique<T>(std::move(value));
    return *this;
  }

  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  // REQUIRES: has_value().
  const T& operator*() const { return *p_; }
  T& operator*() { return *p_; }
  const T* operator->() const { return p_.get(); }
  T* operator->() { return p_.get(); }
  void reset() { p_.reset(); }
  // The T, or a default-constructed T when there is none (one shared, never-changing constant
  // per T: safe to read from any thread).
  const T& value_or_empty() const {
    static const T empty{};
    return p_ ? *p_ : empty;
  }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace ordo
