// beta * input + alpha * (product): addmm, baddbmm, addbmm, addmv, addr and their in-place forms.
// The GEMM takes beta itself (C starts as a copy of the broadcast input), and beta == 0 starts from
// uninitialized memory that is never read, so NaN/inf in input do not propagate (PyTorch's rule).
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/linalg_util.h"

namespace pe {

using namespace linalg;

namespace {

// The output of `beta * input + ...`: a contiguous copy of input expanded to `shape`, or, for
// beta == 0, fresh memory (input's shape is still checked by the expand).
Tensor start_from(const Tensor& input, const DimVector& shape, const Scalar& beta) {
  Tensor e = expand(input, shape);
  if (is_zero(beta)) return make_empty(shape, input.dtype(), input.device());
  return contiguous_copy(e);
}

void check_same_dtype(const Tensor& self, const Tensor& other, const char* other_name) {
  PE_CHECK(self.dtype() == other.dtype(), "self and ", other_name, " must have the same dtype, but got ",
           scalar_type_name(self.dtype()), " and ", scalar_type_name(other.dtype()));
}

// In-place forms: the out-of-place result, which must keep self's shape, copied back.
Tensor& assign_inplace(Tensor& self, const Tensor& result) {
  PE_CHECK(result.sizes() == self.sizes(), "Bad in-place call: input tensor size ", self.sizes(),
           " and output tensor size ", result.sizes(), " should match");
  return copy_(self, result);
}

}  // namespace

Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) {
  PE_CHECK(m1.dim() == 2, "mat1 must be a matrix, got ", m1.dim(), "-D tensor");
  PE_CHECK(m2.dim() == 2, "mat2 must be a matrix, got ", m2.dim(), "-D tensor");
  PE_CHECK(m1.size(1) == m2.size(0), "mat1 and mat2 shapes cannot be multiplied (", m1.size(0), "x", m1.size(1),
           " and ", m2.size(0), "x", m2.size(1), ")");
  PE_CHECK(m1.dtype() == m2.dtype(), "mat1 and mat2 must have the same dtype, but got ", scalar_type_name(m1.dtype()),
           " and ", scalar_type_name(m2.dtype()));
  check_same_dtype(input, m2, "mat2");
  check_same_device(m1, m2);
  check_same_device(input, m1);
  check_not_bool(input.dtype(), "addmm_impl_cpu_");
  Tensor out = start_from(input, {m1.size(0), m2.size(1)}, beta);
  bmm_out(unsqueeze(out, 0), unsqueeze(m1, 0), unsqueeze(m2, 0), alpha, beta);
  return out;
}

Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  check_bmm(b1, b2);
  PE_CHECK(b1.dtype() == b2.dtype(), "batch1 and batch2 must have the same dtype, but got ",
           scalar_type_name(b1.dtype()), " and ", scalar_type_name(b2.dtype()));
  check_same_dtype(input, b2, "batch2");
  check_same_device(b1, b2);
  check_same_device(input, b1);
  check_not_bool(input.dtype(), "baddbmm");
  Tensor out = start_from(input, {b1.size(0), b1.size(1), b2.size(2)}, beta);
  bmm_out(out, b1, b2, alpha, beta);
  return out;
}

Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  PE_CHECK(b1.dim() == 3, "batch1 must be a 3D tensor");
  PE_CHECK(b2.dim() == 3, "batch2 must be a 3D tensor");
  PE_CHECK(b1.size(0) == b2.size(0), "batch1 and batch2 must have same number of batches, got ", b1.size(0), " and ",
           b2.size(0));
  PE_CHECK(b1.size(2) == b2.size(1), "Incompatible matrix sizes for bmm (", b1.size(1), "x", b1.size(2), " and ",
           b2.size(1), "x", b2.size(2), ")");
  PE_CHECK(b1.dtype() == b2.dtype(), "batch1 and batch2 must have the same dtype, but got ",
           scalar_type_name(b1.dtype()), " and ", scalar_type_name(b2.dtype()));
  check_same_dtype(input, b2, "batch2");
  check_same_device(b1, b2);
  check_same_device(input, b1);
  check_not_bool(input.dtype(), "addbmm");
  const int64_t nb = b1.size(0), m = b1.size(1), k = b1.size(2), n = b2.size(2);
  Tensor out = start_from(input, {m, n}, beta);
  // sum_i A_i B_i = [A_0 A_1 ...] [B_0; B_1; ...]: one GEMM with the batches laid along K.
  Tensor a = reshape(permute(b1, {1, 0, 2}), {m, nb * k}), b = reshape(b2, {nb * k, n});
  bmm_out(unsqueeze(out, 0), unsqueeze(a, 0), unsqueeze(b, 0), alpha, beta);
  return out;
}

Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  PE_CHECK(mat.dim() == 2 && vec.dim() == 1 && input.dim() <= 1, "vector + matrix @ vector expected, got ",
           input.dim(), ", ", mat.dim(), ", ", vec.dim());
  const int64_t in_size = input.dim() == 1 ? input.size(0) : 1;
  PE_CHECK(mat.size(1) == vec.size(0) && (in_size == mat.size(0) || in_size == 1), "size mismatch, got input (",
           in_size, "), mat (", mat.size(0), "x", mat.size(1), "), vec (", vec.size(0), ")");
  PE_CHECK(input.dtype() == mat.dtype() && mat.dtype() == vec.dtype(),
           "addmv input tensors must have the same dtype, but got ", scalar_type_name(input.dtype()), ", ",
           scalar_type_name(mat.dtype()), ", and ", scalar_type_name(vec.dtype()));
  check_same_device(mat, vec);
  check_same_device(input, mat);
  check_not_bool(input.dtype(), "addmv_impl_cpu");
  Tensor out = start_from(input, {mat.size(0)}, beta);
  bmm_out(unsqueeze(unsqueeze(out, 0), 2), unsqueeze(mat, 0), unsqueeze(unsqueeze(vec, 0), 2), alpha, beta);
  return out;
}

Tensor addr(const Tensor& input, const Tensor& v1, const Tensor& v2, const Scalar& beta, const Scalar& alpha) {
  PE_CHECK(v1.dim() == 1, "addr: Expected 1-D argument vec1, but got ", v1.dim(), "-D");
  PE_CHECK(v2.dim() == 1, "addr: Expected 1-D argument vec2, but got ", v2.dim(), "-D");
  Tensor prod = outer(v1, v2);
  const DType dt = result_type(input, prod);
  if (dt == DType::Bool) {
    PE_CHECK(beta.is_bool() || beta.is_integral(), "Boolean beta only supported for Boolean results.");
    PE_CHECK(alpha.is_bool() || alpha.is_integral(), "Boolean alpha only supported for Boolean results.");
  } else if (!is_floating(dt) && !is_complex(dt)) {
    PE_CHECK(!beta.is_floating(), "For integral input tensors, argument beta must not be a floating point number.");
    PE_CHECK(!alpha.is_floating(), "For integral input tensors, argument alpha must not be a floating point number.");
  }
  Tensor e = expand(input, {v1.size(0), v2.size(0)});
  if (dt == DType::Bool) {
    // Boolean addr is (beta and input) or (alpha and outer), a bool result as PyTorch's.
    Tensor p = to(prod, dt, std::nullopt, false);
    if (is_zero(alpha)) p = logical_and(p, Scalar(false));
    if (is_zero(beta)) return p;
    return logical_or(to(e, dt, std::nullopt, false), p);
  }
  if (alpha.to_double() != 1.0) prod = mul(prod, alpha);
  if (is_zero(beta)) return to(prod, dt, std::nullopt, /*copy=*/false);
  Tensor scaled = beta.to_double() == 1.0 ? e : mul(e, beta);
  return add(scaled, prod);
}

Tensor& addmm_(Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) {
  return assign_inplace(self, addmm(self, m1, m2, beta, alpha));
}
Tensor& baddbmm_(Tensor& self, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  return assign_inplace(self, baddbmm(self, b1, b2, beta, alpha));
}
Tensor& addbmm_(Tensor& self, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  Tensor r = addbmm(self, b1, b2, beta, alpha);
  // PyTorch's addbmm_ writes through addbmm's out= path, which resizes a self that only broadcasts to the
  // result ((1,) or 0-d becomes (n, p)); the gradient of the old self is summed back to its shape
  // (AddbmmBackward0 keeps the input's metadata), and a leaf that requires grad is refused before this.
  if (r.sizes() != self.sizes()) resize_(self, r.sizes());
  return assign_inplace(self, r);
}
Tensor& addmv_(Tensor& self, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  return assign_inplace(self, addmv(self, mat, vec, beta, alpha));
}
Tensor& addr_(Tensor& self, const Tensor& v1, const Tensor& v2, const Scalar& beta, const Scalar& alpha) {
  Tensor r = addr(self, v1, v2, beta, alpha);
  PE_CHECK(is_floating(self.dtype()) || !is_floating(r.dtype()), "result type ", scalar_type_name(r.dtype()),
           " can't be cast to the desired output type ", scalar_type_name(self.dtype()));
  return assign_inplace(self, r);
}

}  // namespace pe
