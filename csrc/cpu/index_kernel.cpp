// CPU advanced-indexing kernels. Gathers move raw elements, so they dispatch on the element size
// (1/2/4/8 bytes), not the dtype; index_put with accumulate adds, so it dispatches on the dtype and
// runs serially (duplicate indices must all land).
#include <cstring>

#include "cpu/loop.h"
#include "ops/functors.h"
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
        *dst = AddFunctor<scalar_t>{opmath_t<scalar_t>(1)}(*dst, v);
      }
    });
  });
}

PE_REGISTER_KERNEL(index_stub, CPU, &index_kernel);
PE_REGISTER_KERNEL(index_put_stub, CPU, &index_put_kernel);

}  // namespace
}  // namespace pe::cpu
