// The LU-based ops: linalg.inv (torch.inverse), linalg.det, linalg.slogdet, logdet and
// linalg.solve (batched, with PyTorch's vector-or-matrix rule for B and left=False), on our own LU
// with partial pivoting. Singular matrices behave as PyTorch: inv/solve raise LinAlgError naming
// the batch element, det gives 0, slogdet gives (0, -inf).
#include "core/shape.h"
#include "ops/linalg.h"
#include "ops/linalg_stubs.h"
#include "ops/linalg_util.h"

namespace pe {

using namespace linalg;

namespace {

struct LuFactors {
  Tensor lu, pivots, info;  // (B, n, n), (B, n), (B)
};

// Factors a (B, n, n) batch; `a3` must be a fresh contiguous tensor (it is overwritten).
LuFactors lu_factor_(const Tensor& a3) {
  const int64_t batch = a3.size(0), n = a3.size(1);
  LuFactors f{a3, make_empty({batch, n}, DType::Int64, a3.device()), make_empty({batch}, DType::Int64, a3.device())};
  if (batch > 0) lu_stub(a3.device())(f.lu, f.pivots, f.info);
  return f;
}

// A batch of square matrices as a fresh contiguous (B, n, n) tensor.
Tensor fresh_batch(const Tensor& a) {
  const int64_t n = a.size(-1);
  int64_t batch = 1;
  for (int64_t d = 0; d < a.dim() - 2; ++d) batch *= a.size(d);
  return view(contiguous_copy(a), {batch, n, n});
}

// The first batch element whose factorization hit an exact zero pivot, or -1.
int64_t first_singular(const LuFactors& f, int64_t* info_value) {
  if (f.info.device().is_meta()) return -1;  // no values, so no failed factorization (as PyTorch's meta)
  Tensor info = to(f.info, std::nullopt, Device());  // host copy for CUDA tensors
  const int64_t* p = info.data_ptr<int64_t>();
  for (int64_t b = 0; b < info.numel(); ++b)
    if (p[b] > 0) {
      *info_value = p[b];
      return b;
    }
  return -1;
}

std::string batch_prefix(const Tensor& a, int64_t b) {
  return a.dim() > 2 ? str("(Batch element ", b, "): ") : std::string();
}

DimVector batch_shape(const Tensor& a) { return DimVector(a.sizes().begin(), a.sizes().end() - 2); }

// det, (sign, logabsdet) or logdet of a batch, shaped like a's batch dims.
std::tuple<Tensor, Tensor, Tensor> det_parts(const Tensor& a, const char* fn, bool want_det, bool want_slog,
                                             bool real_log) {
  PE_CHECK(is_floating(a.dtype()), fn, ": Expected a floating point or complex tensor as input. Got ",
           scalar_type_name(a.dtype()));
  PE_CHECK_T(NotImplementedError, a.dtype() == DType::Float32 || a.dtype() == DType::Float64,
             "\"lu_cpu\" not implemented for '", scalar_type_name(a.dtype()), "'");
  check_square(a, fn);
  LuFactors f = lu_factor_(fresh_batch(a));
  const int64_t batch = f.lu.size(0);
  Tensor det, sign, logabs;
  if (want_det) det = make_empty({batch}, a.dtype(), a.device());
  if (want_slog) sign = make_empty({batch}, a.dtype(), a.device());
  if (want_slog || real_log) logabs = make_empty({batch}, a.dtype(), a.device());
  if (batch > 0) lu_det_stub(a.device())(f.lu, f.pivots, det, sign, logabs, real_log);
  DimVector bs = batch_shape(a);
  return {det.defined() ? view(det, bs) : det, sign.defined() ? view(sign, bs) : sign,
          logabs.defined() ? view(logabs, bs) : logabs};
}

// Solves A X = B for square A (..., n, n) and B (..., n, k), batch dims broadcast.
Tensor solve_left(const Tensor& a, const Tensor& b, const char* fn, bool inv_message) {
  DimVector batch = broadcast_shapes(batch_shape(a), batch_shape(b));
  const int64_t n = a.size(-1), k = b.size(-1);
  DimVector as = batch, bsz = batch;
  as.insert(as.end(), {n, n});
  bsz.insert(bsz.end(), {n, k});
  Tensor a3 = fresh_batch(expand(a, as));
  Tensor x = contiguous_copy(expand(b, bsz));
  LuFactors f = lu_factor_(a3);
  int64_t info = 0;
  const int64_t bad = first_singular(f, &info);
  if (bad >= 0) {
    const Tensor& shaped = a.dim() >= b.dim() ? a : b;
    if (inv_message)
      throw LinAlgError(str(fn, ": ", batch_prefix(shaped, bad), "The diagonal element ", info,
                            " is zero, the inversion could not be completed because the input matrix is singular."));
    throw LinAlgError(str("torch.", fn, ": ", batch_prefix(shaped, bad),
                          "The solver failed because the input matrix is singular."));
  }
  if (x.numel() > 0) lu_solve_stub(a.device())(f.lu, f.pivots, view(x, {a3.size(0), n, k}));
  return x;
}

}  // namespace

Tensor linalg_inv(const Tensor& a) {
  check_factor_dtype(a, "linalg.inv");
  check_square(a, "linalg.inv");
  const int64_t n = a.size(-1);
  Tensor eye_n = eye(n, n, TensorOptions{a.dtype(), a.device()});
  return solve_left(a, eye_n, "linalg.inv", /*inv_message=*/true);
}

Tensor linalg_det(const Tensor& a) { return std::get<0>(det_parts(a, "linalg.det", true, false, false)); }

std::tuple<Tensor, Tensor> linalg_slogdet(const Tensor& a) {
  auto parts = det_parts(a, "linalg.slogdet", false, true, false);
  return {std::get<1>(parts), std::get<2>(parts)};
}

Tensor logdet(const Tensor& a) { return std::get<2>(det_parts(a, "logdet", false, false, true)); }

Tensor linalg_solve(const Tensor& a, const Tensor& b, bool left) {
  check_factor_dtype(a, "linalg.solve");
  check_square(a, "linalg.solve");
  PE_CHECK(a.dtype() == b.dtype(), "linalg.solve: Expected A and B to have the same dtype, but found A of type ",
           scalar_type_name(a.dtype()), " and B of type ", scalar_type_name(b.dtype()), " instead");
  check_same_device(a, b);
  // PyTorch's rule: B is a (batch of) vector(s) when it is 1-D or has exactly A's batch-of-rows shape.
  const bool vector_case =
      b.dim() == 1 || (b.dim() == a.dim() - 1 && DimVector(b.sizes()) == DimVector(a.sizes().begin(), a.sizes().end() - 1));
  Tensor b2 = vector_case ? unsqueeze(b, -1) : b;
  PE_CHECK(b2.dim() >= 2, "linalg.solve: The input tensor B must have at least 1 dimensions.");
  const int64_t n = a.size(-1);
  const bool ok = left ? b2.size(-2) == n : b2.size(-1) == n;
  PE_CHECK(ok, "linalg.solve: Incompatible shapes of A and B for the equation ", left ? "AX = B" : "XA = B", " (",
           a.size(-2), "x", a.size(-1), " and ", b2.size(-2), "x", b2.size(-1), ")");
  Tensor x = left ? solve_left(a, b2, "linalg.solve", false)
                  : transpose(solve_left(transpose(a, -2, -1), transpose(b2, -2, -1), "linalg.solve", false), -2, -1);
  return vector_case ? squeeze(x, DimVector{-1}) : x;
}

}  // namespace pe
