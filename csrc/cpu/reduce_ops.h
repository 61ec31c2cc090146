// Reduction functors for the CPU driver (Note [Reduction driver] in cpu/reduce_loop.h): each says
// how to fold one element (reduce), merge two partials (combine) and write a result (store).
// 16-bit floats accumulate in float, integer sums and products in int64 (PyTorch's rules).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/cast.h"
#include "core/dtype.h"

namespace pe::cpu {

template <class T>
constexpr bool is_float_v = std::is_floating_point_v<T> || is_reduced_float_v<T>;

// The accumulator of sums/products: float for float16/bfloat16/float32, double, int64 for integers.
template <class T>
using sum_acc_t = std::conditional_t<is_float_v<T>, std::conditional_t<std::is_same_v<T, double>, double, float>,
                                     int64_t>;
// The output of sums/products: the input dtype for floats, int64 for integers and bool.
template <class T>
using sum_out_t = std::conditional_t<is_float_v<T>, T, int64_t>;
// The type min/max compare in: float for 16-bit floats, the type itself otherwise.
template <class T>
using cmp_t = std::conditional_t<is_reduced_float_v<T>, float, T>;

// Accumulation steps of sums and products: integers wrap as two's complement (PyTorch's result for
// an overflowing int64 sum), computed in unsigned because signed overflow is undefined in C++.
template <class A>
inline A acc_add(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    using U = std::make_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <class A>
inline A acc_mul(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    using U = std::make_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

template <class V>
inline bool isnan_v(V v) {
  if constexpr (std::is_floating_point_v<V>) return v != v;
  else return false;
}

// sum (divisor 1) and mean (divisor n).
template <class T>
struct SumOp {
  using in_t = T;
  using acc_t = sum_acc_t<T>;
  sum_out_t<T>* out;
  acc_t divisor = acc_t(1);
  acc_t identity() const { return acc_t(0); }
  acc_t reduce(acc_t a, T x, int64_t) const { return acc_add(a, static_cast<acc_t>(x)); }
  acc_t combine(acc_t a, acc_t b) const { return acc_add(a, b); }
  void store(int64_t i, acc_t a) const {
    if constexpr (is_float_v<T>) out[i] = static_cast<T>(divisor == acc_t(1) ? a : a / divisor);
    else out[i] = a;
  }
};

template <class T>
struct ProdOp {
  using in_t = T;
  using acc_t = sum_acc_t<T>;
  sum_out_t<T>* out;
  acc_t identity() const { return acc_t(1); }
  acc_t reduce(acc_t a, T x, int64_t) const { return acc_mul(a, static_cast<acc_t>(x)); }
  acc_t combine(acc_t a, acc_t b) const { return acc_mul(a, b); }
  void store(int64_t i, acc_t a) const { out[i] = static_cast<sum_out_t<T>>(a); }
};

// amax/amin and max()/min() without dim; NaN propagates.
template <class T, bool IsMax>
struct MinMaxOp {
  using in_t = T;
  using acc_t = cmp_t<T>;
  T* out;
  acc_t identity() const {
    if constexpr (std::is_same_v<T, bool>) return !IsMax;
    else if constexpr (std::is_floating_point_v<acc_t>)
      return IsMax ? -std::numeric_limits<acc_t>::infinity() : std::numeric_limits<acc_t>::infinity();
    else return IsMax ? std::numeric_limits<acc_t>::lowest() : std::numeric_limits<acc_t>::max();
  }
  acc_t combine(acc_t a, acc_t b) const {
    if constexpr (std::is_same_v<T, bool>) return IsMax ? (a || b) : (a && b);
    else return ((IsMax ? b > a : b < a) || isnan_v(b)) ? b : a;
  }
  acc_t reduce(acc_t a, T x, int64_t) const { return combine(a, static_cast<acc_t>(x)); }
  void store(int64_t i, acc_t a) const { out[i] = static_cast<T>(a); }
};

// max/min with dim (values and indices) and argmax/argmin (values == nullptr). The first index of
// the extreme wins; a NaN is the extreme (its first index).
template <class T, bool IsMax>
struct ArgMinMaxOp {
  using in_t = T;
  struct acc_t {
    cmp_t<T> v;
    int64_t i;
  };
  T* values;
  int64_t* indices;
  static bool better(cmp_t<T> x, cmp_t<T> y) {  // x strictly beats y
    if (isnan_v(x)) return !isnan_v(y);
    if (isnan_v(y)) return false;
    return IsMax ? x > y : x < y;
  }
  acc_t identity() const { return {cmp_t<T>(0), -1}; }
  acc_t reduce(acc_t a, T x, int64_t k) const {
    auto v = static_cast<cmp_t<T>>(x);
    return (a.i < 0 || better(v, a.v)) ? acc_t{v, k} : a;
  }
  acc_t combine(acc_t a, acc_t b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    if (better(b.v, a.v)) return b;
    if (better(a.v, b.v)) return a;
    return b.i < a.i ? b : a;  // equal (or both NaN)
  }
  void store(int64_t j, acc_t a) const {
    if (values) values[j] = static_cast<T>(a.v);
    indices[j] = a.i;
  }
};

// AVX2 folds over contiguous [b, e) (cpu/reduce_avx2.cpp) for the hot float/double reductions; they
// return false on a CPU without AVX2. Found by ADL from fold_vectors (cpu/reduce_loop.h).
bool fold_simd(const SumOp<float>& op, const float* p, int64_t b, int64_t e, int64_t k0, float* out);
bool fold_simd(const SumOp<double>& op, const double* p, int64_t b, int64_t e, int64_t k0, double* out);
bool fold_simd(const MinMaxOp<float, true>& op, const float* p, int64_t b, int64_t e, int64_t k0, float* out);
bool fold_simd(const MinMaxOp<float, false>& op, const float* p, int64_t b, int64_t e, int64_t k0, float* out);
bool fold_simd(const MinMaxOp<double, true>& op, const double* p, int64_t b, int64_t e, int64_t k0, double* out);
bool fold_simd(const MinMaxOp<double, false>& op, const double* p, int64_t b, int64_t e, int64_t k0, double* out);

template <class T>
inline bool nonzero_v(T x) {
  if constexpr (is_reduced_float_v<T>) return static_cast<float>(x) != 0.f;
  else return x != T(0);
}

// all/any: the output is bool, or uint8 for a uint8 input (one byte 0/1 either way).
template <class T, bool IsAll>
struct LogicalOp {
  using in_t = T;
  using acc_t = bool;
  uint8_t* out;
  acc_t identity() const { return IsAll; }
  acc_t reduce(acc_t a, T x, int64_t) const { return IsAll ? (a && nonzero_v(x)) : (a || nonzero_v(x)); }
  acc_t combine(acc_t a, acc_t b) const { return IsAll ? (a && b) : (a || b); }
  void store(int64_t i, acc_t a) const { out[i] = a; }
};

template <class T>
struct CountNonzeroOp {
  using in_t = T;
  using acc_t = int64_t;
  int64_t* out;
  acc_t identity() const { return 0; }
  acc_t reduce(acc_t a, T x, int64_t) const { return a + (nonzero_v(x) ? 1 : 0); }
  acc_t combine(acc_t a, acc_t b) const { return a + b; }
  void store(int64_t i, acc_t a) const { out[i] = a; }
};

}  // namespace pe::cpu
