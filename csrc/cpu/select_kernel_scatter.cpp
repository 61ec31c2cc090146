// CPU gather/scatter kernel (Note [Scatter/gather geometry] in ops/select_stubs.h). Moves that
// only copy bytes (gather, assign, fill) dispatch on the element size; add/multiply dispatch on the
// dtype. Rows along `dim` are never split between threads, so duplicate indices accumulate in
// order; a gather with one long row is split along the row instead (it writes distinct places).
#include <algorithm>
#include <cstring>

#include "cpu/parallel.h"
#include "cpu/select_rows.h"
#include "ops/functors.h"
#include "ops/select_stubs.h"

namespace pe::cpu {
namespace {

// f(x_element, y_element) for every position of index (y_element is null without y).
template <class F>
void run(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, bool wrap, bool split_rows, const F& f) {
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
      AddFunctor<scalar_t> add{scalar.to<acc_t>()};
      run(x, index, y, dim, wrap, false, [add](char* xe, char* ye) {
        auto* d = reinterpret_cast<scalar_t*>(xe);
        *d = add(*d, *reinterpret_cast<const scalar_t*>(ye));
      });
    } else {
      run(x, index, y, dim, wrap, false, [](char* xe, char* ye) {
        auto* d = reinterpret_cast<scalar_t*>(xe);
        *d = MulFunctor<scalar_t>()(*d, *reinterpret_cast<const scalar_t*>(ye));
      });
    }
  });
}

PE_REGISTER_KERNEL(scatter_gather_stub, CPU, &scatter_gather_kernel);

}  // namespace
}  // namespace pe::cpu
