// CPU gather/scatter kernel (Note [Scatter/gather geometry] in ops/select_stubs.h). Moves that
// only copy bytes (gather, assign, fill) dispatch on the element size; add/multiply dispatch on the
// dtype. Writes that may repeat an index never split the index between threads (duplicates land in
// order); gathers, which write distinct places, may. A vector index (the index_* ops) is run slice
// by slice (Note [Vector index]).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/tensor_iter.h"
#include "cpu/loop.h"
#include "cpu/parallel.h"
#include "cpu/select_rows.h"
#include "ops/elementwise_functors.h"
#include "ops/select_stubs.h"

namespace pe::cpu {
namespace {

// Note [Vector index]: when index varies only along dim (index_select/index_add/index_copy/
// index_fill/take: a vector broadcast over the other dims), the work is one slice operation per
// index entry j: slice idx[j] of x with slice j of y. All slices share one geometry, coalesced once
// by a TensorIter, so the inner loop walks memory in order (an embedding lookup copies rows)
// instead of striding across rows.
bool index_is_vector(const Tensor& index, int64_t dim) {
  for (int64_t d = 0; d < index.dim(); ++d)
    if (d != dim && index.sizes()[d] > 1 && index.strides()[d] != 0) return false;
  return index.dim() > 1;  // a 1-d index has one-element slices: the row loop is cheaper
}

// TensorIter::serial_for over [begin, end) of `it`'s geometry, with the base pointers given.
template <class F>
void slice_loop(const TensorIter& it, char* b0, char* b1, int64_t begin, int64_t end, const F& f) {
  const int64_t nd = it.ndim();
  const bool two = it.ntensors() > 1;
  if (nd <= 1) {
    int64_t s0 = nd ? it.stride(0, 0) : 0, s1 = nd && two ? it.stride(0, 1) : 0;
    f(b0 + begin * s0, b1 ? b1 + begin * s1 : nullptr, s0, s1, end - begin);
    return;
  }
  int64_t idx[16];
  int64_t rem = begin;
  for (int64_t d = 0; d < nd; ++d) {
    idx[d] = rem % it.shape()[d];
    rem /= it.shape()[d];
  }
  const int64_t s0 = it.stride(0, 0), s1 = two ? it.stride(0, 1) : 0;
  for (int64_t pos = begin; pos < end;) {
    int64_t o0 = 0, o1 = 0;
    for (int64_t d = 0; d < nd; ++d) {
      o0 += idx[d] * it.stride(d, 0);
      if (two) o1 += idx[d] * it.stride(d, 1);
    }
    int64_t n = std::min(it.shape()[0] - idx[0], end - pos);
    f(b0 + o0, b1 ? b1 + o1 : nullptr, s0, s1, n);
    pos += n;
    idx[0] += n;
    for (int64_t d = 0; d < nd - 1 && idx[d] >= it.shape()[d]; ++d) {
      idx[d] = 0;
      idx[d + 1]++;
    }
  }
}

template <class F>
void run_vector(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, bool wrap, bool parallel_over_index,
                const F& f) {
  const int64_t n = index.sizes()[dim];
  DimVector sizes, xst, yst;
  for (int64_t d = 0; d < index.dim(); ++d) {
    if (d == dim) continue;
    sizes.push_back(index.sizes()[d]);
    xst.push_back(x.strides()[d]);
    if (y.defined()) yst.push_back(y.strides()[d]);
  }
  Tensor xs = make_view(x, sizes, xst, x.storage_offset());
  Tensor ys = y.defined() ? make_view(y, sizes, yst, y.storage_offset()) : Tensor();
  TensorIter it = ys.defined() ? TensorIter({xs}, {ys}) : TensorIter({xs}, {});
  const int64_t m = it.numel();
  if (n == 0 || m == 0) return;
  char* xb = static_cast<char*>(x.raw_data());
  char* yb = y.defined() ? static_cast<char*>(y.raw_data()) : nullptr;
  const char* ib = static_cast<const char*>(index.raw_data());
  const int64_t istride = index.strides()[dim] * (int64_t)sizeof(int64_t);
  const int64_t xdim = x.strides()[dim] * x->itemsize(), x_size = x.sizes()[dim];
  const int64_t ydim = y.defined() ? y.strides()[dim] * y->itemsize() : 0;
  auto slice = [&](int64_t j, int64_t b, int64_t e) {
    int64_t i = *reinterpret_cast<const int64_t*>(ib + j * istride);
    if (wrap && i < 0) i += x_size;
    slice_loop(it, xb + i * xdim, yb ? yb + j * ydim : nullptr, b, e,
               [&](char* px, char* py, int64_t sx, int64_t sy, int64_t cnt) {
                 for (int64_t k = 0; k < cnt; ++k) f(px + k * sx, py ? py + k * sy : nullptr);
               });
  };
  if (parallel_over_index) {  // distinct destinations per j (gather)
    parallel_for(0, n, std::max<int64_t>(1, kGrainSize / m), [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) slice(j, 0, m);
    });
  } else {  // repeated indices: every thread takes all j, in order, over its part of the slice
    parallel_for(0, m, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t j = 0; j < n; ++j) slice(j, b, e);
    });
  }
}

// f(x_element, y_element) for every position of index (y_element is null without y).
template <class F>
void run(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, bool wrap, bool split_rows, const F& f) {
  if (index_is_vector(index, dim)) return run_vector(x, index, y, dim, wrap, split_rows, f);
  const Tensor* yp = y.defined() ? &y : nullptr;
  RowGeometry<3> g(index.sizes(), dim, {&x, &index, yp});
  const int64_t x_stride = x.dim() == 0 ? 0 : x.strides()[dim] * x->itemsize();
  const int64_t x_size = x.dim() == 0 ? 1 : x.sizes()[dim];
  const int64_t n = g.n;
  if (n == 0 || g.rows == 0) return;
  auto row = [&](const std::array<char*, 3>& p, int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      int64_t i = *reinterpret_cast<const int64_t*>(p[1] + j * g.inner[1]);
      if (wrap && i < 0) i += x_size;
      f(p[0] + i * x_stride, p[2] ? p[2] + j * g.inner[2] : nullptr);
    }
  };
  if (split_rows && g.rows == 1) {
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      g.for_rows(0, 1, [&](const std::array<char*, 3>& p) { row(p, b, e); });
    });
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrainSize / n);
  parallel_for(0, g.rows, grain, [&](int64_t b, int64_t e) {
    g.for_rows(b, e, [&](const std::array<char*, 3>& p) { row(p, 0, n); });
  });
}

template <class T>
void move_bytes(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, ScatterOp op, const T* fill,
                bool wrap) {
  switch (op) {
    case ScatterOp::Gather:
      return run(x, index, y, dim, wrap, true, [](char* xe, char* ye) { std::memcpy(ye, xe, sizeof(T)); });
    case ScatterOp::Assign:
      return run(x, index, y, dim, wrap, false, [](char* xe, char* ye) { std::memcpy(xe, ye, sizeof(T)); });
    default:
      return run(x, index, y, dim, wrap, false, [fill](char* xe, char*) { std::memcpy(xe, fill, sizeof(T)); });
  }
}

template <class T>
void fill_bytes(const Tensor& x, const Tensor& index, int64_t dim, T v, bool wrap) {
  move_bytes<T>(x, index, Tensor(), dim, ScatterOp::Fill, &v, wrap);
}

void scatter_gather_kernel(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, ScatterOp op,
                           const Scalar& scalar, bool wrap) {
  if (op == ScatterOp::Gather || op == ScatterOp::Assign || op == ScatterOp::Fill) {
    if (op == ScatterOp::Fill) {
      // The value in x's dtype, then moved as raw bytes.
      PE_DISPATCH_ALL_TYPES(x.dtype(), "scatter", [&] {
        scalar_t v = scalar.to<scalar_t>();
        switch (sizeof(scalar_t)) {
          case 1: { uint8_t b; std::memcpy(&b, &v, 1); return fill_bytes<uint8_t>(x, index, dim, b, wrap); }
          case 2: { uint16_t b; std::memcpy(&b, &v, 2); return fill_bytes<uint16_t>(x, index, dim, b, wrap); }
          case 4: { uint32_t b; std::memcpy(&b, &v, 4); return fill_bytes<uint32_t>(x, index, dim, b, wrap); }
          default: { uint64_t b; std::memcpy(&b, &v, 8); return fill_bytes<uint64_t>(x, index, dim, b, wrap); }
        }
      });
      return;
    }
    switch (element_size(x.dtype())) {
      case 1: return move_bytes<uint8_t>(x, index, y, dim, op, nullptr, wrap);
      case 2: return move_bytes<uint16_t>(x, index, y, dim, op, nullptr, wrap);
      case 4: return move_bytes<uint32_t>(x, index, y, dim, op, nullptr, wrap);
      default: return move_bytes<uint64_t>(x, index, y, dim, op, nullptr, wrap);
    }
  }
  PE_DISPATCH_ALL_TYPES(x.dtype(), "scatter", [&] {
    using acc_t = opmath_t<scalar_t>;
    if (op == ScatterOp::Add) {
      AddAlphaFunctor<scalar_t> add{scalar.to<acc_t>()};
      run(x, index, y, dim, wrap, false, [add](char* xe, char* ye) {
        auto* d = reinterpret_cast<scalar_t*>(xe);
        *d = add(*d, *reinterpret_cast<const scalar_t*>(ye));
      });
    } else if (op == ScatterOp::Multiply) {
      run(x, index, y, dim, wrap, false, [](char* xe, char* ye) {
        auto* d = reinterpret_cast<scalar_t*>(xe);
        *d = BinaryMathFunctor<scalar_t, BinaryMathOp::Mul>()(*d, *reinterpret_cast<const scalar_t*>(ye));
      });
    } else {
      const bool is_max = op == ScatterOp::Max;
      run(x, index, y, dim, wrap, false, [is_max](char* xe, char* ye) {
        auto* d = reinterpret_cast<scalar_t*>(xe);
        acc_t a = static_cast<acc_t>(*d), b = static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(ye));
        bool take_b;
        if constexpr (std::is_floating_point_v<acc_t>) take_b = !std::isnan(a) && (std::isnan(b) || (is_max ? b > a : b < a));
        else take_b = is_max ? b > a : b < a;
        if (take_b) *d = static_cast<scalar_t>(b);
      });
    }
  });
}

void mean_div_kernel(const TensorIter& iter) {
  PE_DISPATCH_NUMERIC_TYPES(iter.dtype(0), "scatter_gather_tensor_cpu_reduce_mean", [&] {
    using acc_t = opmath_t<scalar_t>;
    cpu_kernel(iter, [](scalar_t x, int64_t c) -> scalar_t {
      if (c <= 1) return x;
      if constexpr (std::is_integral_v<scalar_t>) {
        int64_t v = (int64_t)x, q = v / c;
        return static_cast<scalar_t>((v % c != 0 && v < 0) ? q - 1 : q);  // floor division
      } else {
        return static_cast<scalar_t>(static_cast<acc_t>(x) / static_cast<acc_t>(c));
      }
    });
  });
}

PE_REGISTER_KERNEL(scatter_gather_stub, CPU, &scatter_gather_kernel);
PE_REGISTER_KERNEL(mean_div_stub, CPU, &mean_div_kernel);

}  // namespace
}  // namespace pe::cpu
