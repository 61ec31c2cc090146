// Helpers shared by the linear algebra op files: the dtype gates of the matrix products and factorizations.
#pragma once
#include "core/tensor.h"
#include "ops/select.h"

namespace pe::linalg {

using ::pe::cpp_type_name;     // core/dtype.h
using ::pe::scalar_type_name;  // core/dtype.h

// NotImplementedError "\"name\" not implemented for 'Bool'" for bool matrix products.
void check_not_bool(DType t, const char* name);

// Float32/Float64 only, PyTorch's messages for the factorizations ("linalg.inv: Expected a floating
// point or complex tensor as input. Got Long", "... Low precision dtypes not supported. Got Half").
void check_factor_dtype(const Tensor& t, const char* fn);
// "fn: The input tensor A must have at least 2 dimensions." and square matrices.
void check_square(const Tensor& t, const char* fn, const char* arg = "A");

using ::pe::check_same_device;  // ops/select.h: the one same-device check of the op layer
// bmm's shape checks: 3-D operands, b's (batch, rows) equal to (a's batch, a's cols).
void check_bmm(const Tensor& a, const Tensor& b);
bool is_zero(const Scalar& s);

// out = beta * out + alpha * a @ b on 3-D tensors of one dtype (any numeric dtype but bool): the one
// entry to the bmm kernel (float16/bfloat16 computed in float32; outputs the GEMM cannot write
// directly go through a copy). beta == 0 never reads out.
void bmm_out(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta);

// A view of t as (B, rows, cols) without copying when its batch dims collapse, else a contiguous
// copy (batch dims may be expanded: stride 0 batches are kept as views).
Tensor as_batched3(const Tensor& t);

}  // namespace pe::linalg
