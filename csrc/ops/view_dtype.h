// view(dtype): the same bytes seen as another dtype (ops/views.cpp).
#pragma once
#include "core/tensor.h"

namespace pe {

// PyTorch's view(dtype): with another element size the last dim (stride 1) is rescaled, and the
// other strides and the offset must divide into the new element size; a 0-d tensor only keeps
// its element size.
Tensor view_dtype(const Tensor& t, DType dtype);

}  // namespace pe
