// The CUDA side of the elementwise engine (the counterpart of csrc/cpu/loop.h): a by-value
// OffsetCalc maps a linear index to byte offsets per operand, and grid-stride kernels walk it.
// OffsetCalc is built either from a TensorIter (dims reordered to memory order and coalesced: any
// order will do for a pure elementwise op) or from one tensor in row-major order (for fills whose
// value depends on the element's position: arange, random numbers).
#pragma once
#include <algorithm>

#include "core/tensor_iter.h"
#include "cuda/cuda_check.h"
#include "cuda/device.h"
#include "cuda/launch.cuh"

namespace pe::cuda {

constexpr int kMaxDims = 16;  // as TensorIter
constexpr int kBlockSize = 256;

template <int NArgs>
struct OffsetCalc {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};           // innermost first
  int64_t strides[kMaxDims][NArgs] = {};  // in bytes

  __device__ __forceinline__ void get(int64_t i, int64_t (&off)[NArgs]) const {
    if (ndim == 1) {  // the common dense case: no division
#pragma unroll
      for (int k = 0; k < NArgs; ++k) off[k] = i * strides[0][k];
      return;
    }
#pragma unroll
    for (int k = 0; k < NArgs; ++k) off[k] = 0;
    for (int d = 0; d < ndim; ++d) {
      const int64_t idx = i % sizes[d];
      i /= sizes[d];
#pragma unroll
      for (int k = 0; k < NArgs; ++k) off[k] += idx * strides[d][k];
    }
  }
};

// The iteration order of the TensorIter (memory order of its first operand).
template <int NArgs>
OffsetCalc<NArgs> make_offset_calc(const TensorIter& iter) {
  PE_CHECK(iter.ntensors() == NArgs, "make_offset_calc: expected ", NArgs, " operands, got ", iter.ntensors());
  OffsetCalc<NArgs> c;
  c.ndim = (int)iter.ndim();
  for (int d = 0; d < c.ndim; ++d) {
    c.sizes[d] = iter.shape()[d];
    for (int k = 0; k < NArgs; ++k) c.strides[d][k] = iter.stride(d, k);
  }
  return c;
}

// Row-major order of t whatever its strides: drops size-1 dims and merges a dim into the next inner
// one when that keeps row-major order (a contiguous tensor becomes one dim).
inline OffsetCalc<1> row_major_offset_calc(const Tensor& t) {
  OffsetCalc<1> c;
  const int64_t isz = t->itemsize();
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    const int64_t size = t.sizes()[d], stride = t.strides()[d] * isz;
    if (size == 1) continue;
    if (c.ndim > 0 && stride == c.strides[c.ndim - 1][0] * c.sizes[c.ndim - 1]) {
      c.sizes[c.ndim - 1] *= size;
      continue;
    }
    PE_CHECK(c.ndim < kMaxDims, "CUDA kernels support at most ", kMaxDims, " dims, got ", t.dim());
    c.sizes[c.ndim] = size;
    c.strides[c.ndim][0] = stride;
    ++c.ndim;
  }
  return c;
}

// The device of operand 0 of iter, for a DeviceGuard: a kernel runs on the device that owns its
// memory. The op layer's tensors say it (TensorIter::device), so no launch queries a pointer.
inline int iter_device(const TensorIter& iter) { return device_index(iter.device(0)); }

// Refuses (with a pe::Error, before any launch) an operand that is not on device `dev` (-1: the
// current one): a kernel reading host memory would fault and poison the CUDA context.
inline void check_operands_on_device(const TensorIter& iter, int dev, const char* name) {
  if (dev < 0) dev = current_device();
  for (int k = 0; k < iter.ntensors(); ++k) {
    const Device d = iter.device(k);
    PE_CHECK(d.is_cuda() && device_index(d) == dev, name, ": operand ", k, " is not in the memory of cuda:", dev,
             " (it is on ", d.str(), ")");
  }
}

inline unsigned grid_size(int64_t n) {
  return (unsigned)std::min<int64_t>((n + kBlockSize - 1) / kBlockSize, int64_t(1) << 16);
}

// data[offset of row-major index i] = f(i) for i in [0, n).
template <class T, class F>
__global__ void index_fill_kernel(char* data, OffsetCalc<1> calc, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[1];
    calc.get(i, off);
    *reinterpret_cast<T*>(data + off[0]) = f(i);
  }
}

// Runs index_fill_kernel over dst (dtype T) on dst's device. F: a struct with a
// `__device__ T operator()(int64_t i) const`.
template <class T, class F>
void launch_index_fill(const Tensor& dst, const F& f) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  DeviceGuard guard(dst.device().index);
  launch_kernel(index_fill_kernel<T, F>, grid_size(n), kBlockSize, 0, current_stream(), static_cast<char*>(dst.raw_data()),
                                                       row_major_offset_calc(dst), n, f);
}

}  // namespace pe::cuda
