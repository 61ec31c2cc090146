// Kernel tables of the reductions (sum/mean/prod/amax/amin/all/any/count_nonzero, the arg-reductions,
// var/std, norms, logsumexp), the scans (cumsum/cumprod) and the sorting reductions (median/mode).
// The op layer (ops/reduce*.cpp) checks, promotes and allocates; kernels get a ReduceGeom
// (core/reduce_iter.h) whose kind is Inner or Outer, and contiguous outputs.
#pragma once
#include "core/dispatch.h"
#include "core/reduce_iter.h"
#include "core/tensor.h"

namespace pe {

// Reductions whose output dtype follows from the input dtype:
//   Sum/Mean/Prod: the input dtype for floats, int64 for integers and bool (Mean: floats only);
//   Amax/Amin: the input dtype; All/Any: bool (uint8 for a uint8 input); CountNonzero: int64.
enum class ReduceOp : int8_t { Sum, Mean, Prod, Amax, Amin, All, Any, CountNonzero };
using ReduceFn = void (*)(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op);
extern DispatchStub<ReduceFn> sum_stub;     // Sum, Mean, Prod
extern DispatchStub<ReduceFn> minmax_stub;  // Amax, Amin
extern DispatchStub<ReduceFn> logical_stub; // All, Any, CountNonzero

// max/min with a dim and argmax/argmin: values (input dtype, may be undefined) and int64 indices.
using ArgReduceFn = void (*)(const ReduceGeom& g, const Tensor& in, const Tensor& values, const Tensor& indices,
                             bool is_max);
extern DispatchStub<ArgReduceFn> arg_reduce_stub;

// var (or std when take_sqrt) with a correction, and optionally the mean; floating input, outputs
// of the input dtype.
using VarFn = void (*)(const ReduceGeom& g, const Tensor& in, const Tensor& out, const Tensor& mean,
                       double correction, bool take_sqrt);
extern DispatchStub<VarFn> var_stub;

// The vector p-norm (p may be 0, +-inf or any real) of a floating input, output of its dtype.
using NormFn = void (*)(const ReduceGeom& g, const Tensor& in, const Tensor& out, double p);
extern DispatchStub<NormFn> norm_stub;

// log(sum(exp(x))) with the running maximum factored out (floating input, output of its dtype).
using LogsumexpFn = void (*)(const ReduceGeom& g, const Tensor& in, const Tensor& out);
extern DispatchStub<LogsumexpFn> logsumexp_stub;

// Inclusive scan of a contiguous tensor seen as (outer, n, inner) along n; in and out have one
// dtype and shape.
using ScanFn = void (*)(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner, bool is_prod);
extern DispatchStub<ScanFn> scan_stub;

// Per row of a contiguous (rows, n) input, n > 0: the lower median (is_mode false) or the smallest
// most frequent value (is_mode true), with its index; values/indices are contiguous (rows).
using SortReduceFn = void (*)(const Tensor& in, const Tensor& values, const Tensor& indices, bool is_mode);
extern DispatchStub<SortReduceFn> sort_reduce_stub;

}  // namespace pe
