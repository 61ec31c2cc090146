// view(dtype): the same bytes seen as another dtype (ops/views.cpp).
#pragma once
#include "core/tensor.h"

namespace pe {

// PyTorch's view(dtype): with another element size the last dim (stride 1) is rescaled, and the
// other strides and the offset must divide into the new element size; a 0-d tensor only keeps
// its element size.
Tensor view_dtype(const Tensor& t, DType dtype);

// torch.view_as_real: a complex tensor's (real, imag) pairs as a trailing dim of size 2 (a view).
Tensor view_as_real(const Tensor& t);
// torch.view_as_complex: a float32/float64 tensor whose last dim is (real, imag) pairs, as a view.
Tensor view_as_complex(const Tensor& t);

}  // namespace pe
