// The host entry points of the CUDA kernels, with the signatures of the stubs in ops/stubs.h and
// ops/elementwise_stubs.h.
// register.cpp installs them; nothing else should call them directly (go through the stubs).
#pragma once
#include <cstdint>
#include <optional>

#include "core/tensor.h"
#include "core/tensor_iter.h"
#include "ops/elementwise_stubs.h"
#include "ops/reduce_stubs.h"
#include "ops/select_stubs.h"
#include "ops/special_stubs.h"
#include "ops/stubs.h"

namespace pe::cuda {

void copy_kernel(const Tensor& dst, const Tensor& src);  // copy.cu
void fill_kernel(const Tensor& dst, const Scalar& value);  // fill.cu
void uniform_kernel(const Tensor& dst, double from, double to, uint64_t seed, uint64_t first_block);  // random.cu
void normal_kernel(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t first_block);  // random.cu
void arange_kernel(const Tensor& dst, const Scalar& start, const Scalar& step);  // arange.cu

void index_kernel(const TensorIter& iter);                                      // index.cu
void index_put_kernel(const TensorIter& iter, bool accumulate);                 // index.cu
std::optional<int64_t> index_bounds_kernel(const Tensor& index, int64_t size, bool allow_negative);  // index.cu
void index_offsets_kernel(const TensorIter& iter, int64_t size, int64_t stride);  // index.cu
void randperm_kernel(const Tensor& perm, const Tensor& keys);                    // sort.cu

// Indexing, masks, shape copies and random masks (ops/select_stubs.h, ops/linalg_stubs.h, ops/nn_stubs.h).
void scatter_gather_kernel(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, ScatterOp op,
                           const Scalar& scalar, bool wrap);                    // gather_scatter.cu
void mean_div_kernel(const TensorIter& iter);                                   // gather_scatter.cu
void masked_fill_kernel(const TensorIter& iter, const Tensor& value);           // mask.cu
int64_t count_true_kernel(const Tensor& mask);                                  // mask.cu
void isclose_kernel(const TensorIter& iter, double rtol, double atol, bool equal_nan);  // compare_more.cu
bool equal_kernel(const Tensor& a, const Tensor& b);                              // compare_more.cu
void trace_kernel(const Tensor& out, const Tensor& diag);                         // compare_more.cu
void cross_kernel(const Tensor& out, const Tensor& a, const Tensor& b, int64_t dim);  // compare_more.cu
void masked_select_kernel(const Tensor& out, const Tensor& self, const Tensor& mask);  // mask.cu
Tensor nonzero_kernel(const Tensor& t);                                          // mask.cu
void tri_kernel(const Tensor& out, const Tensor& in, int64_t diagonal, bool upper);  // tri.cu
void dropout_kernel(const Tensor& out, const Tensor& mask, const Tensor& input, double p, double scale,
                    uint64_t seed, uint64_t first_block);                       // random_mask.cu
void bernoulli_kernel(const Tensor& dst, double p, const Tensor& probs, uint64_t seed, uint64_t first_block);  // random_mask.cu

// The elementwise op library (ops/elementwise_stubs.h), through cuda/elementwise.cuh.
void unary_float_kernel(const TensorIter& iter, UnaryFloatOp op);                      // unary_float.cu
void round_decimals_kernel(const TensorIter& iter, int64_t decimals);                  // unary_float.cu
void special_unary_kernel(const TensorIter& iter, SpecialUnaryOp op, int64_t n);        // special.cu
void special_binary_kernel(const TensorIter& iter, SpecialBinaryOp op);                 // special.cu
void frexp_kernel(const TensorIter& iter, bool exponent);                                // special.cu
void nan_to_num_kernel(const TensorIter& iter, double nan, double posinf, double neginf);  // unary_float.cu
void unary_misc_kernel(const TensorIter& iter, UnaryMiscOp op);                        // unary_misc.cu
void predicate_kernel(const TensorIter& iter, PredicateOp op);                         // unary_misc.cu
void binary_math_kernel(const TensorIter& iter, BinaryMathOp op);                      // binary_math.cu
void add_alpha_kernel(const TensorIter& iter, const Scalar& alpha);                     // binary_math.cu
void compare_kernel(const TensorIter& iter, CompareOp op);                             // compare.cu
void ternary_kernel(const TensorIter& iter, TernaryOp op);                             // ternary.cu

// Reductions (ops/reduce_stubs.h), through cuda/reduce.cuh.
void sum_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op);     // reduce.cu
void minmax_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op);  // reduce.cu
void logical_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op); // reduce.cu
void arg_reduce_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& values, const Tensor& indices,
                       bool is_max);                                                  // reduce_arg.cu
void var_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, const Tensor& mean, double correction,
                bool take_sqrt);                                                      // reduce_stats.cu
void norm_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, double p);    // reduce_stats.cu
void logsumexp_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out);        // reduce_stats.cu
void scan_kernel(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner, bool is_prod);  // scan.cu
void sort_reduce_kernel(const Tensor& in, const Tensor& values, const Tensor& indices, bool is_mode);  // sort_reduce.cu
void sort_kernel(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool descending,
                 int64_t k, SortMode mode);                                          // sort.cu

}  // namespace pe::cuda
