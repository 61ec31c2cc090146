// The ten dtypes, listed once (PE_FORALL_DTYPES), and PyTorch's type-promotion rules.
#pragma once
#include <cstdint>
#include <string>

#include "error.h"
#include "half.h"

namespace pe {

// _(C++ type, enum name, python name, legacy tensor type name)
#define PE_FORALL_DTYPES(_)                         \
  _(bool, Bool, "bool", "BoolTensor")               \
  _(uint8_t, UInt8, "uint8", "ByteTensor")          \
  _(int8_t, Int8, "int8", "CharTensor")             \
  _(int16_t, Int16, "int16", "ShortTensor")         \
  _(int32_t, Int32, "int32", "IntTensor")           \
  _(int64_t, Int64, "int64", "LongTensor")          \
  _(::pe::Half, Float16, "float16", "HalfTensor")   \
  _(::pe::BFloat16, BFloat16, "bfloat16", "BFloat16Tensor") \
  _(float, Float32, "float32", "FloatTensor")       \
  _(double, Float64, "float64", "DoubleTensor")

enum class DType : int8_t {
#define PE_DEFINE_ENUM(ctype, name, pyname, legacy) name,
  PE_FORALL_DTYPES(PE_DEFINE_ENUM)
#undef PE_DEFINE_ENUM
};
constexpr int kNumDTypes = 10;

int64_t element_size(DType t);
const char* dtype_name(DType t);         // "float32"
const char* legacy_type_name(DType t);   // "FloatTensor"
const char* scalar_type_name(DType t);   // "Float": PyTorch's ScalarType names in error messages
const char* cpp_type_name(DType t);      // "float", "long int": the C++ names PyTorch prints elsewhere
bool can_cast(DType from, DType to);     // torch.can_cast
DType dtype_from_name(const std::string& name);  // accepts "float32", "float", "long", ... ; throws TypeError

inline bool is_floating(DType t) {
  return t == DType::Float16 || t == DType::BFloat16 || t == DType::Float32 || t == DType::Float64;
}
inline bool is_integral(DType t, bool include_bool) {
  return (t != DType::Bool || include_bool) && !is_floating(t);
}

// Promotion of two dtypes (torch.promote_types).
DType promote_types(DType a, DType b);

// Category used for "wrapped number" promotion: bool < integer < floating.
enum class DTypeCategory : int8_t { Bool = 0, Integral = 1, Floating = 2 };
inline DTypeCategory category(DType t) {
  return t == DType::Bool ? DTypeCategory::Bool
                          : (is_floating(t) ? DTypeCategory::Floating : DTypeCategory::Integral);
}

// The default floating dtype (set_default_dtype); float32 unless changed.
DType default_dtype();
void set_default_dtype(DType t);

template <class T>
struct CppTypeToDType;
#define PE_DEFINE_CPP_TO_DTYPE(ctype, name, pyname, legacy) \
  template <>                                               \
  struct CppTypeToDType<ctype> {                            \
    static constexpr DType value = DType::name;             \
  };
PE_FORALL_DTYPES(PE_DEFINE_CPP_TO_DTYPE)
#undef PE_DEFINE_CPP_TO_DTYPE

}  // namespace pe

// Dispatch on a runtime dtype: the lambda body sees `scalar_t`.
#define PE_PRIVATE_CASE(enum_name, ctype, ...) \
  case ::pe::DType::enum_name: {               \
    using scalar_t = ctype;                    \
    return __VA_ARGS__();                      \
  }

#define PE_DISPATCH_ALL_TYPES(DT, NAME, ...)                                         \
  [&] {                                                                              \
    switch (DT) {                                                                    \
      PE_PRIVATE_CASE(Bool, bool, __VA_ARGS__)                                       \
      PE_PRIVATE_CASE(UInt8, uint8_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Int8, int8_t, __VA_ARGS__)                                     \
      PE_PRIVATE_CASE(Int16, int16_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Int32, int32_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Int64, int64_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Float16, ::pe::Half, __VA_ARGS__)                              \
      PE_PRIVATE_CASE(BFloat16, ::pe::BFloat16, __VA_ARGS__)                         \
      PE_PRIVATE_CASE(Float32, float, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Float64, double, __VA_ARGS__)                                  \
    }                                                                                \
    throw ::pe::Error(::pe::str(NAME, ": unsupported dtype"));                       \
  }()

// Arithmetic dtypes: everything except bool.
#define PE_DISPATCH_NUMERIC_TYPES(DT, NAME, ...)                                     \
  [&] {                                                                              \
    switch (DT) {                                                                    \
      PE_PRIVATE_CASE(UInt8, uint8_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Int8, int8_t, __VA_ARGS__)                                     \
      PE_PRIVATE_CASE(Int16, int16_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Int32, int32_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Int64, int64_t, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Float16, ::pe::Half, __VA_ARGS__)                              \
      PE_PRIVATE_CASE(BFloat16, ::pe::BFloat16, __VA_ARGS__)                         \
      PE_PRIVATE_CASE(Float32, float, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Float64, double, __VA_ARGS__)                                  \
      default: break;                                                                \
    }                                                                                \
    throw ::pe::NotImplementedError(::pe::str("\"", NAME, "\" not implemented for '", ::pe::dtype_name(DT), "'")); \
  }()

#define PE_DISPATCH_FLOATING_TYPES(DT, NAME, ...)                                    \
  [&] {                                                                              \
    switch (DT) {                                                                    \
      PE_PRIVATE_CASE(Float16, ::pe::Half, __VA_ARGS__)                              \
      PE_PRIVATE_CASE(BFloat16, ::pe::BFloat16, __VA_ARGS__)                         \
      PE_PRIVATE_CASE(Float32, float, __VA_ARGS__)                                   \
      PE_PRIVATE_CASE(Float64, double, __VA_ARGS__)                                  \
      default: break;                                                                \
    }                                                                                \
    throw ::pe::NotImplementedError(::pe::str("\"", NAME, "\" not implemented for '", ::pe::dtype_name(DT), "'")); \
  }()
