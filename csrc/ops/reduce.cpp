// Sums, products, extremes and logical reductions: dim handling, PyTorch's dtype rules (integer
// sums into int64, mean of floats only), empty inputs, and the kernel call through a ReduceGeom.
#include "ops/reduce.h"

#include <cmath>
#include <string>

#include "ops/elementwise.h"
#include "ops/ops.h"
#include "ops/reduce_stubs.h"
#include "ops/view_dtype.h"

namespace pe {

DispatchStub<ReduceFn> sum_stub("sum");
DispatchStub<ReduceFn> minmax_stub("amax");
DispatchStub<ReduceFn> logical_stub("all");
DispatchStub<ArgReduceFn> arg_reduce_stub("argmax");

namespace reduce_detail {

std::vector<bool> reduce_mask(const Tensor& x, const OptDims& dim) {
  const int64_t nd = x.dim();
  if (!dim || dim->empty()) return std::vector<bool>(nd, true);
  // PyTorch's dim lists are 64-bit masks (dim_list_to_bitset): an explicit dim on more dims is refused
  PE_CHECK(nd <= 64, "only tensors with up to 64 dims are supported");
  // Every dim is wrapped (IndexError) before duplicates are looked for, as PyTorch's reductions
  // do; std/var/vector_norm check each dim in turn instead (reduce_stats.cpp).
  for (int64_t d : *dim) wrap_dim(d, nd);
  std::vector<bool> mask(nd, false), seen(std::max<int64_t>(nd, 1), false);
  for (int64_t d : *dim) {
    int64_t w = wrap_dim(d, nd);
    PE_CHECK(!seen[w], "dim ", w, " appears multiple times in the list of dims");
    seen[w] = true;
    if (nd > 0) mask[w] = true;
  }
  return mask;
}

DimVector reduced_shape(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
  DimVector s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (!mask[d]) s.push_back(x.size(d));
    else if (keepdim) s.push_back(1);
  }
  return s;
}

void with_geom(const Tensor& x, const std::vector<bool>& mask, bool order_matters,
               const std::function<void(const ReduceGeom&, const Tensor&)>& f) {
  ReduceGeom g = make_reduce_geom(x.sizes(), x.strides(), mask, order_matters);
  if (g.kind != ReduceGeom::Kind::NeedsCopy) {
    f(g, x);
    return;
  }
  DimVector perm;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!mask[d]) perm.push_back(d);
  const size_t nkept = perm.size();
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask[d]) perm.push_back(d);
  Tensor y = contiguous_copy(permute(x, perm));
  std::vector<bool> m2(x.dim(), false);
  for (size_t i = nkept; i < m2.size(); ++i) m2[i] = true;
  f(make_reduce_geom(y.sizes(), y.strides(), m2, order_matters), y);
}

int64_t empty_reduced_dim(const Tensor& x, const std::vector<bool>& mask) {
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask[d] && x.size(d) == 0) return d;
  return -1;
}

}  // namespace reduce_detail

using namespace reduce_detail;

namespace {

// PyTorch's ScalarType spelling in messages: "Long", "Float", ...
std::string type_word(DType t) {
  std::string s = legacy_type_name(t);
  return s.substr(0, s.size() - 6);
}

const DispatchStub<ReduceFn>& stub_for(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: case ReduceOp::Mean: case ReduceOp::Prod: return sum_stub;
    case ReduceOp::Amax: case ReduceOp::Amin: return minmax_stub;
    default: return logical_stub;
  }
}

// Allocates the output, handles empty inputs (identity fill) and runs the kernel.
Tensor run(const Tensor& x, const std::vector<bool>& mask, bool keepdim, ReduceOp op, DType out_dtype);

// Sums and means are linear: a complex one is the real one over view_as_real (the (re, im) dim kept).
Tensor run_complex(const Tensor& x, const std::vector<bool>& mask, bool keepdim, ReduceOp op, DType out_dtype,
                   const char* name) {
  PE_CHECK_T(NotImplementedError, op == ReduceOp::Sum || op == ReduceOp::Mean, "\"", name,
             "\" not implemented for '", scalar_type_name(x.dtype()), "'");
  PE_CHECK(out_dtype == x.dtype(), name, "(): the dtype of a complex input's reduction must be its own (",
           dtype_name(x.dtype()), "), got ", dtype_name(out_dtype));
  std::vector<bool> m = mask;
  m.push_back(false);
  return view_as_complex(run(view_as_real(x), m, keepdim, op, to_real_dtype(out_dtype)));
}

Tensor run(const Tensor& x, const std::vector<bool>& mask, bool keepdim, ReduceOp op, DType out_dtype) {
  static const char* names[] = {"sum_cpu", "mean", "prod_cpu", "amax", "amin", "all", "any", "count_nonzero"};
  if (is_complex(x.dtype())) return run_complex(x, mask, keepdim, op, out_dtype, names[(int)op]);
  Tensor out = make_empty(reduced_shape(x, mask, keepdim), out_dtype, x.device());
  if (out.numel() == 0) return out;
  if (x.numel() == 0) {
    switch (op) {
      case ReduceOp::Mean: return fill_(out, Scalar(std::nan("")));
      case ReduceOp::Prod: case ReduceOp::All: return fill_(out, Scalar(int64_t(1)));
      default: return fill_(out, Scalar(int64_t(0)));
    }
  }
  const auto& stub = stub_for(op);
  with_geom(x, mask, false, [&](const ReduceGeom& g, const Tensor& in) { stub(x.device())(g, in, out, op); });
  return out;
}

// PyTorch's errors for extremes of empty inputs.
void check_nonempty(const Tensor& x, const std::vector<bool>& mask, bool dim_given, const char* name) {
  if (x.numel() != 0) return;
  PE_CHECK(dim_given, name, "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
           "reduction dim with the 'dim' argument.");
  int64_t d = empty_reduced_dim(x, mask);
  PE_CHECK_INDEX(d < 0, name, "(): Expected reduction dim ", d, " to have non-zero size.");
}

Tensor extreme(const Tensor& x, const OptDims& dim, bool keepdim, bool is_max) {
  auto mask = reduce_mask(x, dim);
  check_nonempty(x, mask, dim && !dim->empty(), is_max ? "amax" : "amin");
  return run(x, mask, keepdim, is_max ? ReduceOp::Amax : ReduceOp::Amin, x.dtype());
}

Tensor extreme_all(const Tensor& x, bool is_max) {
  check_nonempty(x, {}, false, is_max ? "max" : "min");
  return run(x, std::vector<bool>(x.dim(), true), false, is_max ? ReduceOp::Amax : ReduceOp::Amin, x.dtype());
}

std::pair<Tensor, Tensor> extreme_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  auto mask = reduce_mask(x, DimVector{dim});
  if (x.dim() > 0 && x.size(wrap_dim(dim, x.dim())) == 0)
    PE_CHECK_INDEX(false, name, "(): Expected reduction dim ", wrap_dim(dim, x.dim()), " to have non-zero size.");
  DimVector shape = reduced_shape(x, mask, keepdim);
  Tensor values = make_empty(shape, x.dtype(), x.device());
  Tensor indices = make_empty(shape, DType::Int64, x.device());
  if (values.numel() > 0)
    with_geom(x, mask, true, [&](const ReduceGeom& g, const Tensor& in) {
      arg_reduce_stub(x.device())(g, in, values, indices, is_max);
    });
  return {values, indices};
}

Tensor arg_extreme(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  PE_CHECK(x.dtype() != DType::Bool, name, "(): does not support bool input");
  std::vector<bool> mask;
  if (dim) {
    mask = reduce_mask(x, DimVector{*dim});
    int64_t d = empty_reduced_dim(x, mask);
    PE_CHECK_INDEX(d < 0, name, "(): Expected reduction dim ", d, " to have non-zero size.");
  } else {
    PE_CHECK_INDEX(x.numel() > 0, name, "(): Expected reduction dim to be specified for input.numel() == 0.");
    mask.assign(x.dim(), true);
  }
  Tensor indices = make_empty(reduced_shape(x, mask, keepdim), DType::Int64, x.device());
  if (indices.numel() > 0)
    with_geom(x, mask, true, [&](const ReduceGeom& g, const Tensor& in) {
      arg_reduce_stub(x.device())(g, in, Tensor(), indices, is_max);
    });
  return indices;
}

Tensor extremum2(const Tensor& a, const Tensor& b, bool is_max) {
  PE_CHECK(a.device() == b.device(), "Expected all tensors to be on the same device, but found at least two "
           "devices, ", a.device().str(), " and ", b.device().str(), "!");
  DimVector shape = broadcast_shapes(a.sizes(), b.sizes());
  DimVector stacked = {2};
  stacked.insert(stacked.end(), shape.begin(), shape.end());
  Tensor s = make_empty(stacked, result_type(a, b), a.device());
  Tensor s0 = select(s, 0, 0), s1 = select(s, 0, 1);
  copy_(s0, a);
  copy_(s1, b);
  return is_max ? amax(s, DimVector{0}) : amin(s, DimVector{0});
}

DType logical_dtype(const Tensor& x) { return x.dtype() == DType::UInt8 ? DType::UInt8 : DType::Bool; }

}  // namespace

Tensor sum(const Tensor& x, const OptDims& dim, bool keepdim, OptDType dtype) {
  auto mask = reduce_mask(x, dim);
  PE_CHECK(!dtype || is_complex(*dtype) || !is_complex(x.dtype()), "sum(): a complex input cannot be summed into ",
           dtype_name(*dtype), " (the imaginary parts would be dropped)");
  Tensor in = dtype ? to(x, *dtype, std::nullopt) : x;
  DType kdt = is_floating(in.dtype()) || is_complex(in.dtype()) ? in.dtype() : DType::Int64;
  Tensor r = run(in, mask, keepdim, ReduceOp::Sum, kdt);
  return dtype && *dtype != kdt ? to(r, *dtype, std::nullopt) : r;
}

Tensor mean(const Tensor& x, const OptDims& dim, bool keepdim, OptDType dtype) {
  PE_CHECK(dtype || is_floating(x.dtype()) || is_complex(x.dtype()), "mean(): could not infer output dtype. Input "
           "dtype must be either a floating point or complex dtype. Got: ", type_word(x.dtype()));
  PE_CHECK(!dtype || is_floating(*dtype) || is_complex(*dtype), "mean(): could not infer output dtype. Optional "
           "dtype must be either a floating point or complex dtype. Got: ", type_word(*dtype));
  PE_CHECK(!dtype || is_complex(*dtype) || !is_complex(x.dtype()), "mean(): a complex input cannot be averaged "
           "into ", dtype_name(*dtype), " (the imaginary parts would be dropped)");
  auto mask = reduce_mask(x, dim);
  Tensor in = dtype ? to(x, *dtype, std::nullopt) : x;
  return run(in, mask, keepdim, ReduceOp::Mean, in.dtype());
}

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OptDType dtype) {
  auto mask = dim ? reduce_mask(x, DimVector{*dim}) : std::vector<bool>(x.dim(), true);
  PE_CHECK_T(NotImplementedError, !is_complex(x.dtype()), "\"prod_cpu\" not implemented for '", scalar_type_name(x.dtype()), "'");
  Tensor in = dtype ? to(x, *dtype, std::nullopt) : x;
  DType kdt = is_floating(in.dtype()) ? in.dtype() : DType::Int64;
  Tensor r = run(in, mask, dim ? keepdim : false, ReduceOp::Prod, kdt);
  return dtype && *dtype != kdt ? to(r, *dtype, std::nullopt) : r;
}

Tensor amax(const Tensor& x, const OptDims& dim, bool keepdim) { return extreme(x, dim, keepdim, true); }
Tensor amin(const Tensor& x, const OptDims& dim, bool keepdim) { return extreme(x, dim, keepdim, false); }
Tensor max(const Tensor& x) { return extreme_all(x, true); }
Tensor min(const Tensor& x) { return extreme_all(x, false); }
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) { return extreme_dim(x, dim, keepdim, true); }
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) { return extreme_dim(x, dim, keepdim, false); }
Tensor max(const Tensor& a, const Tensor& b) { return extremum2(a, b, true); }
Tensor min(const Tensor& a, const Tensor& b) { return extremum2(a, b, false); }
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(x, dim, keepdim, true); }
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(x, dim, keepdim, false); }

// all/any over an explicitly empty dim list reduce nothing (PyTorch; sum and the others reduce
// every dim): each element is tested on its own.
Tensor each_nonzero(const Tensor& x) {
  return to(ne(x, TensorOrScalar(Scalar(int64_t(0)))), logical_dtype(x), std::nullopt);
}
Tensor all(const Tensor& x, const OptDims& dim, bool keepdim) {
  if (dim && dim->empty()) return each_nonzero(x);
  return run(x, reduce_mask(x, dim), keepdim, ReduceOp::All, logical_dtype(x));
}
Tensor any(const Tensor& x, const OptDims& dim, bool keepdim) {
  if (dim && dim->empty()) return each_nonzero(x);
  return run(x, reduce_mask(x, dim), keepdim, ReduceOp::Any, logical_dtype(x));
}
Tensor count_nonzero(const Tensor& x, const OptDims& dim) {
  return run(x, reduce_mask(x, dim), false, ReduceOp::CountNonzero, DType::Int64);
}

}  // namespace pe
