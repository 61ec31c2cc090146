// TensorIter: the geometry of an elementwise loop over N operands (outputs first). It broadcasts
// the inputs to the output shape, drops size-1 dims, orders dims so the output's smallest stride is
// innermost, and merges dims that are contiguous for every operand. Kernels then see a shape of
// few dims and byte strides per operand; the CPU runs it with cpu_kernel (csrc/cpu/loop.h), CUDA
// with its own launcher.
#pragma once
#include <array>
#include <vector>

#include "tensor.h"

namespace pe {

constexpr int kMaxIterOperands = 4;

class TensorIter {
 public:
  // outputs must already have the broadcast shape of the inputs. With reorder = false the dims stay
  // in row-major order, so the linear index is the row-major index (index-dependent fills need it).
  TensorIter(const TensorList& outputs, const TensorList& inputs, bool reorder = true);

  int ntensors() const { return ntensors_; }
  int64_t ndim() const { return (int64_t)shape_.size(); }
  int64_t numel() const { return numel_; }
  const DimVector& shape() const { return shape_; }  // innermost first
  // Byte stride of operand `arg` along iteration dim `d` (innermost first).
  int64_t stride(int d, int arg) const { return strides_[d][arg]; }
  char* data(int arg) const { return data_[arg]; }
  DType dtype(int arg) const { return dtypes_[arg]; }
  // The device of operand `arg`: kernels launch on the device of operand 0 (no pointer query).
  Device device(int arg = 0) const { return devices_[arg]; }
  bool is_contiguous() const;  // one dim, every operand dense

  // Runs loop(data, inner_strides, n) over [begin, end) of the linearized index space, in chunks
  // along the innermost dim. inner_strides[k] is operand k's byte stride along that dim.
  template <class Loop>
  void serial_for(int64_t begin, int64_t end, const Loop& loop) const;

  // Note [Tiled iteration]
  // The innermost dim follows the output's memory order. An input stored in the other order (a
  // transposed copy `a.t().contiguous()`, `a + b.t()`) is then read with a large stride, each element
  // on a new cache line that is evicted before its neighbours are used: 0.8 GB/s on a 4096^2 float
  // transpose. When an input's stride along dim 1 is smaller than along dim 0, the two innermost dims
  // are walked in kTile x kTile tiles instead: the tile's lines of every operand stay in L1 while
  // the tile is done (the same loop body runs along dim 0, kTile elements at a time). Callers
  // parallelize over tiles: for_each_tile(begin, end, loop) over [0, num_tiles()).
  static constexpr int64_t kTile = 32;
  bool tiled() const { return tiled_; }
  int64_t num_tiles() const;
  template <class Loop>
  void for_each_tile(int64_t begin, int64_t end, const Loop& loop) const;

 private:
  int ntensors_;
  int64_t numel_ = 1;
  DimVector shape_;
  std::vector<std::array<int64_t, kMaxIterOperands>> strides_;
  std::array<char*, kMaxIterOperands> data_{};
  std::array<DType, kMaxIterOperands> dtypes_{};
  std::array<Device, kMaxIterOperands> devices_{};
  bool tiled_ = false;  // Note [Tiled iteration]
};

template <class Loop>
void TensorIter::serial_for(int64_t begin, int64_t end, const Loop& loop) const {
  if (begin >= end) return;
  const int nt = ntensors_;
  const int64_t nd = ndim();
  if (nd <= 1) {
    char* ptrs[kMaxIterOperands];
    int64_t inner[kMaxIterOperands];
    for (int k = 0; k < nt; ++k) {
      inner[k] = nd == 0 ? 0 : strides_[0][k];
      ptrs[k] = data_[k] + begin * inner[k];
    }
    loop(ptrs, inner, end - begin);
    return;
  }
  // Multi-index of `begin`, innermost first.
  int64_t idx[16];
  int64_t rem = begin;
  for (int64_t d = 0; d < nd; ++d) {
    idx[d] = rem % shape_[d];
    rem /= shape_[d];
  }
  char* ptrs[kMaxIterOperands];
  int64_t inner[kMaxIterOperands];
  for (int k = 0; k < nt; ++k) inner[k] = strides_[0][k];
  int64_t pos = begin;
  while (pos < end) {
    for (int k = 0; k < nt; ++k) {
      int64_t off = 0;
      for (int64_t d = 0; d < nd; ++d) off += idx[d] * strides_[d][k];
      ptrs[k] = data_[k] + off;
    }
    int64_t n = std::min(shape_[0] - idx[0], end - pos);
    loop(ptrs, inner, n);
    pos += n;
    idx[0] += n;
    for (int64_t d = 0; d < nd - 1 && idx[d] >= shape_[d]; ++d) {
      idx[d] = 0;
      idx[d + 1]++;
    }
  }
}

template <class Loop>
void TensorIter::for_each_tile(int64_t begin, int64_t end, const Loop& loop) const {
  const int nt = ntensors_;
  const int64_t nd = ndim();
  const int64_t s0 = shape_[0], s1 = shape_[1];
  const int64_t t0 = (s0 + kTile - 1) / kTile, t1 = (s1 + kTile - 1) / kTile;
  char* ptrs[kMaxIterOperands];
  int64_t inner[kMaxIterOperands];
  for (int k = 0; k < nt; ++k) inner[k] = strides_[0][k];
  for (int64_t t = begin; t < end; ++t) {
    // tile t: plane t / (t0 * t1) over dims >= 2, then the dim-1 block, then the dim-0 block
    int64_t plane = t / (t0 * t1), r = t % (t0 * t1);
    int64_t j0 = (r / t0) * kTile, i0 = (r % t0) * kTile;
    int64_t j1 = std::min(s1, j0 + kTile), n = std::min(s0, i0 + kTile) - i0;
    char* base[kMaxIterOperands];
    for (int k = 0; k < nt; ++k) base[k] = data_[k] + i0 * strides_[0][k];
    for (int64_t d = 2, rem = plane; d < nd; ++d) {
      int64_t idx = rem % shape_[d];
      rem /= shape_[d];
      for (int k = 0; k < nt; ++k) base[k] += idx * strides_[d][k];
    }
    for (int64_t j = j0; j < j1; ++j) {
      for (int k = 0; k < nt; ++k) ptrs[k] = base[k] + j * strides_[1][k];
      loop(ptrs, inner, n);
    }
  }
}

}  // namespace pe
