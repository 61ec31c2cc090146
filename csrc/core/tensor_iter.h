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

 private:
  int ntensors_;
  int64_t numel_ = 1;
  DimVector shape_;
  std::vector<std::array<int64_t, kMaxIterOperands>> strides_;
  std::array<char*, kMaxIterOperands> data_{};
  std::array<DType, kMaxIterOperands> dtypes_{};
  std::array<Device, kMaxIterOperands> devices_{};
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

}  // namespace pe
