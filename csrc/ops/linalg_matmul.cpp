// The matrix products: mm, bmm, matmul (PyTorch's 1-D, folding and batch-broadcast rules), mv, dot,
// vdot, outer. Every product runs through bmm_out, which computes float16/bfloat16 in float32 (on CUDA:
// the kernel's float32 accumulation) and hands the kernel an output with a unit stride in one matrix dim. Also: the linalg kernel tables
// and the helpers of ops/linalg_util.h.
#include "core/shape.h"
#include "ops/linalg.h"
#include "ops/linalg_stubs.h"
#include "ops/linalg_util.h"
#include "ops/view_dtype.h"

namespace pe {

DispatchStub<BmmFn> bmm_stub("bmm");
DispatchStub<TriFn> tri_stub("tril/triu");
DispatchStub<CrossFn> cross_stub("cross");
DispatchStub<TraceFn> trace_stub("trace");
DispatchStub<LuFn> lu_stub("linalg.lu_factor");
DispatchStub<LuSolveFn> lu_solve_stub("linalg.lu_solve");
DispatchStub<LuDetFn> lu_det_stub("linalg.det");
DispatchStub<SvdFn> svd_stub("linalg.svd");

namespace linalg {

void check_not_bool(DType t, const char* name) {
  PE_CHECK_T(NotImplementedError, t != DType::Bool, "\"", name, "\" not implemented for 'Bool'");
}

void check_factor_dtype(const Tensor& t, const char* fn) {
  PE_CHECK(is_floating(t.dtype()), fn, ": Expected a floating point or complex tensor as input. Got ",
           scalar_type_name(t.dtype()));
  PE_CHECK(t.dtype() == DType::Float32 || t.dtype() == DType::Float64, fn,
           ": Low precision dtypes not supported. Got ", scalar_type_name(t.dtype()));
}

void check_square(const Tensor& t, const char* fn, const char* arg) {
  PE_CHECK(t.dim() >= 2, fn, ": The input tensor ", arg, " must have at least 2 dimensions.");
  PE_CHECK(t.size(-1) == t.size(-2), fn, ": ", arg, " must be batches of square matrices, but they are ",
           t.size(-2), " by ", t.size(-1), " matrices");
}

Tensor as_batched3(const Tensor& t) {
  const int64_t nd = t.dim();
  int64_t batch = 1;
  for (int64_t d = 0; d < nd - 2; ++d) batch *= t.size(d);
  DimVector shape{batch, t.size(-2), t.size(-1)};
  if (nd == 3) return t;
  if (auto st = view_strides(t.sizes(), t.strides(), shape)) return make_view(t, shape, *st, t.storage_offset());
  return view(contiguous_copy(t), shape);
}

bool is_zero(const Scalar& s) { return s.to_double() == 0.0; }

void bmm_out(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta);

// The real (part = 0) or imaginary (part = 1) part of a complex tensor, contiguous.
Tensor part(const Tensor& z, int64_t p) { return contiguous_copy(select(view_as_real(z), -1, p)); }

// Complex products on the real GEMM (Note [Complex dtypes]): (A + iB)(C + iD) = (AC - BD) + i(AD + BC),
// four real GEMMs, then out = alpha * product + beta * out in complex arithmetic.
void complex_bmm_out(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta) {
  const Tensor ar = part(a, 0), ai = part(a, 1), br = part(b, 0), bi = part(b, 1);
  const DType rt = to_real_dtype(out.dtype());
  Tensor prod = make_empty(DimVector{out.size(0), out.size(1), out.size(2), 2}, rt, out.device());
  Tensor re = select(prod, -1, 0), im = select(prod, -1, 1);
  Tensor t1 = make_empty(out.sizes(), rt, out.device()), t2 = make_empty(out.sizes(), rt, out.device());
  bmm_out(t1, ar, br, Scalar(int64_t(1)), Scalar(int64_t(0)));
  bmm_out(t2, ai, bi, Scalar(int64_t(1)), Scalar(int64_t(0)));
  copy_(re, sub(t1, t2));
  bmm_out(t1, ar, bi, Scalar(int64_t(1)), Scalar(int64_t(0)));
  bmm_out(t2, ai, br, Scalar(int64_t(1)), Scalar(int64_t(0)));
  copy_(im, add(t1, t2));
  Tensor r = view_as_complex(prod);
  if (!(alpha.to_complex() == std::complex<double>(1.0, 0.0))) r = mul(r, alpha);
  if (!is_zero(beta) || beta.to_complex().imag() != 0) r = add(r, mul(out, beta));
  Tensor dst = out;
  copy_(dst, r);
}

void bmm_out(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta) {
  if (out.numel() == 0) return;
  const DType dt = out.dtype();
  if (is_complex(dt)) return complex_bmm_out(out, a, b, alpha, beta);
  const bool beta0 = is_zero(beta);
  // float16/bfloat16: on CUDA the tensor-core GEMM reads them and accumulates in float32 (Note [CUDA
  // tensor-core GEMM]); elsewhere computed in float32, as PyTorch's opmath.
  if ((dt == DType::Float16 || dt == DType::BFloat16) && !out.device().is_cuda()) {
    Tensor o = beta0 ? make_empty(out.sizes(), DType::Float32, out.device()) : to(out, DType::Float32, std::nullopt);
    bmm_out(o, to(a, DType::Float32, std::nullopt), to(b, DType::Float32, std::nullopt), alpha, beta);
    Tensor dst = out;
    copy_(dst, o);
    return;
  }
  const bool unit = out.size(1) == 1 || out.size(2) == 1 || out.stride(2) == 1 || out.stride(1) == 1;
  if (!unit || out.stride(0) == 0) {  // an output layout the GEMM cannot write: go through a copy
    Tensor tmp = beta0 ? make_empty(out.sizes(), dt, out.device()) : contiguous_copy(out);
    bmm_stub(out.device())(tmp, a, b, alpha, beta);
    Tensor dst = out;
    copy_(dst, tmp);
    return;
  }
  bmm_stub(out.device())(out, a, b, alpha, beta);
}

void check_bmm(const Tensor& a, const Tensor& b) {
  PE_CHECK(a.dim() == 3, "batch1 must be a 3D tensor");
  PE_CHECK(b.dim() == 3, "batch2 must be a 3D tensor");
  PE_CHECK(b.size(0) == a.size(0) && b.size(1) == a.size(2),
           "Expected size for first two dimensions of batch2 tensor to be: [", a.size(0), ", ", a.size(2),
           "] but got: [", b.size(0), ", ", b.size(1), "].");
}

}  // namespace linalg

using namespace linalg;

namespace {

// A 1-D tensor as a (1, 1, n) row or an (1, n, 1) column, as views.
Tensor as_row3(const Tensor& v) { return unsqueeze(unsqueeze(v, 0), 0); }
Tensor as_col3(const Tensor& v) { return unsqueeze(unsqueeze(v, 0), 2); }

void check_mm_dtypes(const Tensor& a, const Tensor& b) {
  PE_CHECK(a.dtype() == b.dtype(), "expected m1 and m2 to have the same dtype, but got: ", cpp_type_name(a.dtype()),
           " != ", cpp_type_name(b.dtype()));
}

void check_dot(const Tensor& a, const Tensor& b) {
  PE_CHECK(a.dim() == 1 && b.dim() == 1, "1D tensors expected, but got ", a.dim(), "D and ", b.dim(), "D tensors");
  PE_CHECK(a.dtype() == b.dtype(), "dot : expected both vectors to have same dtype, but found ",
           scalar_type_name(a.dtype()), " and ", scalar_type_name(b.dtype()));
  PE_CHECK(a.numel() == b.numel(), "inconsistent tensor size, expected tensor [", a.numel(), "] and src [", b.numel(),
           "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(), " elements respectively");
  check_same_device(a, b);
  check_not_bool(a.dtype(), "dot");
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  PE_CHECK(a.dim() == 2, "self must be a matrix");
  PE_CHECK(b.dim() == 2, "mat2 must be a matrix");
  check_mm_dtypes(a, b);
  PE_CHECK(a.size(1) == b.size(0), "mat1 and mat2 shapes cannot be multiplied (", a.size(0), "x", a.size(1), " and ",
           b.size(0), "x", b.size(1), ")");
  check_same_device(a, b);
  check_not_bool(a.dtype(), "addmm_impl_cpu_");
  Tensor out = make_empty({a.size(0), b.size(1)}, a.dtype(), a.device());
  bmm_out(unsqueeze(out, 0), unsqueeze(a, 0), unsqueeze(b, 0), Scalar(int64_t(1)), Scalar(int64_t(0)));
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_bmm(a, b);
  PE_CHECK(a.dtype() == b.dtype(), "expected scalar type ", scalar_type_name(a.dtype()), " but found ",
           scalar_type_name(b.dtype()));
  check_same_device(a, b);
  check_not_bool(a.dtype(), "bmm");
  Tensor out = make_empty({a.size(0), a.size(1), b.size(2)}, a.dtype(), a.device());
  bmm_out(out, a, b, Scalar(int64_t(1)), Scalar(int64_t(0)));
  return out;
}

Tensor mv(const Tensor& mat, const Tensor& vec) {
  PE_CHECK(mat.dim() == 2 && vec.dim() == 1, "vector + matrix @ vector expected, got 1, ", mat.dim(), ", ", vec.dim());
  PE_CHECK(mat.size(1) == vec.size(0), "size mismatch, got input (", mat.size(0), "), mat (", mat.size(0), "x",
           mat.size(1), "), vec (", vec.size(0), ")");
  PE_CHECK(mat.dtype() == vec.dtype(), "addmv input tensors must have the same dtype, but got ",
           scalar_type_name(promote_types(mat.dtype(), vec.dtype())), ", ", scalar_type_name(mat.dtype()), ", and ",
           scalar_type_name(vec.dtype()));
  check_same_device(mat, vec);
  check_not_bool(mat.dtype(), "addmv_impl_cpu");
  Tensor out = make_empty({mat.size(0)}, mat.dtype(), mat.device());
  bmm_out(as_col3(out), unsqueeze(mat, 0), as_col3(vec), Scalar(int64_t(1)), Scalar(int64_t(0)));
  return out;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_dot(a, b);
  Tensor out = make_empty({}, a.dtype(), a.device());
  bmm_out(view(out, {1, 1, 1}), as_row3(a), as_col3(b), Scalar(int64_t(1)), Scalar(int64_t(0)));
  return out;
}

// vdot conjugates its first argument (a no-op for real tensors).
Tensor vdot(const Tensor& a, const Tensor& b) {
  if (!is_complex(a.dtype())) return dot(a, b);
  check_dot(a, b);
  Tensor ac = contiguous_copy(a);
  Tensor im = select(view_as_real(ac), -1, 1);
  neg_(im);
  return dot(ac, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  PE_CHECK(a.dim() == 1, "outer: Expected 1-D argument self, but got ", a.dim(), "-D");
  PE_CHECK(b.dim() == 1, "outer: Expected 1-D argument vec2, but got ", b.dim(), "-D");
  return mul(unsqueeze(a, 1), b);  // as PyTorch: a broadcast product, with type promotion
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const int64_t da = a.dim(), db = b.dim();
  PE_CHECK(da > 0 && db > 0, "both arguments to matmul need to be at least 1D, but they are ", da, "D and ", db, "D");
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mv(a, b);
  if (da == 1 && db == 2) {
    check_mm_dtypes(a, b);
    return squeeze(mm(unsqueeze(a, 0), b), DimVector{0});
  }
  if (da == 2 && db == 2) return mm(a, b);
  if (da >= 3 && db <= 2) {  // fold a's batch dims into its rows: one big GEMM
    DimVector out_shape(a.sizes().begin(), a.sizes().end() - 1);
    int64_t rows = 1;  // not -1: with k == 0 the row count cannot be inferred from numel
    for (int64_t s : out_shape) rows *= s;
    Tensor folded = reshape(a, {rows, a.size(-1)});
    if (db == 1) return view(mv(folded, b), out_shape);
    out_shape.push_back(b.size(1));
    return view(mm(folded, b), out_shape);
  }
  // Batched: 1-D operands become a row/column, batch dims broadcast, the product runs as one bmm.
  Tensor a2 = da == 1 ? unsqueeze(a, 0) : a, b2 = db == 1 ? unsqueeze(b, 1) : b;
  DimVector ba(a2.sizes().begin(), a2.sizes().end() - 2), bb(b2.sizes().begin(), b2.sizes().end() - 2);
  DimVector batch = broadcast_shapes(ba, bb);
  const int64_t n = a2.size(-2), k = a2.size(-1), k2 = b2.size(-2), p = b2.size(-1);
  DimVector ea = batch, eb = batch;
  ea.insert(ea.end(), {n, k});
  eb.insert(eb.end(), {k2, p});
  Tensor a3 = as_batched3(expand(a2, ea)), b3 = as_batched3(expand(b2, eb));
  Tensor out3 = bmm(a3, b3);
  DimVector out_shape = batch;
  if (da > 1) out_shape.push_back(n);
  if (db > 1) out_shape.push_back(p);
  return view(out3, out_shape);
}

}  // namespace pe
