// Kernel tables of the selection ops (ops/select.h). The op layer checks shapes, dtypes and index
// bounds before it calls a kernel; the CPU kernels live in csrc/cpu/select_kernel_*.cpp.
#pragma once
#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {
class TensorIter;

// How sort_stub orders a row (Note [PyTorch's tie order]). Stable: ties in index order.
// Unstable: sort(stable=False). TopK / TopKUnsorted: the first k of topk (sorted or not). Kth: only
// the k-th (1-based) element, into values/indices of size 1 along dim.
enum class SortMode : int8_t { Stable, Unstable, TopK, TopKUnsorted, Kth };

// Note [PyTorch's tie order]
// Which of several equal values comes first is unspecified for sort(stable=False), topk and
// kthvalue, but programs (and op_db) compare indices with PyTorch's. Its CPU kernels run
// std::sort (sort), std::partial_sort or std::nth_element + std::sort (topk) and a median-of-three
// quickselect (kthvalue) on (value, index) pairs compared by value only; the CPU kernel runs the
// same algorithms on the same input order, so the indices agree with PyTorch's, tie for tie.
// Devices other than the CPU may break ties differently (CUDA keeps index order).
// Sorts every row of `self` along `dim` (NaN largest). Writes the first `k` of each sorted row
// into values/indices (which have size k along dim).
using SortFn = void (*)(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
                        bool descending, int64_t k, SortMode mode);
extern DispatchStub<SortFn> sort_stub;

// Note [Scatter/gather geometry]
// Every kernel of this family walks the positions p of `index` (int64, in bounds: the op layer
// checked). With i = index[p] (plus size(dim) when negative and wrap_negative), and x_p the element
// of `x` at p with p[dim] replaced by i:
//   Gather:   y[p] = x_p                 Assign: x_p = y[p]          Fill:  x_p = scalar
//   Add:      x_p += scalar * y[p]       Multiply: x_p *= y[p]
//   Max/Min:  x_p = max/min(x_p, y[p]), NaN propagating (scatter_reduce amax/amin)
// x and y have the dimensionality of index and any strides; y is read/written only at positions of
// index. Along `dim` a row is handled by one thread, so repeated indices accumulate correctly.
enum class ScatterOp : int8_t { Gather, Assign, Fill, Add, Multiply, Max, Min };
using ScatterGatherFn = void (*)(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim,
                                 ScatterOp op, const Scalar& scalar, bool wrap_negative);
extern DispatchStub<ScatterGatherFn> scatter_gather_stub;

// scatter_reduce(mean): over TensorIter({self}, {self, count int64}), self /= max(count, 1), rounding
// down for integer dtypes (PyTorch's floor division).
using MeanDivFn = void (*)(const TensorIter& iter);
extern DispatchStub<MeanDivFn> mean_div_stub;

// Over TensorIter({self}, {self, mask}): self = mask ? value : self (value: 0-d, self's dtype).
using MaskedFillFn = void (*)(const TensorIter& iter, const Tensor& value);
extern DispatchStub<MaskedFillFn> masked_fill_stub;
// Number of true elements of a bool tensor (any strides).
using CountTrueFn = int64_t (*)(const Tensor& mask);
extern DispatchStub<CountTrueFn> count_true_stub;
// out (1-d, sized to the number of true mask elements) = self's elements where mask is true, in
// row-major order; self and mask have the same shape (any strides).
using MaskedSelectFn = void (*)(const Tensor& out, const Tensor& self, const Tensor& mask);
extern DispatchStub<MaskedSelectFn> masked_select_stub;

// true when a and b (same shape and dtype, any strides) are elementwise equal (NaN != NaN).
using EqualFn = bool (*)(const Tensor& a, const Tensor& b);
extern DispatchStub<EqualFn> equal_stub;
// Over TensorIter({out bool}, {a, b}) (a, b one dtype): PyTorch's isclose formula.
using IsCloseFn = void (*)(const TensorIter& iter, double rtol, double atol, bool equal_nan);
extern DispatchStub<IsCloseFn> isclose_stub;

}  // namespace pe
