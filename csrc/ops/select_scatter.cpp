// gather/scatter, the index_* family and take: PyTorch's checks (in its order, with its messages),
// then one scatter_gather_stub call (Note [Scatter/gather geometry] in ops/select_stubs.h). The
// index_* ops are scatters whose index is a vector broadcast (stride 0) over the other dims.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>

#include "core/tensor_iter.h"
#include "ops/select.h"
#include "ops/select_stubs.h"

namespace pe {

namespace {

// 0-d tensors act as 1-d of size 1 (PyTorch's ensure_nonempty_dim).
Tensor as_1d(const Tensor& t) { return t.dim() == 0 ? view(t, {1}) : t; }
int64_t nonempty_dim(const Tensor& t) { return t.dim() == 0 ? 1 : t.dim(); }

bool is_int_index(const Tensor& t) { return t.dtype() == DType::Int64 || t.dtype() == DType::Int32; }

// `index` (a vector) placed along `dim` of `shape` with stride 0 elsewhere.
Tensor index_along(const Tensor& index64, const DimVector& shape, int64_t dim) {
  DimVector strides(shape.size(), 0);
  strides[dim] = index64.dim() == 0 ? 0 : index64.strides()[0];
  return make_view(index64, shape, strides, index64.storage_offset());
}

void run(const Tensor& x, int64_t dim, const Tensor& index64, const Tensor& y, ScatterOp op,
         const Scalar& s = Scalar(int64_t(1)), bool wrap = false) {
  if (index64.numel() == 0) return;
  scatter_gather_stub(x.device())(x, index64, y, dim, op, s, wrap);
}

void scatter_checks(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  PE_CHECK(index.numel() == 0 || is_int_index(index), "scatter(): Expected dtype int32/int64 for index");
  check_same_device(self, index);
  if (src) check_same_device(self, *src);
  if (src) PE_CHECK(src->dtype() == self.dtype(), "scatter(): Expected self.dtype to be equal to src.dtype");
  PE_CHECK(nonempty_dim(index) == nonempty_dim(self), "Index tensor must have the same number of dimensions as self tensor");
  if (src) PE_CHECK(nonempty_dim(index) == nonempty_dim(*src), "Index tensor must have the same number of dimensions as src tensor");
  if (index.numel() == 0) return;
  Tensor i1 = as_1d(index), s1 = as_1d(self);
  bool ok = true;
  for (int64_t d = 0; d < i1.dim(); ++d) {
    if (d != dim && i1.sizes()[d] > s1.sizes()[d]) ok = false;
    if (src && i1.sizes()[d] > as_1d(*src).sizes()[d]) ok = false;
  }
  if (src) {
    PE_CHECK(ok, "Expected index ", index.sizes(), " to be no larger than self ", self.sizes(),
             " apart from dimension ", dim, " and to be no larger size than src ", src->sizes());
  } else {
    PE_CHECK(ok, "Expected index ", index.sizes(), " to be no larger than self ", self.sizes(),
             " apart from dimension ", dim);
  }
}

void check_gather_scatter_bounds(const Tensor& index64, const Tensor& self, int64_t dim) {
  int64_t size = as_1d(self).sizes()[dim];
  auto bad = eager_out_of_bounds(index64, size, false);
  PE_CHECK(!bad, "index ", *bad, " is out of bounds for dimension ", dim, " with size ", size);
}

ScatterOp reduce_op(const std::string& reduce) {
  if (reduce.empty()) return ScatterOp::Assign;
  PE_CHECK(reduce == "add" || reduce == "multiply", "reduce argument must be either add or multiply.");
  return reduce == "add" ? ScatterOp::Add : ScatterOp::Multiply;
}

}  // namespace

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, self.dim());
  check_same_device(self, index);
  Tensor out = make_empty(index.sizes(), self.dtype(), self.device());
  if (index.numel() == 0) return out;  // PyTorch checks neither the dtype nor the rank of an empty index
  PE_CHECK(is_int_index(index), "gather(): Expected dtype int32/int64 for index");
  PE_CHECK(nonempty_dim(index) == nonempty_dim(self), "Index tensor must have the same number of dimensions as input tensor");
  Tensor i1 = as_1d(index), s1 = as_1d(self);
  for (int64_t d = 0; d < i1.dim(); ++d)
    PE_CHECK(d == dim || i1.sizes()[d] <= s1.sizes()[d], "Size does not match at dimension ", d, " expected index ",
             index.sizes(), " to be no larger than self ", self.sizes(), " apart from dimension ", dim);
  Tensor idx = to(i1, DType::Int64, std::nullopt);
  check_gather_scatter_bounds(idx, self, dim);
  run(s1, dim, idx, as_1d(out), ScatterOp::Gather);
  return out;
}

Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce) {
  dim = wrap_dim(dim, self.dim());
  scatter_checks(self, dim, index, &src);
  ScatterOp op = reduce_op(reduce);
  assert_no_internal_overlap(self);
  check_no_overlap(self, src);
  check_no_overlap(self, index);
  Tensor idx = to(as_1d(index), DType::Int64, std::nullopt);
  check_gather_scatter_bounds(idx, self, dim);
  run(as_1d(self), dim, idx, as_1d(src), op);
  self->bump_version();
  return self;
}

Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce) {
  dim = wrap_dim(dim, self.dim());
  scatter_checks(self, dim, index, nullptr);
  ScatterOp op = reduce_op(reduce);
  check_scalar_fits(value, self.dtype());
  assert_no_internal_overlap(self);
  Tensor idx = to(as_1d(index), DType::Int64, std::nullopt);
  check_gather_scatter_bounds(idx, self, dim);
  if (op == ScatterOp::Assign) {
    run(as_1d(self), dim, idx, Tensor(), ScatterOp::Fill, value);
  } else {
    Tensor v = expand(scalar_tensor(value, self.dtype(), self.device()), idx.sizes());
    run(as_1d(self), dim, idx, v, op);
  }
  self->bump_version();
  return self;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce) {
  Tensor out = clone(self);
  return scatter_(out, dim, index, src, reduce);
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce) {
  Tensor out = clone(self);
  return scatter_(out, dim, index, value, reduce);
}
Tensor& scatter_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_(self, dim, index, src, "add");
}
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = clone(self);
  return scatter_(out, dim, index, src, "add");
}

namespace {
// The value include_self=false starts each scattered-to place from.
Scalar reduce_identity(const std::string& reduce, DType t) {
  if (reduce == "prod") return Scalar(int64_t(1));
  if (reduce == "sum" || reduce == "mean") return Scalar(int64_t(0));
  bool max = reduce == "amax";
  if (t == DType::Bool) return Scalar(!max);
  if (is_floating(t)) return Scalar(max ? -INFINITY : INFINITY);
  switch (t) {
    case DType::UInt8: return Scalar(int64_t(max ? 0 : 255));
    case DType::Int8: return Scalar(int64_t(max ? -128 : 127));
    case DType::Int16: return Scalar(int64_t(max ? -32768 : 32767));
    case DType::Int32: return Scalar(int64_t(max ? INT32_MIN : INT32_MAX));
    default: return Scalar(max ? INT64_MIN : INT64_MAX);
  }
}
}  // namespace

Tensor& scatter_reduce_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce_in,
                        bool include_self) {
  // "max"/"min" are accepted by PyTorch as aliases of amax/amin.
  std::string reduce = reduce_in == "max" ? "amax" : (reduce_in == "min" ? "amin" : reduce_in);
  PE_CHECK(reduce == "sum" || reduce == "prod" || reduce == "mean" || reduce == "amax" || reduce == "amin",
           "reduce argument must be either sum, prod, mean, amax or amin, got ", reduce_in);
  dim = wrap_dim(dim, self.dim());
  scatter_checks(self, dim, index, &src);
  PE_CHECK_T(NotImplementedError, !(reduce == "mean" && self.dtype() == DType::Bool),
             "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'");
  assert_no_internal_overlap(self);
  check_no_overlap(self, src);
  check_no_overlap(self, index);
  Tensor idx = to(as_1d(index), DType::Int64, std::nullopt);
  check_gather_scatter_bounds(idx, self, dim);
  Tensor s1 = as_1d(self);
  if (!include_self) run(s1, dim, idx, Tensor(), ScatterOp::Fill, reduce_identity(reduce, self.dtype()));
  ScatterOp op = reduce == "sum" || reduce == "mean" ? ScatterOp::Add
                 : reduce == "prod"                  ? ScatterOp::Multiply
                 : reduce == "amax"                  ? ScatterOp::Max
                                                     : ScatterOp::Min;
  run(s1, dim, idx, as_1d(src), op);
  if (reduce == "mean" && self.numel() > 0) {
    // Contributions per place (plus self's own when included); places never scattered to keep their value.
    TensorOptions opt{DType::Int64, self.device()};
    Tensor count = full(s1.sizes(), Scalar(int64_t(include_self ? 1 : 0)), opt);
    Tensor one = expand(full({}, Scalar(int64_t(1)), opt), idx.sizes());
    run(count, dim, idx, one, ScatterOp::Add);
    mean_div_stub(self.device())(TensorIter({s1}, {s1, count}));
  }
  self->bump_version();
  return self;
}

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                      bool include_self) {
  Tensor out = clone(self);
  return scatter_reduce_(out, dim, index, src, reduce, include_self);
}

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, self.dim());
  PE_CHECK_INDEX(index.dim() <= 1, "index_select(): Index is supposed to be a vector");
  PE_CHECK(is_int_index(index), "index_select(): Expected dtype int32 or int64 for index");
  check_same_device(self, index);
  Tensor idx = to(as_1d(index), DType::Int64, std::nullopt);
  Tensor s1 = as_1d(self);
  PE_CHECK_INDEX(!eager_out_of_bounds(idx, s1.sizes()[dim], false), "index out of range in self");
  DimVector shape = s1.sizes();
  shape[dim] = idx.numel();
  Tensor out = make_empty(shape, self.dtype(), self.device());
  run(s1, dim, index_along(idx, shape, dim), out, ScatterOp::Gather);
  return self.dim() == 0 && out.numel() == 1 ? view(out, {}) : out;
}

namespace {
// Shared by index_add_/index_copy_: index is a vector of int64 with one entry per source slice.
Tensor source_index(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  Tensor idx = to(as_1d(index), DType::Int64, std::nullopt);
  return index_along(idx, as_1d(source).sizes(), dim);
}
}  // namespace

Tensor& index_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  dim = wrap_dim(dim, self.dim());
  PE_CHECK_INDEX(index.dim() <= 1, "index_add_(): Index is supposed to be a vector, but got dim: ", index.dim(),
                 " with type: ", scalar_type_name(index.dtype()), " and size: ", index.sizes());
  PE_CHECK(is_int_index(index), "index_add_(): Expected dtype int32/int64 for index");
  check_same_device(self, index);
  check_same_device(self, source);
  PE_CHECK(self.dtype() == source.dtype(), "index_add_(): self (", scalar_type_name(self.dtype()), ") and source (",
           scalar_type_name(source.dtype()), ") must have the same scalar type");
  PE_CHECK(dim == 0 || dim < source.dim(), "index_add_(): Indexing dim ", dim, " is out of bounds of the source tensor with dim ",
           source.dim());
  int64_t nsrc = source.dim() == 0 ? 1 : source.sizes()[dim];
  PE_CHECK(index.numel() == nsrc, "index_add_(): Number of indices (", index.numel(),
           ") should be equal to source.size(dim): (", nsrc, "), for dim: ", dim);
  bool shape_ok = source.dim() == self.dim();
  for (int64_t d = 0; shape_ok && d < self.dim(); ++d) shape_ok = d == dim || self.sizes()[d] == source.sizes()[d];
  PE_CHECK(shape_ok, "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = ",
           self.sizes(), " source.shape = ", source.sizes());
  assert_no_internal_overlap(self);
  check_no_overlap(self, source);
  check_no_overlap(self, index);
  int64_t size = as_1d(self).sizes()[dim];
  auto bad = eager_out_of_bounds(index, size, false);
  PE_CHECK(!bad, "index ", *bad, " is out of bounds for dimension ", dim, " with size ", size);
  run(as_1d(self), dim, source_index(self, dim, index, source), as_1d(source), ScatterOp::Add, alpha);
  self->bump_version();
  return self;
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  Tensor out = clone(self);
  return index_add_(out, dim, index, source, alpha);
}

Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  dim = wrap_dim(dim, self.dim());
  PE_CHECK_INDEX(index.dtype() == DType::Int64, "index_fill_(): Expected dtype int64 for index.");
  PE_CHECK(index.dim() <= 1, "Index has to be a vector/scalar");
  check_same_device(self, index);
  check_scalar_fits(value, self.dtype());
  // No internal-overlap check: PyTorch allows index_fill_ on expanded tensors.
  Tensor s1 = as_1d(self);
  int64_t size = s1.sizes()[dim];
  auto bad = eager_out_of_bounds(index, size, true);
  PE_CHECK_INDEX(!bad, "index ", *bad, " is out of bounds for dimension ", dim, " with size ", size);
  DimVector shape = s1.sizes();
  shape[dim] = index.numel();
  Tensor idx = as_1d(index);
  if (idx.numel() > 0 && s1.numel() > 0)
    scatter_gather_stub(self.device())(s1, index_along(idx, shape, dim), Tensor(), dim, ScatterOp::Fill, value, true);
  self->bump_version();
  return self;
}

Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  PE_CHECK(value.dim() == 0, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           value.dim(), " dimension(s).");
  return index_fill_(self, dim, index, item(value));
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  Tensor out = clone(self);
  return index_fill_(out, dim, index, value);
}
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  Tensor out = clone(self);
  return index_fill_(out, dim, index, value);
}

Tensor& index_copy_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  dim = wrap_dim(dim, self.dim());
  PE_CHECK_INDEX(index.dim() <= 1, "index_copy_(): Index should have dimension 1 or 0 (got ", index.dim(), ")");
  PE_CHECK_INDEX(source.dim() > 0 || index.numel() == 1,
                 "index_copy_(): When source is scalar, index should have one element (got ", index.numel(), ")");
  PE_CHECK_INDEX(source.dim() == self.dim() || source.dim() == 0 || self.dim() == 0,
                 "index_copy_(): When source and destination are not scalars, their dimensionality must match. Source "
                 "dimensionality (", source.dim(), "), destination dimensionality (", self.dim(), ")");
  PE_CHECK(index.dtype() == DType::Int64, "index_copy_(): Expected a long tensor for index, but got ",
           scalar_type_name(index.dtype()));
  check_same_device(self, index);
  check_same_device(self, source);
  PE_CHECK(self.dtype() == source.dtype(), "index_copy_(): self and source expected to have the same dtype, but got (self) ",
           scalar_type_name(self.dtype()), " and (source) ", scalar_type_name(source.dtype()));
  auto sliced = [dim](const Tensor& t) {
    DimVector s = t.sizes();
    if (!s.empty()) s.erase(s.begin() + std::min<int64_t>(dim, (int64_t)s.size() - 1));
    return s;
  };
  DimVector ss = sliced(self), sr = sliced(source);
  auto join = [](const DimVector& v) {
    std::string r;
    for (size_t i = 0; i < v.size(); ++i) r += (i ? " " : "") + std::to_string(v[i]);
    return r;
  };
  PE_CHECK(ss == sr, "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: ",
           join(ss), " at dimension ", dim, " and source slice shape: ", join(sr), " at dimension 0.");
  int64_t nsrc = source.dim() == 0 ? 1 : source.sizes()[dim];
  PE_CHECK_INDEX(index.numel() == nsrc, "index_copy_(): Number of indices (", index.numel(),
                 ") should be equal to source.size(dim) (", nsrc, ")");
  assert_no_internal_overlap(self);
  check_no_overlap(self, source);
  check_no_overlap(self, index);
  int64_t size = as_1d(self).sizes()[dim];
  auto bad = eager_out_of_bounds(index, size, false);
  PE_CHECK_INDEX(!bad, "index_copy_(): index ", *bad, " is out of bounds for dimension ", dim, " with size ", size);
  run(as_1d(self), dim, source_index(self, dim, index, source), as_1d(source), ScatterOp::Assign);
  self->bump_version();
  return self;
}

Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  Tensor out = clone(self);
  return index_copy_(out, dim, index, source);
}

Tensor take(const Tensor& self, const Tensor& index) {
  PE_CHECK(index.dtype() == DType::Int64, "take(): Expected a long tensor for index, but got ",
           scalar_type_name(index.dtype()));
  check_same_device(self, index);
  PE_CHECK_INDEX(!(self.numel() == 0 && index.numel() > 0), "take(): tried to take from an empty tensor");
  auto bad = eager_out_of_bounds(index, self.numel(), true);
  PE_CHECK_INDEX(!bad, "out of range: tried to access index ", *bad, " on a tensor of ", self.numel(), " elements.");
  Tensor flat = reshape(self, {self.numel()});
  Tensor idx = reshape(index, {index.numel()});
  Tensor out = make_empty({index.numel()}, self.dtype(), self.device());
  run(flat, 0, idx, out, ScatterOp::Gather, Scalar(int64_t(1)), /*wrap=*/true);
  return view(out, index.sizes());
}

Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim) {
  PE_CHECK(indices.dtype() == DType::Int64, "torch.take_along_dim(): dtype of indices should be Long but got ",
           scalar_type_name(indices.dtype()));
  if (!dim) return gather(reshape(self, {self.numel()}), 0, reshape(indices, {indices.numel()}));
  PE_CHECK(self.dim() == indices.dim(), "torch.take_along_dim(): input and indices should have the same number of "
           "dimensions, but got ", self.dim(), " dimensions for input, and ", indices.dim(), " dimensions for indices");
  int64_t d = wrap_dim(*dim, self.dim());
  if (self.dim() == 0) return gather(self, d, indices);
  // Broadcast every dim but `d`, where each keeps its own size.
  DimVector s = self.sizes(), i = indices.sizes();
  s[d] = 1;
  i[d] = 1;
  DimVector b = broadcast_shapes(s, i);
  DimVector bs = b, bi = b;
  bs[d] = self.sizes()[d];
  bi[d] = indices.sizes()[d];
  Tensor idx = expand(indices, bi);
  // Indices along dim wrap modulo its size, as PyTorch's take_along_dim (-1 is the last, n + 1 the second).
  if (bs[d] > 0) idx = remainder(idx, Scalar(bs[d]));
  return gather(expand(self, bs), d, idx);
}

}  // namespace pe
