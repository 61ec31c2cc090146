// CPU advanced-indexing kernels. Gathers move raw elements, so they dispatch on the element size
// (1/2/4/8 bytes), not the dtype; index_put with accumulate adds, so it dispatches on the dtype and
// runs serially (duplicate indices must all land). Also the pieces the op layer builds them from:
// index bounds, byte offsets and nonzero().
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "cpu/loop.h"
#include "ops/elementwise_functors.h"
#include "ops/ops.h"
#include "ops/stubs.h"

namespace pe::cpu {
namespace {

template <class T>
void gather_loop(const TensorIter& iter) {
  parallel_for(0, iter.numel(), kGrainSize, [&](int64_t b, int64_t e) {
    iter.serial_for(b, e, [](char** data, const int64_t* st, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t off = *reinterpret_cast<const int64_t*>(data[2] + i * st[2]);
        std::memcpy(data[0] + i * st[0], data[1] + i * st[1] + off, sizeof(T));
      }
    });
  });
}

void index_kernel(const TensorIter& iter) {
  switch (element_size(iter.dtype(0))) {
    case 1: return gather_loop<uint8_t>(iter);
    case 2: return gather_loop<uint16_t>(iter);
    case 4: return gather_loop<uint32_t>(iter);
    default: return gather_loop<uint64_t>(iter);
  }
}

template <class T>
void scatter_loop(const TensorIter& iter) {
  parallel_for(0, iter.numel(), kGrainSize, [&](int64_t b, int64_t e) {
    iter.serial_for(b, e, [](char** data, const int64_t* st, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t off = *reinterpret_cast<const int64_t*>(data[2] + i * st[2]);
        std::memcpy(data[0] + i * st[0] + off, data[1] + i * st[1], sizeof(T));
      }
    });
  });
}

void index_put_kernel(const TensorIter& iter, bool accumulate) {
  if (!accumulate) {
    switch (element_size(iter.dtype(0))) {
      case 1: return scatter_loop<uint8_t>(iter);
      case 2: return scatter_loop<uint16_t>(iter);
      case 4: return scatter_loop<uint32_t>(iter);
      default: return scatter_loop<uint64_t>(iter);
    }
  }
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "index_put_", [&] {
    iter.serial_for(0, iter.numel(), [](char** data, const int64_t* st, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t off = *reinterpret_cast<const int64_t*>(data[2] + i * st[2]);
        auto* dst = reinterpret_cast<scalar_t*>(data[0] + i * st[0] + off);
        const auto v = *reinterpret_cast<const scalar_t*>(data[1] + i * st[1]);
        *dst = BinaryMathFunctor<scalar_t, BinaryMathOp::Add>()(*dst, v);
      }
    });
  });
}

// The first out-of-range element: each thread finds its chunk's first, the smallest position wins.
std::optional<int64_t> index_bounds_kernel(const Tensor& index, int64_t size, bool allow_negative) {
  const int64_t* p = index.data_ptr<int64_t>();
  const int64_t n = index.numel(), lo = allow_negative ? -size : 0;
  std::atomic<int64_t> first{std::numeric_limits<int64_t>::max()};
  parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      if (p[i] < lo || p[i] >= size) {
        int64_t cur = first.load();
        while (i < cur && !first.compare_exchange_weak(cur, i)) {
        }
        return;
      }
    }
  });
  const int64_t at = first.load();
  if (at == std::numeric_limits<int64_t>::max()) return std::nullopt;
  return p[at];
}

void index_offsets_kernel(const TensorIter& iter, int64_t size, int64_t stride) {
  cpu_kernel(iter, [size, stride](int64_t off, int64_t x) -> int64_t { return off + (x < 0 ? x + size : x) * stride; });
}

Tensor nonzero_kernel(const Tensor& t) {
  Tensor c = contiguous(to(t, DType::Bool, std::nullopt));
  const bool* p = c.data_ptr<bool>();
  const int64_t n = c.numel(), nd = t.dim();
  const int64_t count = std::count(p, p + n, true);
  Tensor out = make_empty({count, nd}, DType::Int64, t.device());
  int64_t* o = out.data_ptr<int64_t>();
  DimVector idx(nd, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (p[i]) {
      for (int64_t d = 0; d < nd; ++d) *o++ = idx[d];
    }
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < t.sizes()[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

PE_REGISTER_KERNEL(index_stub, CPU, &index_kernel);
PE_REGISTER_KERNEL(index_bounds_stub, CPU, &index_bounds_kernel);
PE_REGISTER_KERNEL(index_offsets_stub, CPU, &index_offsets_kernel);
PE_REGISTER_KERNEL(nonzero_stub, CPU, &nonzero_kernel);
PE_REGISTER_KERNEL(index_put_stub, CPU, &index_put_kernel);

}  // namespace
}  // namespace pe::cpu
