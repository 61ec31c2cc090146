// Shared by the factorization kernels, which exist for float32 and float64 only (the op layer
// rejects other dtypes with PyTorch's messages first).
#pragma once
#include "core/dtype.h"
#include "core/error.h"

namespace pe::cpu {

// f(T{}) with T = float or double; a generic lambda, so only those two bodies are compiled.
template <class F>
void dispatch_real(DType dt, const char* name, const F& f) {
  if (dt == DType::Float32) return f(float{});
  if (dt == DType::Float64) return f(double{});
  throw NotImplementedError(str("\"", name, "\" not implemented for '", dtype_name(dt), "'"));
}

}  // namespace pe::cpu
