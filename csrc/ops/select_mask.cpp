// Comparisons that answer with one bool or a mask (equal, isclose, allclose) and the mask ops
// (masked_select, masked_fill, nonzero as a tuple), with PyTorch's checks and broadcasting.
#include <cmath>

#include "core/tensor_iter.h"
#include "ops/select.h"
#include "ops/select_stubs.h"

namespace pe {

void check_same_device(const Tensor& a, const Tensor& b) {
  PE_CHECK(a.device() == b.device(), "Expected all tensors to be on the same device, but found at least two devices, ",
           a.device().str(), " and ", b.device().str(), "!");
}

bool equal(const Tensor& a, const Tensor& b) {
  check_same_device(a, b);
  if (a.sizes() != b.sizes()) return false;
  if (a.numel() == 0) return true;
  // Different dtypes compare by value (PyTorch: equal(x, x.long()) is True when the values agree).
  DType dt = promote_types(a.dtype(), b.dtype());
  return equal_stub(a.device())(to(a, dt, std::nullopt), to(b, dt, std::nullopt));
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  check_same_device(a, b);
  PE_CHECK(a.dtype() == b.dtype(), scalar_type_name(a.dtype()), " did not match ", scalar_type_name(b.dtype()));
  PE_CHECK(!(rtol < 0), "rtol must be greater than or equal to zero, but got ", rtol);
  PE_CHECK(!(atol < 0), "atol must be greater than or equal to zero, but got ", atol);
  Tensor out = make_empty(broadcast_shapes(a.sizes(), b.sizes()), DType::Bool, a.device());
  if (out.numel() > 0) isclose_stub(a.device())(TensorIter({out}, {a, b}), rtol, atol, equal_nan);
  return out;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  Tensor c = isclose(a, b, rtol, atol, equal_nan);
  return c.numel() == 0 || count_true_stub(c.device())(c) == c.numel();
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  check_same_device(self, mask);
  PE_CHECK(mask.dtype() == DType::Bool, "masked_select: expected BoolTensor for mask");
  DimVector shape = broadcast_shapes(self.sizes(), mask.sizes());
  Tensor s = expand(self, shape), m = expand(mask, shape);
  int64_t n = m.numel() == 0 ? 0 : count_true_stub(m.device())(m);
  Tensor out = make_empty({n}, self.dtype(), self.device());
  if (n > 0) masked_select_stub(self.device())(out, s, m);
  return out;
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Scalar& value) {
  check_same_device(self, mask);
  PE_CHECK(mask.dtype() == DType::Bool, "masked_fill_ only supports boolean masks, but got mask with dtype ",
           cpp_type_name(mask.dtype()));
  DimVector shape = broadcast_shapes(self.sizes(), mask.sizes());
  PE_CHECK(shape == self.sizes(), "output with shape ", self.sizes(), " doesn't match the broadcast shape ", shape);
  check_scalar_fits(value, self.dtype());
  // No internal-overlap check: PyTorch allows masked_fill_ on expanded tensors.
  if (self.numel() > 0) {
    Tensor v = scalar_tensor(value, self.dtype(), Device());  // on the host: kernels take it by value
    masked_fill_stub(self.device())(TensorIter({self}, {self, mask}), v);
  }
  self->bump_version();
  return self;
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value) {
  PE_CHECK(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           value.dim(), " dimension(s).");
  return masked_fill_(self, mask, item(value));
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value) {
  PE_CHECK(mask.dtype() == DType::Bool, "masked_fill_ only supports boolean masks, but got mask with dtype ",
           cpp_type_name(mask.dtype()));
  Tensor out = contiguous_copy(expand(self, broadcast_shapes(self.sizes(), mask.sizes())));
  return masked_fill_(out, mask, value);
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value) {
  PE_CHECK(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           value.dim(), " dimension(s).");
  return masked_fill(self, mask, item(value));
}

TensorList nonzero_tuple(const Tensor& self) {
  // A 0-d input answers as if it were 1-d (PyTorch).
  Tensor nz = nonzero(self.dim() == 0 ? view(self, {1}) : self);
  return unbind(nz, 1);
}

}  // namespace pe
