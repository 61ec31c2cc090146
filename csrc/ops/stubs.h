// The kernel tables the op layer dispatches through (one DispatchStub per kernel family). CPU
// kernels register in csrc/cpu/*.cpp, CUDA kernels in cuda/register.cpp. The elementwise op
// families (arithmetic included) have their tables in ops/elementwise_stubs.h.
#pragma once
#include <optional>

#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {

// dst and src have the same shape (the op layer expands src); dtypes and devices may differ.
// The kernel of the device that is not the CPU is chosen when the devices differ.
using CopyFn = void (*)(const Tensor& dst, const Tensor& src);
extern DispatchStub<CopyFn> copy_stub;

// Writes value (converted to dst's dtype) into every element of dst (any strides).
using FillFn = void (*)(const Tensor& dst, const Scalar& value);
extern DispatchStub<FillFn> fill_stub;

// dst[i] = a uniform number in [from, to) / a normal(mean, std) number for element i (linear index
// in dst's row-major order), from Philox(seed) at counter first_block + i / 4 (see core/rng.h).
using UniformFn = void (*)(const Tensor& dst, double from, double to, uint64_t seed, uint64_t first_block);
extern DispatchStub<UniformFn> uniform_stub;
using NormalFn = void (*)(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t first_block);
extern DispatchStub<NormalFn> normal_stub;

// perm (int64, contiguous, n elements) = a random permutation of 0..n-1: Fisher-Yates driven by
// keys (float64 uniform in [0, 1), n elements), position i swapped with floor(keys[i] * (i + 1)).
using RandpermFn = void (*)(const Tensor& perm, const Tensor& keys);
extern DispatchStub<RandpermFn> randperm_stub;

// dst[i] = start + i * step (arange and linspace).
using ArangeFn = void (*)(const Tensor& dst, const Scalar& start, const Scalar& step);
extern DispatchStub<ArangeFn> arange_stub;

// Hooks the CUDA library installs at load; without it CUDA is "not available".
struct CudaHooks {
  int (*device_count)() = nullptr;         // 0 when no driver/GPU
  void (*set_device)(int device) = nullptr;
  int (*current_device)() = nullptr;
  void (*synchronize)(int device) = nullptr;
  void (*empty_cache)() = nullptr;
  size_t (*memory_allocated)(int device) = nullptr;
  size_t (*memory_reserved)(int device) = nullptr;
  const char* (*device_name)(int device) = nullptr;
  Allocator* pinned_allocator = nullptr;             // page-locked host memory (cudaMallocHost)
  bool (*is_pinned)(const void* ptr) = nullptr;
};
CudaHooks& cuda_hooks();
bool cuda_compiled();
int cuda_device_count();  // 0 without the CUDA part or a GPU

}  // namespace pe

namespace pe {
class TensorIter;
// Advanced indexing. index: out[i] = *(src_base + offsets[i]) over TensorIter({out}, {src, offsets})
// where src is restrided with stride 0 along the indexed dims and offsets (int64, bytes) broadcast
// along the others. index_put: *(dst + offsets[i]) = value[i] (or +=) over ({dst}, {value, offsets}).
using IndexFn = void (*)(const TensorIter& iter);
extern DispatchStub<IndexFn> index_stub;
using IndexPutFn = void (*)(const TensorIter& iter, bool accumulate);
extern DispatchStub<IndexPutFn> index_put_stub;
// The first element (row-major) of the int64 tensor `index` outside [-size, size)
// (allow_negative) or [0, size); nullopt when every element is in range.
using IndexBoundsFn = std::optional<int64_t> (*)(const Tensor& index, int64_t size, bool allow_negative);
extern DispatchStub<IndexBoundsFn> index_bounds_stub;
// offsets[i] += (index[i] < 0 ? index[i] + size : index[i]) * stride over TensorIter({offsets},
// {offsets, index}) (int64; the indices are in range).
using IndexOffsetsFn = void (*)(const TensorIter& iter, int64_t size, int64_t stride);
extern DispatchStub<IndexOffsetsFn> index_offsets_stub;
// The (count, t.dim()) int64 coordinates of t's nonzero elements in row-major order, on t's device.
using NonzeroFn = Tensor (*)(const Tensor& t);
extern DispatchStub<NonzeroFn> nonzero_stub;
}  // namespace pe
