// Builds the reduction geometry (Note [Reduction geometry] in reduce_iter.h).
#include "core/reduce_iter.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace pe {

namespace {

struct KeptDim {
  int64_t size, in_stride, out_stride;
};
struct RedDim {
  int64_t size, stride;
};

// Merges neighbours (outer a, inner b) when a's stride is b's size times b's stride.
std::vector<RedDim> coalesce(const std::vector<RedDim>& dims) {
  std::vector<RedDim> out;
  for (const auto& d : dims) {
    if (!out.empty() && out.back().stride == d.size * d.stride) {
      out.back().size *= d.size;
      out.back().stride = d.stride;
    } else {
      out.push_back(d);
    }
  }
  return out;
}

std::vector<KeptDim> coalesce(const std::vector<KeptDim>& dims) {
  std::vector<KeptDim> out;
  for (const auto& d : dims) {
    if (!out.empty() && out.back().in_stride == d.size * d.in_stride && out.back().out_stride == d.size * d.out_stride) {
      out.back().size *= d.size;
      out.back().in_stride = d.in_stride;
      out.back().out_stride = d.out_stride;
    } else {
      out.push_back(d);
    }
  }
  return out;
}

}  // namespace

ReduceGeom make_reduce_geom(const DimVector& sizes, const DimVector& strides, const std::vector<bool>& reduced,
                            bool order_matters) {
  const int64_t nd = (int64_t)sizes.size();
  // Output strides: contiguous over the kept dims in logical order.
  DimVector out_strides(nd, 0);
  int64_t acc = 1;
  for (int64_t d = nd - 1; d >= 0; --d) {
    if (reduced[d]) continue;
    out_strides[d] = acc;
    acc *= sizes[d];
  }
  std::vector<KeptDim> kept;
  std::vector<RedDim> red;
  for (int64_t d = 0; d < nd; ++d) {
    if (sizes[d] == 1) continue;
    if (reduced[d]) red.push_back({sizes[d], strides[d]});
    else kept.push_back({sizes[d], strides[d], out_strides[d]});
  }
  // Kept dims may be walked in any order (each output has its own offset): memory order.
  std::stable_sort(kept.begin(), kept.end(),
                   [](const KeptDim& a, const KeptDim& b) { return a.in_stride > b.in_stride; });
  if (!order_matters) {
    std::stable_sort(red.begin(), red.end(), [](const RedDim& a, const RedDim& b) { return a.stride > b.stride; });
  }
  kept = coalesce(kept);
  red = coalesce(red);
  PE_CHECK((int64_t)kept.size() <= kMaxReduceDims && (int64_t)red.size() <= kMaxReduceDims,
           "reduction: too many non-contiguous dims (", kept.size() + red.size(), ")");

  ReduceGeom g;
  for (const auto& d : red) g.reduce_size *= d.size;
  for (const auto& d : kept) g.num_outputs *= d.size;
  auto set_kept = [&](const std::vector<KeptDim>& ks) {
    for (const auto& d : ks) {
      g.kept_sizes.push_back(d.size);
      g.kept_in_strides.push_back(d.in_stride);
      g.kept_out_strides.push_back(d.out_stride);
    }
  };
  if (red.empty() || (red.size() == 1 && red[0].stride == 1)) {
    g.kind = ReduceGeom::Kind::Inner;
    g.red_sizes = {red.empty() ? 1 : red[0].size};
    g.red_strides = {1};
    set_kept(kept);
    return g;
  }
  auto col = std::find_if(kept.begin(), kept.end(), [](const KeptDim& d) { return d.in_stride == 1; });
  if (col != kept.end()) {
    g.kind = ReduceGeom::Kind::Outer;
    g.cols = col->size;
    g.col_out_stride = col->out_stride;
    kept.erase(col);
    set_kept(kept);
    for (const auto& d : red) {
      g.red_sizes.push_back(d.size);
      g.red_strides.push_back(d.stride);
    }
    return g;
  }
  g.kind = ReduceGeom::Kind::NeedsCopy;
  return g;
}

}  // namespace pe
