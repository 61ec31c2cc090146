// dtype tables and PyTorch's promotion lattice.
#include "dtype.h"

#include <atomic>

namespace pe {

int64_t element_size(DType t) {
  switch (t) {
#define PE_SIZE_CASE(ctype, name, pyname, legacy) \
  case DType::name:                               \
    return sizeof(ctype);
    PE_FORALL_DTYPES(PE_SIZE_CASE)
    PE_FORALL_COMPLEX_DTYPES(PE_SIZE_CASE)
#undef PE_SIZE_CASE
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
#define PE_NAME_CASE(ctype, name, pyname, legacy) \
  case DType::name:                               \
    return pyname;
    PE_FORALL_DTYPES(PE_NAME_CASE)
    PE_FORALL_COMPLEX_DTYPES(PE_NAME_CASE)
#undef PE_NAME_CASE
  }
  return "?";
}

const char* legacy_type_name(DType t) {
  switch (t) {
#define PE_LEGACY_CASE(ctype, name, pyname, legacy) \
  case DType::name:                                 \
    return legacy;
    PE_FORALL_DTYPES(PE_LEGACY_CASE)
    PE_FORALL_COMPLEX_DTYPES(PE_LEGACY_CASE)
#undef PE_LEGACY_CASE
  }
  return "?";
}

DType dtype_from_name(const std::string& n) {
#define PE_FROM_NAME(ctype, name, pyname, legacy) \
  if (n == pyname) return DType::name;
  PE_FORALL_DTYPES(PE_FROM_NAME)
  PE_FORALL_COMPLEX_DTYPES(PE_FROM_NAME)
#undef PE_FROM_NAME
  if (n == "cfloat") return DType::Complex64;
  if (n == "cdouble") return DType::Complex128;
  if (n == "float") return DType::Float32;
  if (n == "double") return DType::Float64;
  if (n == "half") return DType::Float16;
  if (n == "int") return DType::Int32;
  if (n == "long") return DType::Int64;
  if (n == "short") return DType::Int16;
  throw TypeError(str("unknown dtype '", n, "'"));
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (is_complex(a) || is_complex(b)) {
    // complex128 with anything, or complex64 with float64, is complex128; otherwise complex64.
    bool wide = a == DType::Complex128 || b == DType::Complex128 || a == DType::Float64 || b == DType::Float64;
    return wide ? DType::Complex128 : DType::Complex64;
  }
  // PyTorch's table (c10/core/ScalarType.cpp), order: b1 u1 i1 i2 i4 i8 f2 bf f4 f8.
  constexpr DType b1 = DType::Bool, u1 = DType::UInt8, i1 = DType::Int8, i2 = DType::Int16,
                  i4 = DType::Int32, i8 = DType::Int64, f2 = DType::Float16,
                  bf = DType::BFloat16, f4 = DType::Float32, f8 = DType::Float64;
  static constexpr DType table[kNumRealDTypes][kNumRealDTypes] = {
      /* b1 */ {b1, u1, i1, i2, i4, i8, f2, bf, f4, f8},
      /* u1 */ {u1, u1, i2, i2, i4, i8, f2, bf, f4, f8},
      /* i1 */ {i1, i2, i1, i2, i4, i8, f2, bf, f4, f8},
      /* i2 */ {i2, i2, i2, i2, i4, i8, f2, bf, f4, f8},
      /* i4 */ {i4, i4, i4, i4, i4, i8, f2, bf, f4, f8},
      /* i8 */ {i8, i8, i8, i8, i8, i8, f2, bf, f4, f8},
      /* f2 */ {f2, f2, f2, f2, f2, f2, f2, f4, f4, f8},
      /* bf */ {bf, bf, bf, bf, bf, bf, f4, bf, f4, f8},
      /* f4 */ {f4, f4, f4, f4, f4, f4, f4, f4, f4, f8},
      /* f8 */ {f8, f8, f8, f8, f8, f8, f8, f8, f8, f8},
  };
  return table[(int)a][(int)b];
}

void check_requires_grad_dtype(DType t) {
  PE_CHECK(!is_complex(t), "pyengine does not differentiate complex tensors yet: a ", dtype_name(t),
           " tensor cannot require gradients (real functions of real tensors computed through complex values, such "
           "as torch.fft.irfft of a real tensor, are differentiable)");
  PE_CHECK(is_floating(t), "only Tensors of floating point and complex dtype can require gradients");
}

namespace {
std::atomic<DType> g_default_dtype{DType::Float32};
}
DType default_dtype() { return g_default_dtype.load(std::memory_order_relaxed); }
void set_default_dtype(DType t) {
  PE_CHECK_TYPE(t == DType::Float32 || t == DType::Float64 || t == DType::Float16 ||
                    t == DType::BFloat16,
                "only floating-point types are supported as the default type, got ", dtype_name(t));
  g_default_dtype.store(t);
}


// PyTorch's ScalarType names ("Float", "Long"), used in its error messages.
const char* scalar_type_name(DType t) {
  switch (t) {
    case DType::Bool: return "Bool";
    case DType::UInt8: return "Byte";
    case DType::Int8: return "Char";
    case DType::Int16: return "Short";
    case DType::Int32: return "Int";
    case DType::Int64: return "Long";
    case DType::Float16: return "Half";
    case DType::BFloat16: return "BFloat16";
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
    case DType::Complex64: return "ComplexFloat";
    case DType::Complex128: return "ComplexDouble";
  }
  return "?";
}

// The C++ type names PyTorch prints in "Expected out tensor to have dtype float, ...".
const char* cpp_type_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "unsigned char";
    case DType::Int8: return "signed char";
    case DType::Int16: return "short int";
    case DType::Int32: return "int";
    case DType::Int64: return "long int";
    case DType::Float16: return "c10::Half";
    case DType::BFloat16: return "c10::BFloat16";
    case DType::Float32: return "float";
    case DType::Float64: return "double";
    case DType::Complex64: return "c10::complex<float>";
    case DType::Complex128: return "c10::complex<double>";
  }
  return "?";
}

// torch.can_cast: no float -> integral, no non-bool -> bool.
bool can_cast(DType from, DType to) {
  if (is_complex(from) && !is_complex(to)) return false;
  if (is_floating(from) && !is_floating(to) && !is_complex(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

}  // namespace pe
