// Scalar functors of the elementwise op library (arithmetic, math, rounding, comparison, bitwise,
// division families): the one header of elementwise arithmetic, shared by the CPU loops
// (csrc/cpu/*_kernel.cpp, through cpu_kernel) and the CUDA kernels (PE_HOST_DEVICE). Each functor
// is templated on the element type T (the op layer has already cast the inputs to it) and
// computes in opmath_t<T> (float for the 16-bit floats). `supported` says for which T the op
// exists: the kernels instantiate only those, the op layer raises PyTorch's error for the others.
// Integer arithmetic wraps as two's complement, as in PyTorch (computed in unsigned: no signed
// overflow, which would be undefined behaviour).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/cast.h"
#include "core/macros.h"
#include "ops/elementwise_stubs.h"
#include "ops/fast_math.h"

namespace pe {

// Arithmetic on 16-bit floats is done in float.
template <class T>
using opmath_t = std::conditional_t<is_reduced_float_v<T>, float, T>;

template <class T>
constexpr bool is_float_v = std::is_floating_point_v<T> || is_reduced_float_v<T>;
template <class T>
constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// ---- unary floating-point math: one functor per op of PE_FORALL_UNARY_FLOAT_OPS ----
#define PE_DEFINE_UNARY_FLOAT_FUNCTOR(Name, name, expr)         \
  template <class T>                                              \
  struct Name##Functor {                                          \
    PE_HOST_DEVICE T operator()(T a) const {                      \
      using M = opmath_t<T>;                                      \
      const M x = static_cast<M>(a);                              \
      return static_cast<T>(expr);                                \
    }                                                             \
  };
PE_FORALL_UNARY_FLOAT_OPS(PE_DEFINE_UNARY_FLOAT_FUNCTOR)
PE_FORALL_ROUNDING_OPS(PE_DEFINE_UNARY_FLOAT_FUNCTOR)
#undef PE_DEFINE_UNARY_FLOAT_FUNCTOR

// ---- integer helpers (wrapping, no UB on overflow) ----
namespace detail {
// The unsigned type integer arithmetic on T is done in: at least `unsigned`, so that the operands
// of a 16-bit multiply are not promoted to (signed) int, which could overflow.
template <class T>
using wrap_uint_t = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
template <class T>
PE_HOST_DEVICE T wrap_add(T a, T b) {
  using U = wrap_uint_t<T>;
  return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
}
template <class T>
PE_HOST_DEVICE T wrap_sub(T a, T b) {
  using U = wrap_uint_t<T>;
  return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
}
template <class T>
PE_HOST_DEVICE T wrap_mul(T a, T b) {
  using U = wrap_uint_t<T>;
  return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
}
template <class T>
PE_HOST_DEVICE T wrap_neg(T a) {
  return wrap_sub(T(0), a);
}
// |a| for signed T without a branch (a data-dependent branch is slow on mixed signs and keeps the
// loop from vectorizing): m is all ones for negative a, (a ^ m) - m negates those.
template <class T>
PE_HOST_DEVICE T wrap_abs(T a) {
  using U = wrap_uint_t<T>;
  const U u = static_cast<U>(a);
  const U m = U(0) - static_cast<U>(a < T(0));
  return static_cast<T>((u ^ m) - m);
}
// a / b rounded toward zero; b != 0 is checked by the op layer. INT_MIN / -1 wraps (x86 would trap).
template <class T>
PE_HOST_DEVICE T int_div_trunc(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return wrap_neg(a);
  }
  return static_cast<T>(a / b);
}
template <class T>
PE_HOST_DEVICE T int_fmod(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return T(0);
  }
  return static_cast<T>(a % b);
}
// PyTorch's powi: square-and-multiply; negative exponents give 0 except for bases 1 and -1.
template <class T>
PE_HOST_DEVICE T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      if (base == T(1)) return T(1);
      if (base == T(-1)) return (exp % 2) ? T(-1) : T(1);
      return T(0);
    }
  }
  T result = T(1);
  while (exp) {
    if (exp & 1) result = wrap_mul(result, base);
    exp = static_cast<T>(exp >> 1);
    base = wrap_mul(base, base);
  }
  return result;
}
}  // namespace detail

// ---- unary ops that keep the dtype (all dtypes unless `supported` says otherwise) ----
template <class T, UnaryMiscOp Op>
struct UnaryMiscFunctor {
  static constexpr bool supported = Op == UnaryMiscOp::Sign         ? true
                                    : Op == UnaryMiscOp::BitwiseNot ? !is_float_v<T>
                                                                    : !std::is_same_v<T, bool>;
  PE_HOST_DEVICE T operator()(T a) const {
    using M = opmath_t<T>;
    if constexpr (Op == UnaryMiscOp::Neg) {
      if constexpr (is_float_v<T>) return static_cast<T>(-static_cast<M>(a));
      else return detail::wrap_neg(a);  // -INT_MIN is INT_MIN, uint8 wraps
    } else if constexpr (Op == UnaryMiscOp::Abs) {
      if constexpr (std::is_unsigned_v<T>) return a;
      else if constexpr (is_float_v<T>) return static_cast<T>(std::fabs(static_cast<M>(a)));
      else return detail::wrap_abs(a);  // abs(INT_MIN) is INT_MIN, as PyTorch
    } else if constexpr (Op == UnaryMiscOp::Sign) {
      if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) return T(a > T(0));
      else {
        const M x = static_cast<M>(a);
        return static_cast<T>(M((M(0) < x) - (x < M(0))));  // NaN -> 0, as PyTorch
      }
    } else if constexpr (Op == UnaryMiscOp::Relu) {
      const M x = static_cast<M>(a);
      return x < M(0) ? T(0) : a;  // NaN passes through
    } else {
      if constexpr (std::is_same_v<T, bool>) return !a;
      else return static_cast<T>(~a);
    }
  }
};

// ---- predicates: T -> bool ----
template <class T, PredicateOp Op>
struct PredicateFunctor {
  static constexpr bool supported = true;
  PE_HOST_DEVICE bool operator()(T a) const {
    using M = opmath_t<T>;
    if constexpr (Op == PredicateOp::LogicalNot) {
      return static_cast<M>(a) == M(0);
    } else if constexpr (!is_float_v<T>) {
      return Op == PredicateOp::IsFinite;  // integers are finite, never nan or inf
    } else {
      const M x = static_cast<M>(a);
      const M inf = static_cast<M>(INFINITY);
      if constexpr (Op == PredicateOp::IsNan) return x != x;
      else if constexpr (Op == PredicateOp::IsInf) return x == inf || x == -inf;
      else return x - x == M(0);  // false for nan and +-inf
    }
  }
};


// ---- binary ops that keep the (common) dtype ----
template <class T, BinaryMathOp Op>
struct BinaryMathFunctor {
  static constexpr bool is_bitwise =
      Op == BinaryMathOp::BitwiseAnd || Op == BinaryMathOp::BitwiseOr || Op == BinaryMathOp::BitwiseXor;
  static constexpr bool is_shift = Op == BinaryMathOp::LeftShift || Op == BinaryMathOp::RightShift;
  static constexpr bool is_minmax = Op == BinaryMathOp::Maximum || Op == BinaryMathOp::Minimum ||
                                    Op == BinaryMathOp::Fmax || Op == BinaryMathOp::Fmin;
  static constexpr bool supported = is_minmax || Op == BinaryMathOp::Add || Op == BinaryMathOp::Mul ? true
                                    : Op == BinaryMathOp::Div ? is_float_v<T>
                                    : is_bitwise ? !is_float_v<T>
                                    : is_shift ? is_int_v<T>
                                    : Op == BinaryMathOp::Atan2 ? is_float_v<T>
                                    : !std::is_same_v<T, bool>;

  PE_HOST_DEVICE T operator()(T a, T b) const {
    using M = opmath_t<T>;
    const M x = static_cast<M>(a), y = static_cast<M>(b);
    if constexpr (Op == BinaryMathOp::Add) {
      if constexpr (std::is_same_v<T, bool>) return a || b;
      else if constexpr (is_float_v<T>) return static_cast<T>(x + y);
      else return detail::wrap_add(a, b);
    } else if constexpr (Op == BinaryMathOp::Sub) {
      if constexpr (is_float_v<T>) return static_cast<T>(x - y);
      else return detail::wrap_sub(a, b);
    } else if constexpr (Op == BinaryMathOp::Mul) {
      if constexpr (std::is_same_v<T, bool>) return a && b;
      else if constexpr (is_float_v<T>) return static_cast<T>(x * y);
      else return detail::wrap_mul(a, b);
    } else if constexpr (Op == BinaryMathOp::Div) {  // true division (the op layer computes it in a float dtype)
      return static_cast<T>(x / y);
    } else if constexpr (Op == BinaryMathOp::Maximum || Op == BinaryMathOp::Minimum) {
      if constexpr (is_float_v<T>) {
        if (x != x) return a;  // NaN propagates
        if (y != y) return b;
      }
      return (Op == BinaryMathOp::Maximum ? x > y : x < y) ? a : b;
    } else if constexpr (Op == BinaryMathOp::Fmax || Op == BinaryMathOp::Fmin) {
      if constexpr (is_float_v<T>) {
        if (x != x) return b;  // NaN is ignored
        if (y != y) return a;
      }
      return (Op == BinaryMathOp::Fmax ? x > y : x < y) ? a : b;
    } else if constexpr (is_bitwise) {
      if constexpr (std::is_same_v<T, bool>) {
        return Op == BinaryMathOp::BitwiseAnd ? (a && b) : Op == BinaryMathOp::BitwiseOr ? (a || b) : (a != b);
      } else {
        return static_cast<T>(Op == BinaryMathOp::BitwiseAnd ? (a & b) : Op == BinaryMathOp::BitwiseOr ? (a | b) : (a ^ b));
      }
    } else if constexpr (is_shift) {
      constexpr T bits = static_cast<T>(sizeof(T) * 8);
      using U = std::make_unsigned_t<T>;
      if constexpr (Op == BinaryMathOp::LeftShift) {
        if ((std::is_signed_v<T> && b < 0) || b >= bits) return T(0);
        return static_cast<T>(static_cast<U>(a) << b);
      } else {
        if ((std::is_signed_v<T> && b < 0) || b >= bits) return std::is_signed_v<T> ? static_cast<T>(a >> (bits - 1)) : T(0);
        return static_cast<T>(a >> b);
      }
    } else if constexpr (Op == BinaryMathOp::Atan2) {
      return static_cast<T>(std::atan2(x, y));
    } else if constexpr (Op == BinaryMathOp::Pow) {
      if constexpr (is_float_v<T>) return static_cast<T>(std::pow(x, y));
      else return detail::int_pow(a, b);
    } else if constexpr (Op == BinaryMathOp::DivTrunc) {
      if constexpr (is_float_v<T>) return static_cast<T>(std::trunc(x / y));
      else return detail::int_div_trunc(a, b);
    } else if constexpr (Op == BinaryMathOp::Fmod) {
      if constexpr (is_float_v<T>) return static_cast<T>(std::fmod(x, y));
      else return detail::int_fmod(a, b);
    } else if constexpr (Op == BinaryMathOp::DivFloor) {
      if constexpr (is_float_v<T>) {
        // PyTorch's div_floor_floating: exact for large quotients, Python's sign conventions.
        if (y == M(0)) return static_cast<T>(x / y);
        M mod = std::fmod(x, y);
        M div = (x - mod) / y;
        if (mod != M(0) && (y < M(0)) != (mod < M(0))) div -= M(1);
        M floordiv;
        if (div != M(0)) {
          floordiv = std::floor(div);
          if (div - floordiv > M(0.5)) floordiv += M(1);
        } else {
          floordiv = std::copysign(M(0), x / y);
        }
        return static_cast<T>(floordiv);
      } else {
        T q = detail::int_div_trunc(a, b);
        if constexpr (std::is_signed_v<T>) {
          if (detail::int_fmod(a, b) != 0 && ((a < 0) != (b < 0))) q = static_cast<T>(q - 1);
        }
        return q;
      }
    } else {  // Remainder: the sign of the divisor (Python's %)
      if constexpr (is_float_v<T>) {
        M mod = std::fmod(x, y);
        if (mod != M(0) && (y < M(0)) != (mod < M(0))) mod += y;
        return static_cast<T>(mod);
      } else {
        T r = detail::int_fmod(a, b);
        if constexpr (std::is_signed_v<T>) {
          if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        }
        return r;
      }
    }
  }
};

// a + alpha * b (add/sub with alpha != 1; sub negates alpha). alpha is in the compute type, checked
// to fit by the op layer. The product is rounded before the sum (no fused multiply-add: the core
// builds with -ffp-contract=off, CUDA files using it need -fmad=false).
template <class T>
struct AddAlphaFunctor {
  opmath_t<T> alpha;
  PE_HOST_DEVICE T operator()(T a, T b) const {
    using M = opmath_t<T>;
    if constexpr (std::is_same_v<T, bool>) return a || (alpha && b);
    else if constexpr (is_float_v<T>) return static_cast<T>(static_cast<M>(a) + alpha * static_cast<M>(b));
    else return detail::wrap_add(a, detail::wrap_mul(alpha, b));
  }
};

// ---- comparisons: (T, T) -> bool ----
template <class T, CompareOp Op>
struct CompareFunctor {
  static constexpr bool supported = true;
  PE_HOST_DEVICE bool operator()(T a, T b) const {
    using M = opmath_t<T>;
    const M x = static_cast<M>(a), y = static_cast<M>(b);
    switch (Op) {
      case CompareOp::Eq: return x == y;
      case CompareOp::Ne: return x != y;
      case CompareOp::Lt: return x < y;
      case CompareOp::Le: return x <= y;
      case CompareOp::Gt: return x > y;
      case CompareOp::Ge: return x >= y;
    }
    return false;
  }
};

// ---- ternary ----
template <class T>
struct WhereFunctor {
  PE_HOST_DEVICE T operator()(bool c, T a, T b) const { return c ? a : b; }
};

// min(max(x, lo), hi), NaN in any operand propagating (PyTorch's clamp with tensor bounds).
template <class T>
struct ClampFunctor {
  PE_HOST_DEVICE T operator()(T v, T lo, T hi) const {
    BinaryMathFunctor<T, BinaryMathOp::Maximum> mx;
    BinaryMathFunctor<T, BinaryMathOp::Minimum> mn;
    return mn(mx(v, lo), hi);
  }
};

// PyTorch's lerp: the formula is chosen by |weight| so that both ends are exact.
template <class T>
struct LerpFunctor {
  PE_HOST_DEVICE T operator()(T a, T b, T w) const {
    using M = opmath_t<T>;
    const M x = static_cast<M>(a), y = static_cast<M>(b), t = static_cast<M>(w);
    const M at = t < M(0) ? -t : t;
    return static_cast<T>(at < M(0.5) ? x + t * (y - x) : y - (y - x) * (M(1) - t));
  }
};

// round(x, decimals): PyTorch's formula (scale, round half to even, unscale) in opmath.
template <class T>
struct RoundDecimalsFunctor {
  opmath_t<T> scale;
  bool negative;  // decimals < 0: divide first
  PE_HOST_DEVICE T operator()(T a) const {
    using M = opmath_t<T>;
    const M x = static_cast<M>(a);
    return static_cast<T>(negative ? std::nearbyint(x / scale) * scale : std::nearbyint(x * scale) / scale);
  }
};

template <class T>
struct NanToNumFunctor {
  opmath_t<T> nan, posinf, neginf;
  PE_HOST_DEVICE T operator()(T a) const {
    using M = opmath_t<T>;
    const M x = static_cast<M>(a);
    const M inf = static_cast<M>(INFINITY);
    return x != x ? static_cast<T>(nan) : x == inf ? static_cast<T>(posinf) : x == -inf ? static_cast<T>(neginf) : a;
  }
};

}  // namespace pe
