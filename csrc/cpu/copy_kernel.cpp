// CPU copy/cast and fill kernels. The cast is one op over dst x src dtypes (144 small loops, all in
// this translation unit); dense same-dtype copies are a memcpy per chunk.
#include <cstring>

#include "core/cast.h"
#include "cpu/loop.h"
#include "ops/stubs.h"

namespace pe::cpu {
namespace {

void copy_kernel(const Tensor& dst, const Tensor& src) {
  TensorIter iter({dst}, {src});
  if (dst.dtype() == src.dtype() && iter.is_contiguous()) {
    const int64_t isz = dst->itemsize();
    char* d = iter.data(0);
    const char* s = iter.data(1);
    parallel_for(0, iter.numel(), kGrainSize * 4,
                 [&](int64_t b, int64_t e) { std::memcpy(d + b * isz, s + b * isz, (e - b) * isz); });
    return;
  }
  PE_DISPATCH_ALL_TYPES_AND_COMPLEX(dst.dtype(), "copy_", [&] {
    using dst_t = scalar_t;
    PE_DISPATCH_ALL_TYPES_AND_COMPLEX(src.dtype(), "copy_", [&] {
      cpu_kernel(iter, [](scalar_t v) -> dst_t { return cast_value<dst_t>(v); });
    });
  });
}

void fill_kernel(const Tensor& dst, const Scalar& value) {
  TensorIter iter({dst}, {}, /*reorder=*/false);
  PE_DISPATCH_ALL_TYPES_AND_COMPLEX(dst.dtype(), "fill_", [&] {
    const scalar_t v = value.to<scalar_t>();
    cpu_index_kernel(iter, [v](int64_t) -> scalar_t { return v; });
  });
}

void arange_kernel(const Tensor& dst, const Scalar& start, const Scalar& step) {
  TensorIter iter({dst}, {}, /*reorder=*/false);
  PE_DISPATCH_ALL_TYPES(dst.dtype(), "arange", [&] {
    if constexpr (std::is_integral_v<scalar_t>) {
      if (!start.is_floating() && !step.is_floating()) {
        const int64_t s0 = start.to_int64(), st = step.to_int64();
        cpu_index_kernel(iter, [=](int64_t i) -> scalar_t { return (scalar_t)(s0 + i * st); });
        return;
      }
    }
    const double s0 = start.to_double(), st = step.to_double();
    cpu_index_kernel(iter, [=](int64_t i) -> scalar_t { return cast_value<scalar_t>(s0 + (double)i * st); });
  });
}

PE_REGISTER_KERNEL(copy_stub, CPU, &copy_kernel);
PE_REGISTER_KERNEL(fill_stub, CPU, &fill_kernel);
PE_REGISTER_KERNEL(arange_stub, CPU, &arange_kernel);

}  // namespace
}  // namespace pe::cpu
