// The twelve dtypes, listed once (PE_FORALL_DTYPES: the ten real ones every kernel family dispatches
// on; PE_FORALL_COMPLEX_DTYPES: complex64/complex128, see Note [Complex dtypes]), and PyTorch's
// type-promotion rules.
#pragma once
#include <complex>
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

// Note [Complex dtypes]
// complex64/complex128 are stored as std::complex<float/double> (two adjacent reals, the layout of
// numpy, PyTorch and CUDA's cuComplex). They are appended after the real dtypes so every table indexed
// by a real dtype keeps its rows. Kernel families opt in to complex with PE_DISPATCH_*_AND_COMPLEX;
// the plain dispatch macros raise NotImplementedError "... not implemented for 'complex64'" for them,
// as PyTorch does for its ops without complex kernels, so an op never treats a complex tensor as a
// real or integer one. Complex tensors do not require grad (yet): ops produce them without a grad_fn
// and requires_grad_() on one raises, so no backward formula written for real numbers (which would
// need conjugates for complex) can run on them. Real-valued functions of real inputs computed through
// complex intermediates (irfft/hfft of a real tensor, abs of view_as_complex, ...) are differentiable.
#define PE_FORALL_COMPLEX_DTYPES(_)                                   \
  _(std::complex<float>, Complex64, "complex64", "ComplexFloatTensor") \
  _(std::complex<double>, Complex128, "complex128", "ComplexDoubleTensor")

enum class DType : int8_t {
#define PE_DEFINE_ENUM(ctype, name, pyname, legacy) name,
  PE_FORALL_DTYPES(PE_DEFINE_ENUM)
  PE_FORALL_COMPLEX_DTYPES(PE_DEFINE_ENUM)
#undef PE_DEFINE_ENUM
};
constexpr int kNumRealDTypes = 10;
constexpr int kNumDTypes = 12;

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
inline bool is_complex(DType t) { return t == DType::Complex64 || t == DType::Complex128; }
inline bool is_integral(DType t, bool include_bool) {
  return (t != DType::Bool || include_bool) && !is_floating(t) && !is_complex(t);
}
// complex64 -> float32, complex128 -> float64 (the dtype of .real/.abs()); a real dtype is its own.
inline DType to_real_dtype(DType t) {
  return t == DType::Complex64 ? DType::Float32 : (t == DType::Complex128 ? DType::Float64 : t);
}
// float64 -> complex128, any other floating dtype -> complex64 (PyTorch's toComplexType); complex stays.
inline DType to_complex_dtype(DType t) {
  return is_complex(t) ? t : (t == DType::Float64 ? DType::Complex128 : DType::Complex64);
}

// RuntimeError unless a tensor of dtype t may require grad: floating dtypes only (PyTorch's message for
// integers; complex tensors are refused until complex autograd exists, Note [Complex dtypes]).
void check_requires_grad_dtype(DType t);

// Promotion of two dtypes (torch.promote_types).
DType promote_types(DType a, DType b);

// Category used for "wrapped number" promotion: bool < integer < floating < complex.
enum class DTypeCategory : int8_t { Bool = 0, Integral = 1, Floating = 2, Complex = 3 };
inline DTypeCategory category(DType t) {
  return t == DType::Bool ? DTypeCategory::Bool
                          : (is_complex(t) ? DTypeCategory::Complex
                                           : (is_floating(t) ? DTypeCategory::Floating : DTypeCategory::Integral));
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
PE_FORALL_COMPLEX_DTYPES(PE_DEFINE_CPP_TO_DTYPE)
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
      default: break;                                                                \
    }                                                                                \
    throw ::pe::NotImplementedError(::pe::str("\"", NAME, "\" not implemented for '", ::pe::dtype_name(DT), "'")); \
  }()

// Every dtype, complex included: for kernels written for both (copies, fills, complex arithmetic).
#define PE_DISPATCH_ALL_TYPES_AND_COMPLEX(DT, NAME, ...)                             \
  [&] {                                                                              \
    switch (DT) {                                                                    \
      PE_PRIVATE_CASE(Complex64, std::complex<float>, __VA_ARGS__)                   \
      PE_PRIVATE_CASE(Complex128, std::complex<double>, __VA_ARGS__)                 \
      default:                                                                       \
        return PE_DISPATCH_ALL_TYPES(DT, NAME, __VA_ARGS__);                         \
    }                                                                                \
  }()

#define PE_DISPATCH_COMPLEX_TYPES(DT, NAME, ...)                                     \
  [&] {                                                                              \
    switch (DT) {                                                                    \
      PE_PRIVATE_CASE(Complex64, std::complex<float>, __VA_ARGS__)                   \
      PE_PRIVATE_CASE(Complex128, std::complex<double>, __VA_ARGS__)                 \
      default: break;                                                                \
    }                                                                                \
    throw ::pe::NotImplementedError(::pe::str("\"", NAME, "\" not implemented for '", ::pe::dtype_name(DT), "'")); \
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
