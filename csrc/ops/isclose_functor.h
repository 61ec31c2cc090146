// isclose for one pair of elements, shared by the CPU kernel (cpu/select_kernel_mask.cpp) and the CUDA one
// (cuda/compare_more.cu). PyTorch computes isclose as a sequence of ops, each rounded to the tensor's dtype:
//   close = a == b || (equal_nan && isnan(a) && isnan(b)) ||
//           (isfinite(|a - b|) && |a - b| <= atol + |rtol * b|)
// Integer (and bool) inputs compute the error terms in double, without wrap-around.
#pragma once
#include <cmath>
#include <type_traits>

#include "ops/elementwise_functors.h"

namespace pe {

template <class T>
struct IsCloseFunctor {
  double rtol, atol;
  bool equal_nan;
  PE_HOST_DEVICE bool operator()(T a_, T b_) const {
    if constexpr (std::is_integral_v<T>) {
      double a = (double)a_, b = (double)b_;
      if (a == b) return true;
      if (rtol == 0 && atol == 0) return false;
      return std::fabs(a - b) <= atol + std::fabs(rtol * b);
    } else {
      using V = opmath_t<T>;
      V a = static_cast<V>(a_), b = static_cast<V>(b_);
      if (a == b) return true;
      if (equal_nan && std::isnan(a) && std::isnan(b)) return true;
      if (rtol == 0 && atol == 0) return false;
      V actual = round_to(std::fabs(round_to(a - b)));
      V allowed = round_to(static_cast<V>(atol) + round_to(std::fabs(round_to(static_cast<V>(rtol) * b))));
      return std::isfinite(actual) && actual <= allowed;
    }
  }
  // One op's result rounded to T, as each of PyTorch's steps is.
  static PE_HOST_DEVICE opmath_t<T> round_to(opmath_t<T> v) { return static_cast<opmath_t<T>>(static_cast<T>(v)); }
};

// torch.equal's element test: the values agree (NaN never does).
template <class T>
struct EqualValuesFunctor {
  PE_HOST_DEVICE bool operator()(T a, T b) const { return a == b; }
};

}  // namespace pe
