// var/std (+ their _mean forms), the vector norm, dist and logsumexp: dtype checks, PyTorch's
// results on empty inputs, and the kernel call through a ReduceGeom.
#include <cmath>
#include <limits>
#include <sstream>

#include "ops/ops.h"
#include "ops/reduce.h"
#include "ops/reduce_stubs.h"

namespace pe {

DispatchStub<VarFn> var_stub("var");
DispatchStub<NormFn> norm_stub("norm");
DispatchStub<LogsumexpFn> logsumexp_stub("logsumexp");

using namespace reduce_detail;

namespace {

std::string type_word(DType t) {
  std::string s = legacy_type_name(t);
  return s.substr(0, s.size() - 6);
}

// std/var/vector_norm check their dims one at a time, so a repeat raises before a later
// out-of-range dim does (the other reductions wrap every dim first: reduce_mask).
std::vector<bool> reduce_mask_in_order(const Tensor& x, const OptDims& dim) {
  if (dim) {
    std::vector<bool> seen(std::max<int64_t>(x.dim(), 1), false);
    for (int64_t d : *dim) {
      const int64_t w = wrap_dim(d, x.dim());
      PE_CHECK(!seen[w], "dim ", w, " appears multiple times in the list of dims");
      seen[w] = true;
    }
  }
  return reduce_mask(x, dim);
}

// PyTorch prints p as a Python float would ("inf", "-1", "0.5").
std::string p_str(double p) {
  if (std::isinf(p)) return p > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os << p;
  return os.str();
}

std::pair<Tensor, Tensor> var_impl(const Tensor& x, const OptDims& dim, double correction, bool keepdim,
                                   bool take_sqrt, bool want_mean) {
  PE_CHECK(is_floating(x.dtype()), "std and var only support floating point and complex dtypes");
  auto mask = reduce_mask_in_order(x, dim);
  DimVector shape = reduced_shape(x, mask, keepdim);
  Tensor out = make_empty(shape, x.dtype(), x.device());
  Tensor mean = want_mean ? make_empty(shape, x.dtype(), x.device()) : Tensor();
  if (out.numel() == 0) return {out, mean};
  if (x.numel() == 0) {
    fill_(out, Scalar(std::nan("")));
    if (want_mean) fill_(mean, Scalar(std::nan("")));
    return {out, mean};
  }
  with_geom(x, mask, false, [&](const ReduceGeom& g, const Tensor& in) {
    var_stub(x.device())(g, in, out, mean, correction, take_sqrt);
  });
  return {out, mean};
}

}  // namespace

Tensor var(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  return var_impl(x, dim, correction, keepdim, false, false).first;
}
Tensor std(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  return var_impl(x, dim, correction, keepdim, true, false).first;
}
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  return var_impl(x, dim, correction, keepdim, false, true);
}
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  return var_impl(x, dim, correction, keepdim, true, true);
}

Tensor norm(const Tensor& x, double p, const OptDims& dim, bool keepdim, OptDType dtype) {
  if (is_complex(x.dtype())) {  // the norm of the moduli (a real result), as PyTorch
    PE_CHECK(!dtype || is_complex(*dtype), "linalg.vector_norm: dtype should be complex for a complex input, got ",
             type_word(*dtype));
    return norm(abs(dtype ? to(x, *dtype, std::nullopt) : x), p, dim, keepdim, std::nullopt);
  }
  PE_CHECK(is_floating(x.dtype()), "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ",
           type_word(x.dtype()));
  PE_CHECK(!dtype || is_floating(*dtype), "linalg.vector_norm: dtype should be floating point or complex. Got ",
           type_word(*dtype));
  Tensor in = dtype ? to(x, *dtype, std::nullopt) : x;
  auto mask = reduce_mask_in_order(in, dim);
  Tensor out = make_empty(reduced_shape(in, mask, keepdim), in.dtype(), in.device());
  // Negative p and +-inf have no identity: PyTorch refuses empty reductions for them.
  if (in.numel() == 0 && (p < 0 || std::isinf(p))) {
    PE_CHECK(dim && !dim->empty(), "linalg.vector_norm cannot compute the ", p_str(p),
             " norm on an empty tensor because the operation does not have an identity");
    int64_t d = empty_reduced_dim(in, mask);
    PE_CHECK(d < 0, "linalg.vector_norm cannot compute the ", p_str(p), " norm on the dimension ", d,
             "because this dimension is empty and the operation does not have an identity");
  }
  if (out.numel() == 0) return out;
  if (in.numel() == 0) return fill_(out, Scalar(0.0));
  with_geom(in, mask, false, [&](const ReduceGeom& g, const Tensor& t) { norm_stub(in.device())(g, t, out, p); });
  return out;
}

Tensor dist(const Tensor& a, const Tensor& b, double p) {
  DType dt = result_type(a, b);
  PE_CHECK(is_floating(dt), "norm(): input dtype should be either floating point or complex. Got ", type_word(dt),
           " instead.");
  return norm(sub(a, b), p);
}

Tensor logsumexp(const Tensor& x, const DimVector& dim, bool keepdim) {
  PE_CHECK_T(NotImplementedError, !is_complex(x.dtype()), "\"logsumexp\" not implemented for '",
             scalar_type_name(x.dtype()), "'");
  Tensor in = is_floating(x.dtype()) ? x : to(x, default_dtype(), std::nullopt);
  auto mask = reduce_mask(in, dim);
  Tensor out = make_empty(reduced_shape(in, mask, keepdim), in.dtype(), in.device());
  if (out.numel() == 0) return out;
  if (in.numel() == 0) return fill_(out, Scalar(-std::numeric_limits<double>::infinity()));
  with_geom(in, mask, false, [&](const ReduceGeom& g, const Tensor& t) { logsumexp_stub(in.device())(g, t, out); });
  return out;
}

}  // namespace pe
