// fill_ on CUDA: one value into every element of dst, any strides, all ten dtypes. An all-zero value
// into a contiguous tensor (zeros, zero_) is a cudaMemset.
#include <cstring>

#include "cuda/kernels.h"
#include "cuda/loop.cuh"

namespace pe::cuda {
namespace {

template <class T>
struct ConstantFunctor {
  T value;
  __device__ T operator()(int64_t) const { return value; }
};

template <class T>
bool all_zero_bytes(const T& v) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  for (unsigned char b : bytes)
    if (b != 0) return false;
  return true;
}

}  // namespace

void fill_kernel(const Tensor& dst, const Scalar& value) {
  if (dst.numel() == 0) return;
  PE_DISPATCH_ALL_TYPES(dst.dtype(), "fill_", [&] {
    const scalar_t v = value.to<scalar_t>();
    if (dst.is_contiguous() && all_zero_bytes(v)) {
      DeviceGuard guard(dst.device().index);
      PE_CUDA_CHECK(cudaMemsetAsync(dst.raw_data(), 0, (size_t)(dst.numel() * dst->itemsize()), current_stream()));
      return;
    }
    launch_index_fill<scalar_t>(dst, ConstantFunctor<scalar_t>{v});
  });
}

}  // namespace pe::cuda
