// Stream compaction on the device, in row-major order: the kernels behind nonzero, masked_select and
// counting a mask (cuda/mask.cu). Three passes over blocks of kChunk elements: each block counts its
// elements that pass (count_kernel), one block turns the counts into exclusive offsets and the total
// (block_counts_scan_kernel), then each block walks its chunk again in tiles of kBlockSize, scans the tile's flags
// in shared memory and writes the passing elements at base + rank (compact_kernel), so the output is
// in row-major order with no atomics. The host reads only the total (the output's size), which is the
// one sync PyTorch makes here too.
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "cuda/loop.cuh"
#include "cuda/row_major.cuh"

namespace pe::cuda {

constexpr int64_t kChunk = kBlockSize * 8;

// Exclusive prefix sum of v over the block (every thread must call it); *total = the block's sum.
// buf: kBlockSize entries of shared memory.
__device__ __forceinline__ int64_t block_exclusive_scan(int64_t v, int64_t* buf, int64_t* total) {
  const int t = threadIdx.x;
  buf[t] = v;
  __syncthreads();
  for (int off = 1; off < (int)blockDim.x; off *= 2) {
    const int64_t x = t >= off ? buf[t - off] : 0;
    __syncthreads();
    buf[t] += x;
    __syncthreads();
  }
  const int64_t inclusive = buf[t];
  *total = buf[blockDim.x - 1];
  __syncthreads();  // buf is reused by the next call
  return inclusive - v;
}

// counts[b] = the number of i in block b's chunk with pred(i).
template <class P>
__global__ void count_kernel(P pred, int64_t n, int64_t* counts) {
  __shared__ int64_t buf[kBlockSize];
  const int64_t begin = blockIdx.x * kChunk, end = begin + kChunk < n ? begin + kChunk : n;
  int64_t c = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) c += pred(i) ? 1 : 0;
  int64_t total;
  (void)block_exclusive_scan(c, buf, &total);
  if (threadIdx.x == 0) counts[blockIdx.x] = total;
}

// counts[0..nb) -> exclusive offsets, counts[nb] = the total. One block.
static __global__ void block_counts_scan_kernel(int64_t* counts, int64_t nb) {
  __shared__ int64_t buf[kBlockSize];
  int64_t carry = 0;  // the same in every thread
  for (int64_t base = 0; base < nb; base += blockDim.x) {
    const int64_t i = base + threadIdx.x;
    const int64_t v = i < nb ? counts[i] : 0;
    int64_t total;
    const int64_t pre = block_exclusive_scan(v, buf, &total);
    if (i < nb) counts[i] = carry + pre;
    carry += total;
  }
  if (threadIdx.x == 0) counts[nb] = carry;
}

// write(i, k) for the k-th (row-major) i with pred(i); offsets from block_counts_scan_kernel.
template <class P, class W>
__global__ void compact_kernel(P pred, W write, int64_t n, const int64_t* offsets) {
  __shared__ int64_t buf[kBlockSize];
  const int64_t begin = blockIdx.x * kChunk, end = begin + kChunk < n ? begin + kChunk : n;
  int64_t base = offsets[blockIdx.x];
  for (int64_t tile = begin; tile < end; tile += blockDim.x) {  // the same trip count in every thread
    const int64_t i = tile + threadIdx.x;
    const bool f = i < end && pred(i);
    int64_t total;
    const int64_t rank = block_exclusive_scan(f ? 1 : 0, buf, &total);
    if (f) write(i, base + rank);
    base += total;
  }
}

}  // namespace pe::cuda
