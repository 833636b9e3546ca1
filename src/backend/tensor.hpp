#pragma once
// Tensors as the op seam sees them: a pointer into a backend's memory that knows its element type,
// and, from the parameter's type, what the op does with it: In (reads), Out (overwrites), Acc
// (adds into, the backward contract), InOut (reads, then overwrites in place). The shapes travel
// as the op's own arguments (N, C, ...); a view may also know its element count (-1: not known).
//
// A typed pointer converts to a view, so float or double buffers pass as they are; a backend that
// keeps activations in bf16 hands out bf16 views of the model's activation buffers
// (Backend::activation_type). as<U>() checks the element type, so an op never reads bf16 bits as
// float: a backend that does not take an element type for a role says so (std::invalid_argument).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace moelaw::backend {

enum class DType : uint8_t { f32, bf16, f64 };

// bf16 storage (the upper half of an IEEE float); arithmetic is the backend's business. Layout-
// compatible with CUDA's __nv_bfloat16.
struct bf16 {
  uint16_t bits;
};

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "fp32";
    case DType::bf16: return "bf16";
    case DType::f64: return "f64";
  }
  return "?";
}
inline size_t dtype_size(DType t) { return t == DType::f64 ? 8 : t == DType::f32 ? 4 : 2; }

template <typename U>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::f32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::f64;
};
template <>
struct DTypeOf<bf16> {
  static constexpr DType value = DType::bf16;
};
template <typename U>
inline constexpr DType dtype_of = DTypeOf<U>::value;
// C++17 (the CUDA sources include this header too): element types by SFINAE, not a concept.
template <typename U, typename = void>
struct IsElement : std::false_type {};
template <typename U>
struct IsElement<U, std::void_t<decltype(DTypeOf<U>::value)>> : std::true_type {};
template <typename U>
using IfElement = std::enable_if_t<IsElement<U>::value, int>;

namespace detail {
[[noreturn]] inline void wrong_dtype(DType have, DType want) {
  throw std::invalid_argument(std::string("op seam: a tensor of ") + dtype_name(have) + " where this backend takes " +
                              dtype_name(want));
}
}  // namespace detail

// A read-only view.
class In {
 public:
  In() = default;
  In(std::nullptr_t) {}
  template <typename U, IfElement<U> = 0>
  In(const U* p, int64_t count = -1) : data_(p), dtype_(dtype_of<U>), count_(count) {}
  In(const void* p, DType t, int64_t count) : data_(p), dtype_(t), count_(count) {}

  DType dtype() const { return dtype_; }
  int64_t count() const { return count_; }
  const void* raw() const { return data_; }
  explicit operator bool() const { return data_ != nullptr; }
  bool is(DType t) const { return dtype_ == t; }
  template <typename U, IfElement<U> = 0>
  const U* as() const {
    if (data_ && dtype_ != dtype_of<U>) detail::wrong_dtype(dtype_, dtype_of<U>);
    return static_cast<const U*>(data_);
  }
  // The view `offset` elements further on (a row block of a larger buffer).
  In at(int64_t offset) const {
    if (!data_) return {};
    return {static_cast<const char*>(data_) + offset * int64_t(dtype_size(dtype_)), dtype_,
            count_ < 0 ? -1 : count_ - offset};
  }

 private:
  const void* data_ = nullptr;
  DType dtype_ = DType::f32;
  int64_t count_ = -1;
};

// A writable view; Role only tells the reader (and the type checker) what the op does with it.
template <int Role>
class Writable {
 public:
  Writable() = default;
  Writable(std::nullptr_t) {}
  template <typename U, IfElement<U> = 0>
  Writable(U* p, int64_t count = -1) : data_(p), dtype_(dtype_of<U>), count_(count) {}
  Writable(void* p, DType t, int64_t count) : data_(p), dtype_(t), count_(count) {}
  template <int Other>
  explicit Writable(const Writable<Other>& o) : data_(o.raw()), dtype_(o.dtype()), count_(o.count()) {}

  DType dtype() const { return dtype_; }
  int64_t count() const { return count_; }
  void* raw() const { return data_; }
  explicit operator bool() const { return data_ != nullptr; }
  bool is(DType t) const { return dtype_ == t; }
  operator In() const { return {data_, dtype_, count_}; }
  template <typename U, IfElement<U> = 0>
  U* as() const {
    if (data_ && dtype_ != dtype_of<U>) detail::wrong_dtype(dtype_, dtype_of<U>);
    return static_cast<U*>(data_);
  }
  Writable at(int64_t offset) const {
    if (!data_) return {};
    return {static_cast<char*>(data_) + offset * int64_t(dtype_size(dtype_)), dtype_, count_ < 0 ? -1 : count_ - offset};
  }

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::f32;
  int64_t count_ = -1;
};

using Out = Writable<0>;    // overwritten
using Acc = Writable<1>;    // added into (+=)
using InOut = Writable<2>;  // read, then overwritten in place

}  // namespace moelaw::backend
