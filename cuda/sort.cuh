// The CUDA row sort shared by sort/argsort/topk/kthvalue (sort.cu), median/mode (sort_reduce.cu) and
// randperm (sort.cu).
//
// Note [CUDA row sort]
// Every element becomes a 64-bit key whose unsigned order is the wanted order: integers with the sign
// bit flipped, floats widened to double with the IEEE sign-magnitude flip (-0.0 first made +0.0, every
// NaN the largest key, as the CPU's "NaN largest, NaNs equal"), and the whole key inverted for a
// descending sort. Pairs (key, index) are then all distinct, so ordering them lexicographically is a
// total order: the result is the stable sort, the same on every run and the same as the CPU's.
//  1. tile pass: one block per tile of kSortTile (or the row's power of two when shorter) elements
//     runs a bitonic sort of (key, index) pairs in shared memory;
//  2. merge passes (rows longer than a tile): sorted runs of width w merge pairwise into runs of 2w,
//     each element finding its place by a binary search in the partner run (merge by rank), between
//     two global buffers.
// The sorted keys and indices of row r are then at [r * n, (r + 1) * n) of the returned buffers.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/tensor.h"
#include "cuda/loop.cuh"
#include "ops/elementwise_functors.h"

namespace pe::cuda {

constexpr int kSortTile = 1024;  // pairs per block in shared memory: 16 KB, 512 threads
constexpr uint64_t kNanKey = ~uint64_t(0);

template <class T>
__device__ __forceinline__ uint64_t sort_key(T v, bool descending) {
  uint64_t k;
  if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
    k = static_cast<uint64_t>(v);
  } else if constexpr (std::is_integral_v<T>) {
    k = static_cast<uint64_t>(static_cast<int64_t>(v)) ^ (uint64_t(1) << 63);
  } else {
    double d = static_cast<double>(static_cast<opmath_t<T>>(v));
    if (d != d) {
      k = kNanKey;
    } else {
      if (d == 0.0) d = 0.0;  // -0.0 and +0.0 are equal
      uint64_t bits;
      memcpy(&bits, &d, sizeof bits);
      k = (bits >> 63) ? ~bits : (bits | (uint64_t(1) << 63));
    }
  }
  return descending ? ~k : k;
}

// Element offsets of the rows of up to three tensors that share the sizes of every dim but the
// sorted one: row r (row-major over those dims) starts at offsets(r)[t].
struct RowCalc {
  int nd = 0;
  int64_t sizes[kMaxDims] = {};       // innermost first
  int64_t strides[kMaxDims][3] = {};  // elements
  __device__ __forceinline__ void get(int64_t r, int64_t (&off)[3]) const {
    off[0] = off[1] = off[2] = 0;
    for (int d = 0; d < nd; ++d) {
      const int64_t i = r % sizes[d];
      r /= sizes[d];
      for (int t = 0; t < 3; ++t) off[t] += i * strides[d][t];
    }
  }
};

// Tensors t[0..2] (undefined ones get stride 0) seen as rows along dim `dim`.
RowCalc make_row_calc(const Tensor* const (&t)[3], int64_t dim);

// The sorted (key, index) buffers of Note [CUDA row sort]: int64 tensors of rows * n elements.
struct SortedRows {
  Tensor keys, indices;
  int64_t rows = 0, n = 0;
};

// Sorts the rows of self along dim (self any strides, numel > 0).
SortedRows sort_rows(const Tensor& self, int64_t dim, bool descending);

}  // namespace pe::cuda
