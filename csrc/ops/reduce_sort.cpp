// The scans (cumsum/cumprod, PyTorch's int64 promotion of integer inputs) and the sorting
// reductions (median, mode), which move the reduced dim innermost and hand contiguous rows to
// their kernels.
#include <cmath>
#include <limits>

#include "ops/ops.h"
#include "ops/reduce.h"
#include "ops/reduce_stubs.h"

namespace pe {

DispatchStub<ScanFn> scan_stub("cumsum");
DispatchStub<SortReduceFn> sort_reduce_stub("median");

using namespace reduce_detail;

namespace {

Tensor scan(const Tensor& x, int64_t dim, OptDType dtype, bool is_prod) {
  const int64_t d = wrap_dim(dim, x.dim());
  PE_CHECK_T(NotImplementedError, !is_complex(x.dtype()) && !(dtype && is_complex(*dtype)), "\"",
             is_prod ? "cumprod" : "cumsum", "\" not implemented for '", scalar_type_name(dtype ? *dtype : x.dtype()),
             "'");
  const DType dt = dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
  Tensor out = make_empty(x.sizes(), dt, x.device());
  if (out.numel() == 0) return out;
  Tensor in = contiguous(to(x, dt, std::nullopt));
  int64_t outer = 1, inner = 1, n = x.dim() == 0 ? 1 : x.size(d);
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i < d) outer *= x.size(i);
    else if (i > d) inner *= x.size(i);
  }
  scan_stub(x.device())(in, out, outer, n, inner, is_prod);
  return out;
}

// Moves `dim` last and returns the contiguous (rows, n) matrix of x plus the output shape.
Tensor rows_of(const Tensor& x, int64_t d) {
  if (x.dim() == 0) return reshape(x, {1, 1});
  DimVector perm;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != d) perm.push_back(i);
  perm.push_back(d);
  Tensor y = contiguous(permute(x, perm));
  return reshape(y, {x.numel() / x.size(d), x.size(d)});
}

std::pair<Tensor, Tensor> sort_reduce(const Tensor& x, int64_t dim, bool keepdim, bool is_mode) {
  const char* name = is_mode ? "mode" : "median";
  if (!is_mode)
    PE_CHECK_T(NotImplementedError, x.dtype() != DType::Bool, "\"median_cpu\" not implemented for 'Bool'");
  const int64_t d = wrap_dim(dim, x.dim());
  PE_CHECK_INDEX(x.dim() == 0 || x.size(d) > 0, name, "(): Expected reduction dim ", d, " to have non-zero size.");
  DimVector shape = reduced_shape(x, reduce_mask(x, DimVector{d}), keepdim);
  Tensor values = make_empty(shape, x.dtype(), x.device());
  Tensor indices = make_empty(shape, DType::Int64, x.device());
  if (values.numel() > 0) sort_reduce_stub(x.device())(rows_of(x, d), values, indices, is_mode);
  return {values, indices};
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim, OptDType dtype) { return scan(x, dim, dtype, false); }
Tensor cumprod(const Tensor& x, int64_t dim, OptDType dtype) { return scan(x, dim, dtype, true); }
// In place the result is x itself, so a dtype= other than x's cannot be honoured: refused, as PyTorch.
static void check_inplace_dtype(const Tensor& x, OptDType dtype) {
  PE_CHECK(!dtype || *dtype == x.dtype(), "Bad in-place call: input tensor dtype ", dtype_name(x.dtype()),
           " and output tensor dtype ", dtype_name(*dtype), " should match");
}

Tensor& cumsum_(Tensor& x, int64_t dim, OptDType dtype) {
  check_inplace_dtype(x, dtype);
  return copy_(x, cumsum(x, dim, dtype));
}
Tensor& cumprod_(Tensor& x, int64_t dim, OptDType dtype) {
  check_inplace_dtype(x, dtype);
  return copy_(x, cumprod(x, dim, dtype));
}

Tensor median(const Tensor& x) {
  if (x.numel() == 0) {
    // NaN in x's dtype, converted as PyTorch's CPU does (x86 truncation): int32/int64 get their
    // lowest value, the narrower integers the low bits of INT32_MIN (0), bool true.
    Scalar nan = is_floating(x.dtype())       ? Scalar(std::nan(""))
                 : x.dtype() == DType::Bool   ? Scalar(true)
                 : x.dtype() == DType::Int64  ? Scalar(std::numeric_limits<int64_t>::min())
                 : x.dtype() == DType::Int32  ? Scalar(int64_t(std::numeric_limits<int32_t>::min()))
                                              : Scalar(int64_t(0));
    return full({}, nan, TensorOptions{x.dtype(), x.device()});
  }
  PE_CHECK_T(NotImplementedError, x.dtype() != DType::Bool, "\"median_cpu\" not implemented for 'Bool'");
  Tensor values = make_empty({}, x.dtype(), x.device());
  Tensor indices = make_empty({}, DType::Int64, x.device());
  sort_reduce_stub(x.device())(reshape(contiguous(x), {1, x.numel()}), values, indices, false);
  return values;
}

std::pair<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim) { return sort_reduce(x, dim, keepdim, false); }
std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim) { return sort_reduce(x, dim, keepdim, true); }

}  // namespace pe
