// The CUDA reduction engine: one block per output (grid-stride over outputs), each thread folding a
// fixed, strided share of the reduced elements, then a tree in shared memory and a warp-shuffle tree.
// The split depends only on the shape, never on timing, so a reduction gives the same bits on every
// run; float sums are trees of short runs, as accurate as the CPU's pairwise sums in practice.
// It walks the ReduceGeom of the op layer (Note [Reduction geometry] in core/reduce_iter.h).
#pragma once
#include <cstring>
#include <type_traits>

#include "core/reduce_iter.h"
#include "core/tensor.h"
#include "cuda/launch.cuh"
#include "cuda/loop.cuh"

namespace pe::cuda {

constexpr int kReduceBlock = 256;

// The geometry in a form a kernel takes by value. Output dims: the kept dims, then (Outer) the column
// dim; outputs are numbered row-major over them.
struct ReduceParams {
  int nout = 0, nred = 0;
  int64_t out_sizes[kMaxReduceDims + 1], out_in_strides[kMaxReduceDims + 1], out_out_strides[kMaxReduceDims + 1];
  int64_t red_sizes[kMaxReduceDims], red_strides[kMaxReduceDims];
  int64_t num_outputs = 1, reduce_size = 1;

  PE_HOST_DEVICE void output_offsets(int64_t m, int64_t& in_off, int64_t& out_off) const {
    in_off = 0;
    out_off = 0;
    for (int d = nout - 1; d >= 0; --d) {
      const int64_t idx = m % out_sizes[d];
      m /= out_sizes[d];
      in_off += idx * out_in_strides[d];
      out_off += idx * out_out_strides[d];
    }
  }
  PE_HOST_DEVICE int64_t reduced_offset(int64_t n) const {
    if (nred == 1) return n * red_strides[0];
    int64_t off = 0;
    for (int d = nred - 1; d >= 0; --d) {
      off += (n % red_sizes[d]) * red_strides[d];
      n /= red_sizes[d];
    }
    return off;
  }
};

ReduceParams make_reduce_params(const ReduceGeom& g);

// A struct accumulator (Welford, (value, index), logsumexp's (max, sum)) moves as 4-byte words,
// which is what the hardware shuffles.
template <class T>
__device__ __forceinline__ T shfl_down(T v, int offset) {
  if constexpr (!std::is_arithmetic_v<T>) {
    static_assert(sizeof(T) % 4 == 0 && std::is_trivially_copyable_v<T>, "shfl_down: 4-byte words");
    unsigned w[sizeof(T) / 4];
    memcpy(w, &v, sizeof(T));
    for (size_t k = 0; k < sizeof(T) / 4; ++k) w[k] = __shfl_down_sync(0xffffffffu, w[k], offset);
    memcpy(&v, w, sizeof(T));
    return v;
  } else if constexpr (sizeof(T) < 4) {
    return static_cast<T>(__shfl_down_sync(0xffffffffu, static_cast<int>(v), offset));
  } else {
    return __shfl_down_sync(0xffffffffu, v, offset);
  }
}

// Op: acc_t, identity(), reduce(acc, x, n) with n the row-major index inside the reduced dims,
// combine(a, b) of an earlier share a and a later share b, store(out, acc).
template <class In, class Out, class Op>
__global__ void reduce_kernel(const char* in, char* out, ReduceParams p, Op op) {
  using Acc = typename Op::acc_t;
  __shared__ Acc partial[kReduceBlock];
  const int t = threadIdx.x, nthreads = blockDim.x;
  for (int64_t m = blockIdx.x; m < p.num_outputs; m += gridDim.x) {
    int64_t in_off, out_off;
    p.output_offsets(m, in_off, out_off);
    const In* x = reinterpret_cast<const In*>(in) + in_off;
    Acc acc = op.identity();
    for (int64_t n = t; n < p.reduce_size; n += nthreads) acc = op.reduce(acc, x[p.reduced_offset(n)], n);
    partial[t] = acc;
    __syncthreads();
    for (int s = nthreads / 2; s >= 32; s /= 2) {
      if (t < s) partial[t] = op.combine(partial[t], partial[t + s]);
      __syncthreads();
    }
    if (t < 32) {
      Acc v = partial[t];
      for (int s = 16; s > 0; s /= 2) {
        const Acc other = shfl_down(v, s);
        v = op.combine(v, other);
      }
      if (t == 0) op.store(reinterpret_cast<Out*>(out) + out_off, v);
    }
    __syncthreads();  // partial[] is reused by the next output
  }
}

// Runs op over g: in (elements at the geometry's strides from its data pointer), out contiguous.
template <class In, class Out, class Op>
void launch_reduce(const ReduceGeom& g, const Tensor& in, const Tensor& out, const Op& op) {
  if (g.num_outputs == 0) return;
  DeviceGuard guard(in.device().index);
  const ReduceParams p = make_reduce_params(g);
  int block = 32;  // a power of two >= 32, no wider than the work
  while (block < kReduceBlock && block < p.reduce_size) block *= 2;
  const unsigned grid = (unsigned)std::min<int64_t>(p.num_outputs, int64_t(1) << 16);
  launch_kernel(reduce_kernel<In, Out, Op>, grid, block, 0, current_stream(), static_cast<const char*>(in.raw_data()),
                static_cast<char*>(out.raw_data()), p, op);
}

}  // namespace pe::cuda
