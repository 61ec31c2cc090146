// Structure ops: trace, diag (vector <-> diagonal matrix), tril/triu (+ in place) and cross
// (torch.cross and torch.linalg.cross), with PyTorch's checks and dtype rules.
#include "ops/linalg.h"
#include "ops/linalg_stubs.h"
#include "ops/linalg_util.h"

namespace pe {

using namespace linalg;

Tensor trace(const Tensor& t) {
  PE_CHECK(t.dim() == 2, "trace: expected a matrix, but got tensor with dim ", t.dim());
  PE_CHECK_T(NotImplementedError, t.dtype() != DType::Bool, "\"trace\" not implemented for 'Bool'");
  Tensor d = diagonal(t, 0, 0, 1);
  Tensor out = make_empty({}, is_floating(t.dtype()) ? t.dtype() : DType::Int64, t.device());
  trace_stub(t.device())(out, d);
  return out;
}

Tensor diag(const Tensor& t, int64_t d) {
  PE_CHECK(t.dim() == 1 || t.dim() == 2, "diag(): Supports 1D or 2D tensors. Got ", t.dim(), "D");
  if (t.dim() == 2) return contiguous_copy(diagonal(t, d, 0, 1));
  const int64_t n = t.size(0) + (d >= 0 ? d : -d);
  Tensor out = zeros({n, n}, TensorOptions{t.dtype(), t.device()});
  Tensor band = diagonal(out, d, 0, 1);
  copy_(band, t);
  return out;
}

namespace {

Tensor tri(const Tensor& t, int64_t d, bool upper) {
  PE_CHECK(t.dim() >= 2, upper ? "triu" : "tril", ": input tensor must have at least 2 dimensions");
  Tensor out = make_empty(t.sizes(), t.dtype(), t.device());
  if (out.numel() > 0) tri_stub(t.device())(out, t, d, upper);
  return out;
}

Tensor& tri_(Tensor& t, int64_t d, bool upper) {
  PE_CHECK(t.dim() >= 2, upper ? "triu" : "tril", ": input tensor must have at least 2 dimensions");
  if (t.numel() > 0) tri_stub(t.device())(t, t, d, upper);
  t->bump_version();
  return t;
}

}  // namespace

Tensor tril(const Tensor& t, int64_t d) { return tri(t, d, false); }
Tensor triu(const Tensor& t, int64_t d) { return tri(t, d, true); }
Tensor& tril_(Tensor& t, int64_t d) { return tri_(t, d, false); }
Tensor& triu_(Tensor& t, int64_t d) { return tri_(t, d, true); }

Tensor linalg_cross(const Tensor& a, const Tensor& b, int64_t dim) {
  PE_CHECK(a.dim() == b.dim(), "linalg.cross: inputs must have the same number of dimensions.");
  const int64_t wd = wrap_dim(dim, a.dim());
  PE_CHECK(a.size(wd) == 3 && b.size(wd) == 3, "linalg.cross: inputs dimension ", dim,
           " must have length 3. Got ", a.size(wd), " and ", b.size(wd));
  PE_CHECK(a.dtype() == b.dtype(), "expected scalar type ", scalar_type_name(a.dtype()), " but found ",
           scalar_type_name(b.dtype()));
  check_same_device(a, b);
  PE_CHECK_T(NotImplementedError, a.dtype() != DType::Bool, "\"cross\" not implemented for 'Bool'");
  DimVector shape = broadcast_shapes(a.sizes(), b.sizes());
  Tensor out = make_empty(shape, a.dtype(), a.device());
  if (out.numel() > 0) cross_stub(a.device())(out, expand(a, shape), expand(b, shape), wd);
  return out;
}

Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim) {
  if (dim) return linalg_cross(a, b, *dim);
  PE_CHECK(a.dim() == b.dim(), "linalg.cross: inputs must have the same number of dimensions.");
  // The deprecated default: the first dim of size 3.
  for (int64_t d = 0; d < a.dim(); ++d)
    if (a.size(d) == 3) return linalg_cross(a, b, d);
  PE_ERROR("no dimension of size 3 in input");
}

}  // namespace pe
