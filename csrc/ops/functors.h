// Scalar functors of the elementwise ops, shared by the CPU loops and the CUDA kernels
// (PE_HOST_DEVICE). One struct per op; the op layer picks the compute dtype, the functor computes.
#pragma once
#include <cmath>
#include <type_traits>

#include "core/cast.h"
#include "core/macros.h"

namespace pe {

// Arithmetic on 16-bit floats is done in float.
template <class T>
using opmath_t = std::conditional_t<is_reduced_float_v<T>, float, T>;

template <class T>
struct AddFunctor {
  opmath_t<T> alpha;
  PE_HOST_DEVICE T operator()(T a, T b) const {
    return T(static_cast<opmath_t<T>>(a) + alpha * static_cast<opmath_t<T>>(b));
  }
};
template <>
struct AddFunctor<bool> {
  bool alpha;
  PE_HOST_DEVICE bool operator()(bool a, bool b) const { return a || (alpha && b); }
};

template <class T>
struct MulFunctor {
  PE_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return T(static_cast<opmath_t<T>>(a) * static_cast<opmath_t<T>>(b));
  }
};

// True division; the op layer only uses it on floating dtypes.
template <class T>
struct DivFunctor {
  PE_HOST_DEVICE T operator()(T a, T b) const {
    return T(static_cast<opmath_t<T>>(a) / static_cast<opmath_t<T>>(b));
  }
};

template <class T>
struct NegFunctor {
  PE_HOST_DEVICE T operator()(T a) const { return T(-static_cast<opmath_t<T>>(a)); }
};

template <class T>
struct AbsFunctor {
  PE_HOST_DEVICE T operator()(T a) const {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return a;
    else {
      auto v = static_cast<opmath_t<T>>(a);
      if constexpr (std::is_floating_point_v<opmath_t<T>>) return T(std::fabs(v));
      else return T(v < 0 ? -v : v);
    }
  }
};

}  // namespace pe
