// ReduceGeom: the geometry of a reduction of one input over a set of its dims, computed once by the
// op layer and walked by the device's reduction driver (csrc/cpu/reduce_loop.h on the CPU).
//
// Note [Reduction geometry]
// Size-1 dims are dropped and adjacent dims that are contiguous with each other are merged, on
// both sides (kept and reduced). Then one of two layouts is chosen:
//  - Inner: the reduced dims merge into ONE dim of stride 1. Every output reduces a contiguous run
//    of reduce_size elements, which the driver folds with many independent accumulators.
//  - Outer: some kept dim has input stride 1 ("cols"). The driver vectorizes over those columns
//    and accumulates whole rows, walking the reduced dims in order (sum(0) of a matrix).
//  - NeedsCopy: neither; the op layer copies the input with the reduced dims moved innermost
//    (contiguous), which always gives Inner.
// When order_matters (arg-reductions, whose index is the row-major position inside the reduced
// dims) the reduced dims keep their logical order; otherwise they are sorted by stride first so
// that any dense input (transposed, permuted) reduces without a copy.
// Outputs are contiguous in the logical order of the kept dims; each output's element offset is
// walked alongside its input offset, so the kept dims may be visited in memory order.
#pragma once
#include <cstdint>
#include <vector>

#include "shape.h"

namespace pe {

constexpr int kMaxReduceDims = 32;

struct ReduceGeom {
  enum class Kind : int8_t { Inner, Outer, NeedsCopy };
  Kind kind = Kind::Inner;
  // Kept dims walked per output (Outer: without the column dim), outermost first. Element strides
  // of the input and of the (contiguous) output.
  DimVector kept_sizes, kept_in_strides, kept_out_strides;
  // Reduced dims, outermost first, element strides of the input.
  DimVector red_sizes, red_strides;
  int64_t cols = 1;            // Outer: size of the kept dim of input stride 1
  int64_t col_out_stride = 0;  // Outer: its output stride
  int64_t num_outputs = 1;     // M (cols included)
  int64_t reduce_size = 1;     // N
};

// sizes/strides: the input (numel > 0); reduced[d]: whether dim d is reduced.
ReduceGeom make_reduce_geom(const DimVector& sizes, const DimVector& strides, const std::vector<bool>& reduced,
                            bool order_matters);

}  // namespace pe
