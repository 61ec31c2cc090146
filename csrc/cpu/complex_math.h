// CPU kernels of the elementwise families on complex64/complex128 (Note [Complex dtypes]). The
// family kernels (binary_math, add_alpha, unary_float, unary_misc, predicate, compare) hand a
// complex TensorIter to these; an op with no complex meaning raises NotImplementedError naming the
// dtype, as PyTorch's dispatch does.
#pragma once
#include "core/scalar.h"
#include "core/tensor_iter.h"
#include "ops/elementwise_stubs.h"

namespace pe::cpu {

void complex_binary_math(const TensorIter& iter, BinaryMathOp op);    // add, sub, mul, div, pow
void complex_add_alpha(const TensorIter& iter, const Scalar& alpha);   // a + alpha * b
void complex_unary_float(const TensorIter& iter, UnaryFloatOp op);     // sqrt, exp, log, trig, ...
void complex_unary_misc(const TensorIter& iter, UnaryMiscOp op);       // neg
void complex_predicate(const TensorIter& iter, PredicateOp op);        // isnan, isinf, isfinite, logical_not
void complex_to_real(const TensorIter& iter, ComplexToRealOp op);    // abs, angle: (real out, complex in)
void complex_where(const TensorIter& iter);                           // (C out, bool cond, C a, C b)
bool complex_equal(const TensorIter& iter);                           // torch.equal over (a, b)
void complex_isclose(const TensorIter& iter, double rtol, double atol, bool equal_nan);  // (bool, C, C)
void complex_compare(const TensorIter& iter, CompareOp op);            // eq, ne

}  // namespace pe::cpu
