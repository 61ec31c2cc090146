// A Python number on the C++ side: bool, integer, floating or complex, as PyTorch's "wrapped numbers".
#pragma once
#include <complex>
#include <cstdint>

#include "dtype.h"

namespace pe {

class Scalar {
 public:
  enum class Kind : int8_t { Bool, Int, Float, Complex };
  Scalar() : kind_(Kind::Int), i_(0) {}
  Scalar(bool v) : kind_(Kind::Bool), i_(v) {}
  Scalar(int v) : kind_(Kind::Int), i_(v) {}
  Scalar(int64_t v) : kind_(Kind::Int), i_(v) {}
  Scalar(double v) : kind_(Kind::Float), d_(v) {}
  Scalar(std::complex<double> v) : kind_(Kind::Complex), d_(v.real()), im_(v.imag()) {}

  Kind kind() const { return kind_; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_integral() const { return kind_ == Kind::Int; }
  // is_floating() is true for complex numbers too (both hold doubles); is_complex() tells them apart.
  bool is_floating() const { return kind_ == Kind::Float || kind_ == Kind::Complex; }
  bool is_complex() const { return kind_ == Kind::Complex; }
  // A complex number converts to a real type by its real part (the caller refuses where PyTorch does).
  double to_double() const { return is_floating() ? d_ : (double)i_; }
  int64_t to_int64() const { return is_floating() ? (int64_t)d_ : i_; }
  bool to_bool() const { return is_floating() ? (d_ != 0 || (kind_ == Kind::Complex && im_ != 0)) : i_ != 0; }
  std::complex<double> to_complex() const {
    return kind_ == Kind::Complex ? std::complex<double>(d_, im_) : std::complex<double>(to_double(), 0.0);
  }
  // The dtype this number has on its own: bool, int64, the default float or its complex type.
  DType natural_dtype() const {
    if (kind_ == Kind::Complex) return to_complex_dtype(default_dtype());
    return kind_ == Kind::Bool ? DType::Bool : (kind_ == Kind::Int ? DType::Int64 : default_dtype());
  }
  template <class T>
  T to() const {
    if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>) {
      using R = typename T::value_type;
      return T(static_cast<R>(to_complex().real()), static_cast<R>(to_complex().imag()));
    } else {
      if (is_floating()) return static_cast<T>(static_cast<float_cast_t<T>>(d_));
      return static_cast<T>(static_cast<int_cast_t<T>>(i_));
    }
  }

 private:
  // Half/BFloat16 are built from float; everything else casts directly.
  template <class T>
  using float_cast_t = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, double>;
  template <class T>
  using int_cast_t = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, int64_t>;
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
  double im_ = 0.0;  // the imaginary part of a complex number
};

}  // namespace pe
