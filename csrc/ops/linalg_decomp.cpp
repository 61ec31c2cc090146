// The decomposition ops (ops/linalg_decomp.h): cholesky, solve_triangular, geqrf,
// householder_product, eigh and lu_factor on batches of any leading shape. Each op checks shapes
// and dtypes with PyTorch's messages, flattens the batch into a fresh contiguous (B, m, n) copy the
// kernel may overwrite, and views the results back.
#include "core/shape.h"
#include "ops/linalg.h"
#include "ops/linalg_decomp.h"
#include "ops/linalg_decomp_stubs.h"
#include "ops/linalg_stubs.h"
#include "ops/linalg_util.h"
#include "ops/select.h"

namespace pe {

DispatchStub<CholeskyFn> cholesky_stub("linalg.cholesky");
DispatchStub<TriangularSolveFn> triangular_solve_stub("linalg.solve_triangular");
DispatchStub<GeqrfFn> geqrf_stub("geqrf");
DispatchStub<OrgqrFn> orgqr_stub("linalg.householder_product");
DispatchStub<EighFn> eigh_stub("linalg.eigh");

using namespace linalg;

namespace {

DimVector batch_of(const Tensor& a) { return DimVector(a.sizes().begin(), a.sizes().end() - 2); }

DimVector with(DimVector batch, std::initializer_list<int64_t> tail) {
  batch.insert(batch.end(), tail);
  return batch;
}

int64_t numel_of(const DimVector& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// A fresh contiguous (B, rows, cols) copy of the matrices of t.
Tensor fresh3(const Tensor& t) {
  return view(contiguous_copy(t), {numel_of(batch_of(t)), t.size(-2), t.size(-1)});
}

Tensor info_shaped(const Tensor& info64, const DimVector& batch) {
  return view(to(info64, DType::Int32, std::nullopt), batch);
}

}  // namespace

std::tuple<Tensor, Tensor> linalg_cholesky_ex(const Tensor& a, bool upper) {
  check_factor_dtype(a, "linalg.cholesky");
  check_square(a, "linalg.cholesky");
  const DimVector batch = batch_of(a);
  Tensor l = fresh3(a);
  Tensor info = zeros({l.size(0)}, TensorOptions{DType::Int64, a.device()});
  if (l.numel() > 0) cholesky_stub(a.device())(l, info);
  Tensor out = view(l, a.sizes());
  if (upper) out = contiguous(transpose(out, -2, -1));
  return {out, info_shaped(info, batch)};
}

Tensor linalg_solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left, bool unitriangular) {
  const char* fn = "linalg.solve_triangular";
  PE_CHECK(a.dim() >= 2, fn, ": The input tensor A must have at least 2 dimensions.");
  PE_CHECK(b.dim() >= 2, fn, ": The input tensor B must have at least 2 dimensions.");
  check_factor_dtype(a, fn);
  PE_CHECK(a.dtype() == b.dtype(), fn, ": Expected A and B to have the same dtype, but found A of type ",
           scalar_type_name(a.dtype()), " and B of type ", scalar_type_name(b.dtype()), " instead");
  check_same_device(a, b);
  check_square(a, fn);
  const int64_t n = a.size(-1);
  const bool ok = left ? b.size(-2) == n : b.size(-1) == n;
  PE_CHECK(ok, fn, ": Incompatible shapes of A and B for the equation ", left ? "AX = B" : "XA = B", " (",
           a.size(-2), "x", a.size(-1), " and ", b.size(-2), "x", b.size(-1), ")");
  // X A = B is A^T X^T = B^T: the transposed triangle is the other one.
  const Tensor A = left ? a : transpose(a, -2, -1);
  const Tensor B = left ? b : transpose(b, -2, -1);
  const bool up = left ? upper : !upper;
  const DimVector batch = broadcast_shapes(batch_of(A), batch_of(B));
  const int64_t k = B.size(-1);
  Tensor a3 = fresh3(expand(A, with(batch, {n, n})));
  Tensor x = contiguous_copy(expand(B, with(batch, {n, k})));
  if (x.numel() > 0) triangular_solve_stub(a.device())(a3, view(x, {a3.size(0), n, k}), up, unitriangular);
  return left ? x : transpose(x, -2, -1);
}

std::tuple<Tensor, Tensor> geqrf(const Tensor& a) {
  PE_CHECK(a.dim() >= 2, "geqrf: The input tensor A must have at least 2 dimensions.");
  check_factor_dtype(a, "geqrf");
  const int64_t m = a.size(-2), n = a.size(-1), k = std::min(m, n);
  const DimVector batch = batch_of(a);
  Tensor r = fresh3(a);
  Tensor tau = make_empty({r.size(0), k}, a.dtype(), a.device());
  if (r.numel() > 0) geqrf_stub(a.device())(r, tau);
  return {view(r, a.sizes()), view(tau, with(batch, {k}))};
}

Tensor linalg_householder_product(const Tensor& a, const Tensor& tau) {
  const char* fn = "torch.linalg.householder_product";
  PE_CHECK(a.dim() >= 2, fn, ": input must have at least 2 dimensions.");
  PE_CHECK(a.size(-2) >= a.size(-1), fn, ": input.shape[-2] must be greater than or equal to input.shape[-1]");
  PE_CHECK(a.size(-1) >= tau.size(-1), fn, ": input.shape[-1] must be greater than or equal to tau.shape[-1]");
  PE_CHECK(a.dim() - tau.dim() == 1, fn, ": Expected tau to have one dimension less than input, but got tau.ndim equal to ",
           tau.dim(), " and input.ndim is equal to ", a.dim());
  for (int64_t d = 0; d < tau.dim() - 1; ++d)
    PE_CHECK(a.size(d) == tau.size(d), fn, ": Expected batch dimensions of tau to be equal to input.shape[:-2], but got ",
             str(tau.sizes()));
  check_factor_dtype(a, fn);
  PE_CHECK(a.dtype() == tau.dtype(), fn, ": tau dtype ", scalar_type_name(tau.dtype()),
           " does not match input dtype ", scalar_type_name(a.dtype()));
  check_same_device(a, tau);
  Tensor q = fresh3(a);
  Tensor t = view(contiguous_copy(tau), {q.size(0), tau.size(-1)});
  if (q.numel() > 0) orgqr_stub(a.device())(q, t);
  return view(q, a.sizes());
}

std::tuple<Tensor, Tensor> linalg_eigh(const Tensor& a, const std::string& uplo, bool compute_v) {
  const char* fn = compute_v ? "linalg.eigh" : "linalg.eigvalsh";
  PE_CHECK(uplo == "L" || uplo == "U" || uplo == "l" || uplo == "u",
           "Expected UPLO argument to be 'L' or 'U', but got ", uplo);
  check_factor_dtype(a, fn);
  check_square(a, fn);
  const int64_t n = a.size(-1);
  const DimVector batch = batch_of(a);
  // Only the chosen triangle is read (LAPACK syevd): mirror it over the diagonal.
  const bool lower = uplo == "L" || uplo == "l";
  Tensor tri = lower ? tril(a, 0) : triu(a, 0);
  Tensor sym = sub(add(tri, transpose(tri, -2, -1)), diag_embed(diagonal(a, 0, -2, -1), 0, -2, -1));
  Tensor s3 = fresh3(sym);
  Tensor w = make_empty({s3.size(0), n}, a.dtype(), a.device()), v;
  if (compute_v) v = make_empty({s3.size(0), n, n}, a.dtype(), a.device());
  if (s3.numel() > 0) eigh_stub(a.device())(s3, w, v);
  return {view(w, with(batch, {n})), compute_v ? view(v, a.sizes()) : Tensor()};
}

std::tuple<Tensor, Tensor, Tensor> linalg_lu_factor_ex(const Tensor& a) {
  PE_CHECK(a.dim() >= 2, "torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: ", str(a.sizes()),
           " instead");
  check_factor_dtype(a, "linalg.lu_factor");
  const int64_t m = a.size(-2), n = a.size(-1), k = std::min(m, n);
  const DimVector batch = batch_of(a);
  Tensor lu = fresh3(a);
  Tensor piv = make_empty({lu.size(0), k}, DType::Int64, a.device());
  Tensor info = zeros({lu.size(0)}, TensorOptions{DType::Int64, a.device()});
  if (lu.numel() > 0) lu_stub(a.device())(lu, piv, info);
  else if (piv.numel() > 0) copy_(piv, expand(arange(Scalar(int64_t(0)), Scalar(k), Scalar(int64_t(1)),
                                                    TensorOptions{DType::Int64, a.device()}), {lu.size(0), k}));
  Tensor piv1 = view(to(add(piv, Scalar(int64_t(1))), DType::Int32, std::nullopt), with(batch, {k}));
  return {view(lu, a.sizes()), piv1, info_shaped(info, batch)};
}

}  // namespace pe
