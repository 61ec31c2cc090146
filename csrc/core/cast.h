// Value conversion between dtypes, shared by the CPU loops and the CUDA kernels. 16-bit floats go
// through float; floating -> small integers go through int64 so out-of-range values wrap the way
// PyTorch's do on x86 instead of being undefined.
#pragma once
#include <complex>
#include <cstdint>
#include <type_traits>

#include "half.h"
#include "macros.h"

namespace pe {

template <class T>
constexpr bool is_reduced_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

template <class T>
struct is_complex_t : std::false_type {};
template <class T>
struct is_complex_t<std::complex<T>> : std::true_type {};
template <class T>
constexpr bool is_complex_v = is_complex_t<T>::value;

// Complex -> real keeps the real part (PyTorch warns "Casting complex values to real discards the
// imaginary part"; the Python layer does too); real -> complex has a zero imaginary part.
template <class To, class From>
PE_HOST_DEVICE inline To cast_value(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_complex_v<To> && is_complex_v<From>) {
    return To(static_cast<typename To::value_type>(v.real()), static_cast<typename To::value_type>(v.imag()));
  } else if constexpr (is_complex_v<From>) {
    if constexpr (std::is_same_v<To, bool>) {
      return v.real() != 0 || v.imag() != 0;
    } else {
      return cast_value<To>(v.real());
    }
  } else if constexpr (is_complex_v<To>) {
    return To(cast_value<typename To::value_type>(v), typename To::value_type(0));
  } else if constexpr (is_reduced_float_v<From>) {
    return cast_value<To>(static_cast<float>(v));
  } else if constexpr (is_reduced_float_v<To>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From> && sizeof(To) < 8) {
    return static_cast<To>(static_cast<int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace pe
