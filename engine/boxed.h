// Boxed<T>: an optional T kept on the heap — one pointer wide, where std::optional<T> takes
// sizeof(T) + alignment. For rarely set fields of types a plan holds once per step (StepDecl's
// `when`: 8 bytes instead of 56 on each of 100k steps, most without one).
// BoxedVector<T>: the same for a std::vector<T> that is mostly empty (StepDecl's `after`,
// `env`, `tags`, ...): 8 bytes instead of 24 when empty; a set one costs a heap block more.
//
// Boxed reads like std::optional: `if (b)`, `*b`, `b->member`, `b = T{...}`, `b.reset()`.
// BoxedVector reads like the vector (and converts to `const std::vector<T>&`), and is written
// by assigning a vector, push_back/emplace_back, or mut(). Value types: copying copies the
// contents (deep), moving moves the pointer. Own their contents; not thread-safe beyond const
// access.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

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

template <typename T>
class BoxedVector {
 public:
  using value_type = T;
  using const_iterator = typename std::vector<T>::const_iterator;
  using iterator = typename std::vector<T>::iterator;

  BoxedVector() = default;
  BoxedVector(std::vector<T> v) { *this = std::move(v); }  // NOLINT: like the vector
  BoxedVector(std::initializer_list<T> l) : BoxedVector(std::vector<T>(l)) {}
  BoxedVector(const BoxedVector& o)
      : p_(o.p_ ? std::make_unique<std::vector<T>>(*o.p_) : nullptr) {}
  BoxedVector(BoxedVector&&) noexcept = default;
  BoxedVector& operator=(const BoxedVector& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<std::vector<T>>(*o.p_) : nullptr;
    return *this;
  }
  BoxedVector& operator=(BoxedVector&&) noexcept = default;
  BoxedVector& operator=(std::initializer_list<T> l) { return *this = std::vector<T>(l); }
  BoxedVector& operator=(std::vector<T> v) {
    if (v.empty())
      p_.reset();
    else if (p_)
      *p_ = std::move(v);
    else
      p_ = std::make_unique<std::vector<T>>(std::move(v));
    return *this;
  }

  // The vector (a shared empty one when there is none: never changes, any thread may read it).
  const std::vector<T>& get() const { return p_ ? *p_ : empty_vector(); }
  operator const std::vector<T>&() const { return get(); }  // NOLINT: reads as the vector
  bool empty() const { return !p_ || p_->empty(); }
  size_t size() const { return p_ ? p_->size() : 0; }
  const_iterator begin() const { return get().begin(); }
  const_iterator end() const { return get().end(); }
  iterator begin() { return p_ ? p_->begin() : iterator{}; }
  iterator end() { return p_ ? p_->end() : iterator{}; }
  // REQUIRES: !empty() / i < size().
  const T& front() const { return p_->front(); }
  const T& back() const { return p_->back(); }
  const T& operator[](size_t i) const { return (*p_)[i]; }

  // The vector to change (made empty on first use).
  std::vector<T>& mut() {
    if (!p_) p_ = std::make_unique<std::vector<T>>();
    return *p_;
  }
  void push_back(T v) { mut().push_back(std::move(v)); }
  template <typename... A>
  T& emplace_back(A&&... a) {
    return mut().emplace_back(std::forward<A>(a)...);
  }
  void clear() { p_.reset(); }

 private:
  static const std::vector<T>& empty_vector() {
    static const std::vector<T> empty;
    return empty;
  }
  std::unique_ptr<std::vector<T>> p_;
};

}  // namespace ordo
