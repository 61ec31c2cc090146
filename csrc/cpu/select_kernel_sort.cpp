// CPU sort/topk/kthvalue kernel: each row is loaded into a buffer of (value, index) pairs (16-bit
// floats widened to float), ordered with NaN as the largest value by the algorithm PyTorch's CPU
// kernel uses for that op (Note [PyTorch's tie order] in ops/select_stubs.h), and the wanted prefix
// (or the k-th element) is written out. Rows are independent, so they are spread across threads.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "cpu/parallel.h"
#include "cpu/select_rows.h"
#include "ops/elementwise_functors.h"
#include "ops/select_stubs.h"

namespace pe::cpu {
namespace {

template <class V>
bool is_nan(V v) {
  if constexpr (std::is_floating_point_v<V>) return std::isnan(v);
  else return false;
}

// Strict weak orders with NaN above everything (NaNs equivalent to each other).
template <class V>
struct Less {
  bool operator()(V a, V b) const { return !is_nan(a) && (is_nan(b) || a < b); }
};
template <class V>
struct Greater {
  bool operator()(V a, V b) const { return !is_nan(b) && (is_nan(a) || a > b); }
};

// Median-of-three quickselect (the classic Hoare-partition selection of Numerical Recipes, the one
// PyTorch's kthvalue runs): afterwards buf[k] holds the element of rank k under `before`.
template <class Pair, class Cmp>
void quick_select(std::vector<Pair>& buf, int64_t k, Cmp before) {
  // PyTorch's kthvalue orders by "greater than or NaN" on the right-hand side, i.e. gt(a, b) = before(b, a).
  auto gt = [&](const Pair& a, const Pair& b) { return before(b.first, a.first); };
  int64_t lo = 0, hi = static_cast<int64_t>(buf.size()) - 1;
  while (true) {
    if (hi <= lo) return;
    if (hi == lo + 1) {
      if (gt(buf[lo], buf[hi])) std::swap(buf[lo], buf[hi]);
      return;
    }
    const int64_t mid = lo + (hi - lo) / 2;
    std::swap(buf[mid], buf[lo + 1]);
    if (gt(buf[lo + 1], buf[hi])) std::swap(buf[lo + 1], buf[hi]);
    if (gt(buf[lo], buf[hi])) std::swap(buf[lo], buf[hi]);
    if (gt(buf[lo + 1], buf[lo])) std::swap(buf[lo + 1], buf[lo]);
    int64_t i = lo + 1, j = hi;
    const Pair pivot = buf[lo];
    while (true) {
      do ++i; while (gt(pivot, buf[i]));
      do --j; while (gt(buf[j], pivot));
      if (j < i) break;
      std::swap(buf[i], buf[j]);
    }
    std::swap(buf[lo], buf[j]);
    if (j <= k) lo = i;
    if (j >= k) hi = j - 1;
  }
}

// One row, ordered as PyTorch's CPU kernels order it (Note [PyTorch's tie order] in ops/select_stubs.h).
template <class Pair, class Cmp>
void order_row(std::vector<Pair>& buf, int64_t k, SortMode mode) {
  auto by_value = [](const Pair& a, const Pair& b) { return Cmp()(a.first, b.first); };
  const int64_t n = static_cast<int64_t>(buf.size());
  switch (mode) {
    case SortMode::Stable: std::stable_sort(buf.begin(), buf.end(), by_value); break;
    case SortMode::Unstable: std::sort(buf.begin(), buf.end(), by_value); break;
    case SortMode::TopK:
    case SortMode::TopKUnsorted:
      if (k * 64 <= n) {
        std::partial_sort(buf.begin(), buf.begin() + k, buf.end(), by_value);
      } else {
        std::nth_element(buf.begin(), buf.begin() + (k - 1), buf.end(), by_value);
        if (mode == SortMode::TopK) std::sort(buf.begin(), buf.begin() + (k - 1), by_value);
      }
      break;
    case SortMode::Kth: quick_select(buf, k - 1, Cmp()); break;
  }
}

template <class T, class Cmp>
void sort_rows(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, int64_t k,
               SortMode mode) {
  using V = opmath_t<T>;
  using Pair = std::pair<V, int64_t>;
  RowGeometry<3> g(self.sizes(), dim, {&self, &values, &indices});
  const int64_t n = g.n;
  if (n == 0 || g.rows == 0 || k == 0) return;
  // PyTorch's sort leaves a row read with stride 0 (one value repeated) in index order, and sorts
  // large 1-D integer tensors ascending with a (stable) radix sort.
  if (mode == SortMode::Unstable &&
      (g.inner[0] == 0 || (self.dim() == 1 && is_integral(self.dtype(), /*include_bool=*/false) &&
                           std::is_same_v<Cmp, Less<V>> && n >= kGrainSize)))
    mode = SortMode::Stable;
  const bool kth = mode == SortMode::Kth;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1));
  parallel_for(0, g.rows, grain, [&](int64_t b, int64_t e) {
    std::vector<Pair> buf(n);
    g.for_rows(b, e, [&](const std::array<char*, 3>& p) {
      for (int64_t i = 0; i < n; ++i)
        buf[i] = {static_cast<V>(*reinterpret_cast<const T*>(p[0] + i * g.inner[0])), i};
      order_row<Pair, Cmp>(buf, k, mode);
      if (kth) {
        *reinterpret_cast<T*>(p[1]) = static_cast<T>(buf[k - 1].first);
        *reinterpret_cast<int64_t*>(p[2]) = buf[k - 1].second;
        return;
      }
      for (int64_t i = 0; i < k; ++i) {
        *reinterpret_cast<T*>(p[1] + i * g.inner[1]) = static_cast<T>(buf[i].first);
        *reinterpret_cast<int64_t*>(p[2] + i * g.inner[2]) = buf[i].second;
      }
    });
  });
}

void sort_kernel(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool descending,
                 int64_t k, SortMode mode) {
  PE_DISPATCH_ALL_TYPES(self.dtype(), "sort", [&] {
    using V = opmath_t<scalar_t>;
    if (descending) sort_rows<scalar_t, Greater<V>>(values, indices, self, dim, k, mode);
    else sort_rows<scalar_t, Less<V>>(values, indices, self, dim, k, mode);
  });
}

PE_REGISTER_KERNEL(sort_stub, CPU, &sort_kernel);

}  // namespace
}  // namespace pe::cpu
