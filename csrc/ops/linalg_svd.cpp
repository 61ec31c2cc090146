// The SVD ops: torch.linalg.svd (U, S, Vh; full_matrices), torch.linalg.svdvals and torch.svd
// (U, S, V; some, compute_uv), on the one-sided Jacobi kernels (cpu/linalg_kernel_svd.cpp,
// cuda/linalg_eig.cu).
#include "ops/linalg.h"
#include "ops/linalg_stubs.h"
#include "ops/linalg_util.h"

namespace pe {

using namespace linalg;

namespace {

void check_svd_input(const Tensor& a) {
  PE_CHECK(is_floating(a.dtype()), "linalg.svd: Expected a floating point or complex tensor as input. Got ",
           scalar_type_name(a.dtype()));
  PE_CHECK_T(NotImplementedError, a.dtype() == DType::Float32 || a.dtype() == DType::Float64,
             "\"linalg_svd_cpu\" not implemented for '", scalar_type_name(a.dtype()), "'");
}

DimVector with(DimVector batch, std::initializer_list<int64_t> tail) {
  batch.insert(batch.end(), tail);
  return batch;
}

// (U, S, Vh) or, without vectors, (undefined, S, undefined).
std::tuple<Tensor, Tensor, Tensor> svd_impl(const Tensor& a, bool full_matrices, bool compute_uv) {
  const int64_t m = a.size(-2), n = a.size(-1), k = std::min(m, n);
  DimVector batch(a.sizes().begin(), a.sizes().end() - 2);
  int64_t nb = 1;
  for (int64_t b : batch) nb *= b;
  Tensor a3 = view(contiguous(a), {nb, m, n});
  const int64_t ucols = full_matrices ? m : k, vrows = full_matrices ? n : k;
  Tensor s = make_empty({nb, k}, a.dtype(), a.device()), u, vh;
  if (compute_uv) {
    u = make_empty({nb, m, ucols}, a.dtype(), a.device());
    vh = make_empty({nb, vrows, n}, a.dtype(), a.device());
  }
  if (nb > 0) svd_stub(a.device())(a3, u, s, vh);
  s = view(s, with(batch, {k}));
  if (!compute_uv) return {Tensor(), s, Tensor()};
  return {view(u, with(batch, {m, ucols})), s, view(vh, with(batch, {vrows, n}))};
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& a, bool full_matrices) {
  PE_CHECK(a.dim() >= 2, "linalg.svd: The input tensor A must have at least 2 dimensions.");
  check_svd_input(a);
  return svd_impl(a, full_matrices, true);
}

Tensor linalg_svdvals(const Tensor& a) {
  PE_CHECK(a.dim() >= 2, "linalg.svdvals: The input tensor A must have at least 2 dimensions.");
  check_svd_input(a);
  return std::get<1>(svd_impl(a, false, false));
}

std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& a, bool some, bool compute_uv) {
  PE_CHECK(a.dim() >= 2, "linalg.svd: input should have at least 2 dimensions, but has ", a.dim(),
           " dimensions instead");
  check_svd_input(a);
  const int64_t m = a.size(-2), n = a.size(-1);
  DimVector batch(a.sizes().begin(), a.sizes().end() - 2);
  if (!compute_uv) {  // PyTorch returns zero-filled U (m x m) and V (n x n) then
    Tensor s = std::get<1>(svd_impl(a, false, false));
    TensorOptions opt{a.dtype(), a.device()};
    return {zeros(with(batch, {m, m}), opt), s, zeros(with(batch, {n, n}), opt)};
  }
  auto [u, s, vh] = svd_impl(a, !some, true);
  return {u, s, transpose(vh, -2, -1)};
}

}  // namespace pe
