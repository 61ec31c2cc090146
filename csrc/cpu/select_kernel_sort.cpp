// CPU sort/topk/kthvalue kernel: each row is loaded into a buffer of (value, index) pairs (16-bit
// floats widened to float), ordered with NaN as the largest value, and the wanted prefix (or the
// k-th element) is written out. Rows are independent, so they are spread across threads.
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

template <class T, class Cmp>
void sort_rows(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, int64_t k,
               bool select_kth) {
  using V = opmath_t<T>;
  using Pair = std::pair<V, int64_t>;
  RowGeometry<3> g(self.sizes(), dim, {&self, &values, &indices});
  const int64_t n = g.n;
  if (n == 0 || g.rows == 0) return;
  // Ties broken by index: the same order a stable sort gives, for partial_sort and nth_element.
  auto by_value_then_index = [](const Pair& a, const Pair& b) {
    Cmp c;
    return c(a.first, b.first) || (!c(b.first, a.first) && a.second < b.second);
  };
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1));
  parallel_for(0, g.rows, grain, [&](int64_t b, int64_t e) {
    std::vector<Pair> buf(n);
    g.for_rows(b, e, [&](const std::array<char*, 3>& p) {
      for (int64_t i = 0; i < n; ++i)
        buf[i] = {static_cast<V>(*reinterpret_cast<const T*>(p[0] + i * g.inner[0])), i};
      if (select_kth) {
        std::nth_element(buf.begin(), buf.begin() + (k - 1), buf.end(), by_value_then_index);
        *reinterpret_cast<T*>(p[1]) = static_cast<T>(buf[k - 1].first);
        *reinterpret_cast<int64_t*>(p[2]) = buf[k - 1].second;
        return;
      }
      if (k == n) {
        std::stable_sort(buf.begin(), buf.end(), [](const Pair& a, const Pair& b) { return Cmp()(a.first, b.first); });
      } else {
        std::partial_sort(buf.begin(), buf.begin() + k, buf.end(), by_value_then_index);
      }
      for (int64_t i = 0; i < k; ++i) {
        *reinterpret_cast<T*>(p[1] + i * g.inner[1]) = static_cast<T>(buf[i].first);
        *reinterpret_cast<int64_t*>(p[2] + i * g.inner[2]) = buf[i].second;
      }
    });
  });
}

void sort_kernel(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool descending,
                 int64_t k, bool select_kth) {
  PE_DISPATCH_ALL_TYPES(self.dtype(), "sort", [&] {
    using V = opmath_t<scalar_t>;
    if (descending) sort_rows<scalar_t, Greater<V>>(values, indices, self, dim, k, select_kth);
    else sort_rows<scalar_t, Less<V>>(values, indices, self, dim, k, select_kth);
  });
}

PE_REGISTER_KERNEL(sort_stub, CPU, &sort_kernel);

}  // namespace
}  // namespace pe::cpu
