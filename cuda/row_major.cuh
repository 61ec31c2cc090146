// Row-major addressing of up to two same-shape tensors of any strides, for kernels whose work depends
// on an element's row-major position (compaction, tril/triu). Unlike loop.cuh's OffsetCalc, dims are
// kept as they are (not merged), so the coordinates can be read back too.
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "cuda/loop.cuh"

namespace pe::cuda {

// Byte offsets of the row-major element i of up to two same-shape tensors, and its coordinates.
struct RowMajor2 {
  int nd = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t s0[kMaxDims] = {}, s1[kMaxDims] = {};  // bytes

  __device__ __forceinline__ void offsets(int64_t i, int64_t& o0, int64_t& o1) const {
    o0 = 0;
    o1 = 0;
    for (int d = nd - 1; d >= 0; --d) {
      const int64_t c = i % sizes[d];
      i /= sizes[d];
      o0 += c * s0[d];
      o1 += c * s1[d];
    }
  }
};

// a and b (b may be undefined) of one shape.
inline RowMajor2 make_row_major2(const Tensor& a, const Tensor& b) {
  PE_CHECK(a.dim() <= kMaxDims, "CUDA kernels support at most ", kMaxDims, " dims, got ", a.dim());
  RowMajor2 g;
  g.nd = (int)a.dim();
  for (int d = 0; d < g.nd; ++d) {
    g.sizes[d] = a.sizes()[d];
    g.s0[d] = a.strides()[d] * a->itemsize();
    g.s1[d] = b.defined() ? b.strides()[d] * b->itemsize() : 0;
  }
  return g;
}

}  // namespace pe::cuda
