// AccumulateGrad, GraphRoot, CopySlices, AsStridedBackward0 (functions/basic_nodes.h).
#include "autograd/functions/basic_nodes.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "autograd/ops_basic.h"
#include "autograd/ops_select.h"
#include "ops/ops.h"
#include "core/profiler_hook.h"

namespace pe::autograd {

// Leaves' accumulators run as soon as they are ready: PyTorch gives them the largest sequence number.
AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(std::move(variable)) { sequence_nr_ = UINT64_MAX; }

void AccumulateGrad::apply_tensor_pre_hooks(variable_list& grads) {
  Node::apply_tensor_pre_hooks(grads);
  auto* m = meta_or_null(variable_);
  if (!m || m->leaf_hooks.empty() || grads.empty() || !grads[0].defined()) return;
  auto hooks = m->leaf_hooks;
  for (auto& h : hooks) {
    Tensor r = h.second(grads[0]);
    if (r.defined()) grads[0] = r;
  }
}

void accumulate_grad(Tensor& grad, const Tensor& g) {
  if (!grad.defined()) {
    if (GradMode::is_enabled()) {
      grad = g;  // create_graph: keep the history of the gradient
    } else if (g.impl_ptr().use_count() == 1 && g.is_contiguous() && !meta_or_null(g)) {
      grad = g;  // nobody else holds it: steal (as PyTorch), no copy
    } else {
      grad = ::pe::contiguous_copy(g);
    }
    return;
  }
  if (GradMode::is_enabled()) {
    grad = autograd::add(grad, g);
  } else {
    profiler::RecordScope scope("aten::add_", {&grad, &g, nullptr});
    ::pe::add_(grad, g);
  }
}

variable_list AccumulateGrad::apply(variable_list&& grads) {
  if (grads.empty() || !grads[0].defined()) return {};
  AutogradMeta& m = meta(variable_);
  Tensor g = grads[0];
  if (!GradMode::is_enabled() && requires_grad(g)) g = autograd::detach(g);
  accumulate_grad(m.grad, g);
  return {};
}

GraphRoot::GraphRoot(std::vector<Edge> edges, variable_list grads) : grads_(std::move(grads)) {
  set_next_edges(std::move(edges));
}

Tensor TensorGeometry::empty() const {
  int64_t extent = 1;
  bool any_zero = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) any_zero = true;
    extent += (sizes[d] - 1) * strides[d];
  }
  Tensor flat = make_empty({any_zero ? 0 : extent}, dtype, device);
  return make_view(flat, sizes, strides, 0);
}

CopySlices::CopySlices(const Tensor& base, const Tensor& view, std::shared_ptr<Node> fn)
    : base_(base), view_(view), fn_(std::move(fn)) {}

variable_list CopySlices::apply(variable_list&& grads) {
  const Tensor& grad = grads[0];
  Tensor result = base_.empty();
  autograd::copy_(result, grad);
  Tensor grad_slice = autograd::as_strided(result, view_.sizes, view_.strides,
                                           view_.storage_offset - base_.storage_offset);
  // The in-place op's formula, on the gradient of the viewed part.
  variable_list res = fn_->run_apply({autograd::clone(grad_slice)});
  variable_list out(num_outputs());
  for (size_t i = 1; i < res.size() && i < out.size(); ++i) out[i] = res[i];
  if (should_compute_output(0)) {
    if (res[0].defined()) {
      autograd::copy_(grad_slice, res[0]);
    } else {
      autograd::zero_(grad_slice);
    }
    out[0] = result;
  }
  return out;
}

AsStridedBackward0::AsStridedBackward0(const Tensor& input, const DimVector& sizes, const DimVector& strides,
                                       int64_t offset)
    : input_(input), sizes_(sizes), strides_(strides), offset_(offset) {}

namespace {

// Whether a view of these sizes/strides reads some element twice (stride 0 on a repeated dim, or windows
// that overlap as in unfold): with the dims of size > 1 sorted by stride, each stride must step past the
// whole extent of the smaller ones.
bool view_overlaps(const DimVector& sizes, const DimVector& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size)
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return false;
    if (sizes[d] > 1) dims.emplace_back(strides[d], sizes[d]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t extent = 1;  // elements spanned by the smaller dims
  for (auto& [stride, size] : dims) {
    if (stride < extent) return true;
    extent = stride * (size - 1) + extent;
  }
  return false;
}

// The elements [first, end) of the storage that a geometry reads (end == first when it is empty).
std::pair<int64_t, int64_t> storage_span(const DimVector& sizes, const DimVector& strides, int64_t offset) {
  int64_t end = offset + 1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return {offset, offset};
    end += (sizes[d] - 1) * strides[d];
  }
  return {offset, end};
}

}  // namespace

variable_list AsStridedBackward0::apply(variable_list&& grads) {
  // as_strided addresses the storage, so the view may start before the input or reach past it: the
  // gradient goes into a flat buffer spanning both, then is read back in the input's geometry, so view
  // elements outside the input give it nothing (PyTorch's as_strided_backward does the same).
  auto [in_lo, in_hi] = storage_span(input_.sizes, input_.strides, input_.storage_offset);
  auto [out_lo, out_hi] = storage_span(sizes_, strides_, offset_);
  TensorOptions lo;
  lo.dtype = grads[0].dtype();
  lo.device = grads[0].device();
  if (in_hi == in_lo || out_hi == out_lo) return {::pe::zeros(input_.sizes, lo)};
  const int64_t first = std::min(in_lo, out_lo), rel = offset_ - first;
  Tensor flat = ::pe::zeros({std::max(in_hi, out_hi) - first}, lo);
  if (!view_overlaps(sizes_, strides_)) {
    Tensor region = autograd::as_strided(flat, sizes_, strides_, rel);
    autograd::copy_(region, grads[0]);
  } else {
    // An element read several times receives the sum of their gradients: index_add the gradient into
    // the flat buffer at each view element's offset.
    lo.dtype = DType::Int64;
    Tensor offsets = ::pe::full({}, Scalar(rel), lo);
    for (size_t d = 0; d < sizes_.size(); ++d) {
      Tensor steps = ::pe::mul(::pe::arange(Scalar(int64_t(0)), Scalar(sizes_[d]), Scalar(int64_t(1)), lo),
                               Scalar(strides_[d]));
      offsets = ::pe::add(::pe::unsqueeze(offsets, -1), steps);
    }
    flat = autograd::index_add(flat, 0, ::pe::reshape(offsets, {-1}), autograd::reshape(grads[0], {-1}),
                               Scalar(int64_t(1)));
  }
  return {autograd::as_strided(flat, input_.sizes, input_.strides, input_.storage_offset - first)};
}

variable_list NotImplementedBackward::apply(variable_list&&) {
  PE_ERROR("derivative for aten::", op_, " is not implemented");
}

}  // namespace pe::autograd
