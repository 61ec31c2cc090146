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
#undef PE_LEGACY_CASE
  }
  return "?";
}

DType dtype_from_name(const std::string& n) {
#define PE_FROM_NAME(ctype, name, pyname, legacy) \
  if (n == pyname) return DType::name;
  PE_FORALL_DTYPES(PE_FROM_NAME)
#undef PE_FROM_NAME
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
  // PyTorch's table (c10/core/ScalarType.cpp), order: b1 u1 i1 i2 i4 i8 f2 bf f4 f8.
  constexpr DType b1 = DType::Bool, u1 = DType::UInt8, i1 = DType::Int8, i2 = DType::Int16,
                  i4 = DType::Int32, i8 = DType::Int64, f2 = DType::Float16,
                  bf = DType::BFloat16, f4 = DType::Float32, f8 = DType::Float64;
  static constexpr DType table[kNumDTypes][kNumDTypes] = {
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

}  // namespace pe
