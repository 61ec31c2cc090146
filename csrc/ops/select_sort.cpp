// sort, argsort, topk, kthvalue: checks and output allocation; the rows are ordered by
// sort_stub (NaN largest; ties as PyTorch breaks them: Note [PyTorch's tie order] in ops/select_stubs.h).
#include "ops/select.h"
#include "ops/select_stubs.h"

namespace pe {

namespace {
int64_t dim_size(const Tensor& t, int64_t dim) { return t.dim() == 0 ? 1 : t.sizes()[dim]; }

DimVector with_size(const Tensor& t, int64_t dim, int64_t n) {
  DimVector s = t.sizes();
  if (t.dim() > 0) s[dim] = n;
  return s;
}
}  // namespace

ValuesIndices sort(const Tensor& self, int64_t dim, bool descending, bool stable) {
  dim = wrap_dim(dim, self.dim());
  ValuesIndices r{make_empty(self.sizes(), self.dtype(), self.device()),
                  make_empty(self.sizes(), DType::Int64, self.device())};
  if (self.numel() > 0) sort_stub(self.device())(r.values, r.indices, self, dim, descending, dim_size(self, dim),
                                              stable ? SortMode::Stable : SortMode::Unstable);
  return r;
}

Tensor argsort(const Tensor& self, int64_t dim, bool descending, bool stable) {
  return sort(self, dim, descending, stable).indices;
}

ValuesIndices topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted) {
  dim = wrap_dim(dim, self.dim());
  int64_t n = dim_size(self, dim);
  PE_CHECK(k >= 0 && k <= n, "selected index k out of range");
  PE_CHECK(self.dtype() != DType::Bool, "topk does not support bool dtypes on CPU");
  DimVector sizes = with_size(self, dim, k);
  ValuesIndices r{make_empty(sizes, self.dtype(), self.device()), make_empty(sizes, DType::Int64, self.device())};
  if (self.dim() == 0) {
    // A 0-d input keeps its shape for k = 0 as for k = 1 (PyTorch gives (x, 0) for both).
    copy_(r.values, self);
    zero_(r.indices);
    return r;
  }
  if (r.values.numel() > 0)
    sort_stub(self.device())(r.values, r.indices, self, dim, largest, k, sorted ? SortMode::TopK : SortMode::TopKUnsorted);
  return r;
}

ValuesIndices kthvalue(const Tensor& self, int64_t k, int64_t dim, bool keepdim) {
  PE_CHECK_T(NotImplementedError, self.dtype() != DType::Bool, "\"kthvalue_cpu\" not implemented for 'Bool'");
  int64_t d = wrap_dim(dim, self.dim());
  int64_t n = dim_size(self, d);
  PE_CHECK_INDEX(n > 0, "kthvalue(): Expected reduction dim ", d, " to have non-zero size.");
  PE_CHECK(k >= 1 && k <= n, "kthvalue(): selected number k out of range for dimension ", d);
  DimVector sizes = with_size(self, d, 1);
  ValuesIndices r{make_empty(sizes, self.dtype(), self.device()), make_empty(sizes, DType::Int64, self.device())};
  if (r.values.numel() > 0) sort_stub(self.device())(r.values, r.indices, self, d, false, k, SortMode::Kth);
  if (!keepdim && self.dim() > 0) {
    r.values = squeeze(r.values, DimVector{d});
    r.indices = squeeze(r.indices, DimVector{d});
  }
  return r;
}

}  // namespace pe
