// CPU kernels of the inclusive scans (cumsum/cumprod) and of the sorting reductions (median, mode).
// Scans accumulate in double for floating dtypes and in int64 for integers, as PyTorch's CPU
// kernels do, and run across rows (inner == 1) or across whole rows of columns otherwise.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/loop.h"
#include "cpu/reduce_ops.h"
#include "ops/reduce_stubs.h"

namespace pe::cpu {
namespace {

template <class T>
using scan_acc_t = std::conditional_t<is_float_v<T>, double, int64_t>;

template <class T, bool IsProd>
void scan_impl(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using acc_t = scan_acc_t<T>;
  auto step = [](acc_t a, T v) { return IsProd ? acc_mul(a, cast_value<acc_t>(v)) : acc_add(a, cast_value<acc_t>(v)); };
  const acc_t id = IsProd ? acc_t(1) : acc_t(0);
  if (inner == 1) {
    parallel_for(0, outer, std::max<int64_t>(1, kGrainSize / n), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        acc_t a = id;
        for (int64_t k = 0; k < n; ++k) {
          a = step(a, x[o * n + k]);
          y[o * n + k] = cast_value<T>(a);
        }
      }
    });
    return;
  }
  constexpr int64_t kCols = 256;
  const int64_t chunks = (inner + kCols - 1) / kCols;
  parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrainSize / (n * kCols)), [&](int64_t b, int64_t e) {
    acc_t acc[kCols];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / chunks, c0 = (t % chunks) * kCols, w = std::min(kCols, inner - c0);
      for (int64_t c = 0; c < w; ++c) acc[c] = id;
      for (int64_t k = 0; k < n; ++k) {
        const int64_t off = (o * n + k) * inner + c0;
        for (int64_t c = 0; c < w; ++c) {
          acc[c] = step(acc[c], x[off + c]);
          y[off + c] = cast_value<T>(acc[c]);
        }
      }
    }
  });
}

void scan_kernel(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner, bool is_prod) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "cumsum", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    if (is_prod) scan_impl<scalar_t, true>(x, y, outer, n, inner);
    else scan_impl<scalar_t, false>(x, y, outer, n, inner);
  });
}

// Orders values with NaN after everything (all NaNs equal), then by index.
template <class V>
struct ValueIndexLess {
  bool operator()(const std::pair<V, int64_t>& a, const std::pair<V, int64_t>& b) const {
    const bool an = isnan_v(a.first), bn = isnan_v(b.first);
    if (an != bn) return bn;
    if (!an && a.first != b.first) return a.first < b.first;
    return a.second < b.second;
  }
};

template <class T>
void sort_reduce_rows(const T* x, T* values, int64_t* indices, int64_t rows, int64_t n, bool is_mode) {
  using V = cmp_t<T>;
  parallel_for(0, rows, std::max<int64_t>(1, kGrainSize / n), [&](int64_t b, int64_t e) {
    std::vector<std::pair<V, int64_t>> buf(n);
    for (int64_t r = b; r < e; ++r) {
      const T* row = x + r * n;
      for (int64_t k = 0; k < n; ++k) buf[k] = {static_cast<V>(row[k]), k};
      std::pair<V, int64_t> best;
      if (!is_mode) {
        // Lower median; a NaN anywhere makes the median NaN (at the first NaN's index).
        auto nan = std::find_if(buf.begin(), buf.end(), [](const auto& p) { return isnan_v(p.first); });
        if (nan != buf.end()) {
          best = *nan;
        } else {
          auto mid = buf.begin() + (n - 1) / 2;
          std::nth_element(buf.begin(), mid, buf.end(), ValueIndexLess<V>());
          best = *mid;
        }
      } else {
        // The most frequent value: PyTorch's CPU kernel sorts (value, index) pairs by value alone with
        // std::sort and takes the last pair of the first longest run (NaNs compare unequal, so each
        // is a run of its own); the same algorithm on the same input gives the same index for ties.
        std::sort(buf.begin(), buf.end(), [](const auto& a, const auto& c) { return a.first < c.first; });
        int64_t best_freq = 0, freq = 0;
        for (int64_t k = 0; k < n; ++k) {
          ++freq;
          const bool run_ends = k == n - 1 || buf[k].first != buf[k + 1].first;
          if (!run_ends) continue;
          if (freq > best_freq) {
            best_freq = freq;
            best = buf[k];
          }
          freq = 0;
        }
      }
      values[r] = static_cast<T>(best.first);
      indices[r] = best.second;
    }
  });
}

void sort_reduce_kernel(const Tensor& in, const Tensor& values, const Tensor& indices, bool is_mode) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), is_mode ? "mode" : "median", [&] {
    sort_reduce_rows(in.data_ptr<scalar_t>(), values.data_ptr<scalar_t>(), indices.data_ptr<int64_t>(),
                     in.size(0), in.size(1), is_mode);
  });
}

PE_REGISTER_KERNEL(scan_stub, CPU, &scan_kernel);
PE_REGISTER_KERNEL(sort_reduce_stub, CPU, &sort_reduce_kernel);

}  // namespace
}  // namespace pe::cpu
