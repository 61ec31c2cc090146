// TensorIter construction: broadcast, reorder, coalesce.
#include "tensor_iter.h"

#include <algorithm>
#include <cstdlib>

namespace pe {

TensorIter::TensorIter(const TensorList& outputs, const TensorList& inputs, bool reorder) {
  ntensors_ = (int)(outputs.size() + inputs.size());
  PE_CHECK(ntensors_ <= kMaxIterOperands, "TensorIter: too many operands");
  PE_CHECK(!outputs.empty(), "TensorIter: needs an output");
  const DimVector& out_shape = outputs[0].sizes();
  const int64_t nd = (int64_t)out_shape.size();
  PE_CHECK(nd <= 16, "TensorIter: at most 16 dims are supported, got ", nd);

  // Byte strides per operand, aligned to the output shape (row-major order here).
  std::vector<std::array<int64_t, kMaxIterOperands>> st(nd);
  int k = 0;
  auto add = [&](const Tensor& t) {
    int64_t off = nd - t.dim();
    PE_CHECK(off >= 0, "TensorIter: operand of shape ", t.sizes(), " does not broadcast to ", out_shape);
    for (int64_t d = 0; d < nd; ++d) {
      if (d < off) {
        st[d][k] = 0;
        continue;
      }
      int64_t s = t.sizes()[d - off];
      PE_CHECK(s == out_shape[d] || s == 1, "TensorIter: operand of shape ", t.sizes(),
               " does not broadcast to ", out_shape);
      st[d][k] = s == 1 ? 0 : t.strides()[d - off] * t->itemsize();
    }
    data_[k] = static_cast<char*>(t.raw_data());
    dtypes_[k] = t.dtype();
    devices_[k] = t.device();
    ++k;
  };
  for (auto& t : outputs) add(t);
  for (auto& t : inputs) add(t);

  // Keep the dims of size > 1, ordered so that the output's strides decrease outward (a permuted
  // output is walked in memory order). Stable, so ties keep row-major order.
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < nd; ++d)
    if (out_shape[d] != 1) dims.push_back(d);
  if (reorder)
    std::stable_sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) { return st[a][0] > st[b][0]; });
  numel_ = 1;
  for (int64_t d = 0; d < nd; ++d) numel_ *= out_shape[d];

  // Innermost first, merging dim i (inner) with the next outer one when all operands allow.
  for (auto it = dims.rbegin(); it != dims.rend(); ++it) {
    int64_t d = *it;
    if (!shape_.empty()) {
      bool can_merge = true;
      for (int j = 0; j < ntensors_; ++j)
        can_merge = can_merge && st[d][j] == strides_.back()[j] * shape_.back();
      if (can_merge) {
        shape_.back() *= out_shape[d];
        continue;
      }
    }
    shape_.push_back(out_shape[d]);
    strides_.push_back(st[d]);
  }
  if (numel_ == 0) {
    shape_.assign(1, 0);
    strides_.assign(1, {});
  }
  // Note [Tiled iteration]: an input walked against its memory order, on a plane big enough to pay.
  if (shape_.size() >= 2 && shape_[0] >= kTile && shape_[1] >= kTile) {
    for (int j = 1; j < ntensors_; ++j) {
      int64_t a0 = std::abs(strides_[0][j]), a1 = std::abs(strides_[1][j]);
      if (a1 != 0 && a1 < a0) tiled_ = true;
    }
  }
}

int64_t TensorIter::num_tiles() const {
  int64_t n = ((shape_[0] + kTile - 1) / kTile) * ((shape_[1] + kTile - 1) / kTile);
  for (size_t d = 2; d < shape_.size(); ++d) n *= shape_[d];
  return n;
}

bool TensorIter::is_contiguous() const {
  if (ndim() != 1) return ndim() == 0;
  for (int k = 0; k < ntensors_; ++k)
    if (strides_[0][k] != element_size(dtypes_[k])) return false;
  return true;
}

}  // namespace pe
