// Small helpers shared by the nn op files (ops/nn_*.cpp): dtype checks and the "contiguous in the
// compute dtype" conversion every nn kernel expects (see the contract in ops/nn_stubs.h).
#pragma once
#include <string>

#include "core/tensor.h"

namespace pe::nn {

// PyTorch's ScalarType name of a dtype ("Long", "Float", "Byte"), as its error messages print it.
std::string type_name(DType t);
// NotImplementedError "\"op\" not implemented for 'Long'" unless t is float32 or float64 (the
// dtypes the nn kernels are instantiated for).
void check_float(const Tensor& t, const char* op);
// t converted to dt and made contiguous (t itself when it already is); undefined stays undefined.
Tensor dense(const Tensor& t, DType dt);
// PyTorch's "Expected all tensors to be on the same device" error; b may be undefined.
void check_same_device(const Tensor& a, const Tensor& b, const char* what);

}  // namespace pe::nn
