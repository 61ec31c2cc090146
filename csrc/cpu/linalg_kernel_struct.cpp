// CPU kernels of the structure ops: tril/triu (a band mask over the last two dims), cross (3-vectors
// along one dim) and trace (the sum of a strided diagonal).
#include "core/dispatch.h"
#include "core/tensor_iter.h"
#include "cpu/loop.h"
#include "ops/linalg_stubs.h"

namespace pe::cpu {
namespace {

// The iterator keeps row-major order (reorder = false), so an element's linear index gives its
// (row, col) in the last two dims; each chunk starts from a division and then steps along the row.
void tri_kernel(const Tensor& out, const Tensor& in, int64_t diagonal, bool upper) {
  const int64_t n = out.size(-1), m = out.size(-2);
  TensorIter iter({out}, {in}, /*reorder=*/false);
  PE_DISPATCH_ALL_TYPES(out.dtype(), "tril/triu", [&] {
    parallel_for(0, iter.numel(), kGrainSize, [&](int64_t begin, int64_t end) {
      int64_t pos = begin;
      iter.serial_for(begin, end, [&](char** data, const int64_t* strides, int64_t len) {
        int64_t j = pos % n, i = (pos / n) % m;
        for (int64_t t = 0; t < len; ++t) {
          const bool keep = upper ? (j - i >= diagonal) : (j - i <= diagonal);
          auto* o = reinterpret_cast<scalar_t*>(data[0] + t * strides[0]);
          *o = keep ? *reinterpret_cast<const scalar_t*>(data[1] + t * strides[1]) : scalar_t(0);
          if (++j == n) {
            j = 0;
            if (++i == m) i = 0;
          }
        }
        pos += len;
      });
    });
  });
}

// t's first slice along dim (a view with the dim dropped).
Tensor drop_dim(const Tensor& t, int64_t dim) {
  DimVector sizes = t.sizes(), strides = t.strides();
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(t, sizes, strides, t.storage_offset());
}

// The iterator runs over the tensors with `dim` taken out; each element reaches its three
// components through the dim's byte strides.
void cross_kernel(const Tensor& out, const Tensor& a, const Tensor& b, int64_t dim) {
  const int64_t isz = out->itemsize();
  const int64_t so = out.stride(dim) * isz, sa = a.stride(dim) * isz, sb = b.stride(dim) * isz;
  Tensor o0 = drop_dim(out, dim), a0 = drop_dim(a, dim), b0 = drop_dim(b, dim);
  TensorIter iter({o0}, {a0, b0});
  PE_DISPATCH_NUMERIC_TYPES(out.dtype(), "cross", [&] {
    using T = scalar_t;
    parallel_for(0, iter.numel(), kGrainSize / 3, [&](int64_t begin, int64_t end) {
      iter.serial_for(begin, end, [&](char** data, const int64_t* st, int64_t len) {
        for (int64_t t = 0; t < len; ++t) {
          const char* pa = data[1] + t * st[1];
          const char* pb = data[2] + t * st[2];
          char* po = data[0] + t * st[0];
          auto A = [&](int c) { return *reinterpret_cast<const T*>(pa + c * sa); };
          auto B = [&](int c) { return *reinterpret_cast<const T*>(pb + c * sb); };
          const T x = T(A(1) * B(2) - A(2) * B(1)), y = T(A(2) * B(0) - A(0) * B(2)), z = T(A(0) * B(1) - A(1) * B(0));
          *reinterpret_cast<T*>(po) = x;
          *reinterpret_cast<T*>(po + so) = y;
          *reinterpret_cast<T*>(po + 2 * so) = z;
        }
      });
    });
  });
}

template <class Acc, class T>
Acc strided_sum(const T* p, int64_t n, int64_t stride) {
  Acc s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<Acc>(p[i * stride]);
  return s;
}

void trace_kernel(const Tensor& out, const Tensor& diag) {
  const int64_t n = diag.numel(), st = n > 0 ? diag.stride(0) : 1;
  PE_DISPATCH_NUMERIC_TYPES(diag.dtype(), "trace", [&] {
    const auto* p = diag.data_ptr<scalar_t>();
    if constexpr (std::is_integral_v<scalar_t>) {  // integer traces are int64, as PyTorch
      *out.data_ptr<int64_t>() = (int64_t)strided_sum<uint64_t>(p, n, st);
    } else {
      *out.data_ptr<scalar_t>() = scalar_t(strided_sum<double>(p, n, st));
    }
  });
}

PE_REGISTER_KERNEL(tri_stub, CPU, &tri_kernel);
PE_REGISTER_KERNEL(cross_stub, CPU, &cross_kernel);
PE_REGISTER_KERNEL(trace_stub, CPU, &trace_kernel);

}  // namespace
}  // namespace pe::cpu
