// A Python number on the C++ side: bool, integer or floating, as PyTorch's "wrapped numbers".
#pragma once
#include <cstdint>

#include "dtype.h"

namespace pe {

class Scalar {
 public:
  enum class Kind : int8_t { Bool, Int, Float };
  Scalar() : kind_(Kind::Int), i_(0) {}
  Scalar(bool v) : kind_(Kind::Bool), i_(v) {}
  Scalar(int v) : kind_(Kind::Int), i_(v) {}
  Scalar(int64_t v) : kind_(Kind::Int), i_(v) {}
  Scalar(double v) : kind_(Kind::Float), d_(v) {}

  Kind kind() const { return kind_; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_integral() const { return kind_ == Kind::Int; }
  bool is_floating() const { return kind_ == Kind::Float; }
  double to_double() const { return kind_ == Kind::Float ? d_ : (double)i_; }
  int64_t to_int64() const { return kind_ == Kind::Float ? (int64_t)d_ : i_; }
  bool to_bool() const { return kind_ == Kind::Float ? d_ != 0 : i_ != 0; }
  // The dtype this number has on its own: bool, int64 or the default float.
  DType natural_dtype() const {
    return kind_ == Kind::Bool ? DType::Bool : (kind_ == Kind::Int ? DType::Int64 : default_dtype());
  }
  template <class T>
  T to() const {
    if (kind_ == Kind::Float) return static_cast<T>(static_cast<float_cast_t<T>>(d_));
    return static_cast<T>(static_cast<int_cast_t<T>>(i_));
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
};

}  // namespace pe
