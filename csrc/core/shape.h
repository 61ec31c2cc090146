// Shape arithmetic shared by the op layer: dim wrapping, broadcasting, strides, view geometry.
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

namespace pe {

using DimVector = std::vector<int64_t>;

std::ostream& operator<<(std::ostream& os, const DimVector& v);  // "[2, 3]"

// Wraps a possibly negative dim into [0, ndim); IndexError as PyTorch otherwise.
// A 0-d tensor accepts dims -1 and 0 (as if it had one dim).
int64_t wrap_dim(int64_t dim, int64_t ndim);

// Product of sizes; RuntimeError on a negative size or int64 overflow.
int64_t checked_numel(const DimVector& sizes);
void check_sizes_nonnegative(const DimVector& sizes);

DimVector contiguous_strides(const DimVector& sizes);
bool is_contiguous_geometry(const DimVector& sizes, const DimVector& strides);

// The broadcast of two shapes; RuntimeError naming the sizes on a mismatch.
DimVector broadcast_shapes(const DimVector& a, const DimVector& b);

// Resolves a single -1 in `shape` for a tensor of `numel` elements (view/reshape).
DimVector infer_size(const DimVector& shape, int64_t numel);

// Strides that let (old_sizes, old_strides) be seen as new_sizes without a copy, if any
// (PyTorch's computeStride).
std::optional<DimVector> view_strides(const DimVector& old_sizes, const DimVector& old_strides,
                                      const DimVector& new_sizes);

}  // namespace pe
