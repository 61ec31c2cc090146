// copy_ on CUDA: the elementwise cast kernel for two tensors on one GPU, and the staging that brings
// a copy between devices (host <-> GPU, GPU <-> GPU) down to one contiguous byte transfer plus
// same-device work on either side. No kernel ever reads memory of another device.
#include "core/cast.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/loop.cuh"
#include "ops/stubs.h"

namespace pe::cuda {
namespace {

template <class To, class From>
__global__ void cast_copy_kernel(char* dst, const char* src, OffsetCalc<2> calc, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[2];
    calc.get(i, off);
    *reinterpret_cast<To*>(dst + off[0]) = cast_value<To>(*reinterpret_cast<const From*>(src + off[1]));
  }
}

// dst and src on the same GPU.
void copy_same_device(const Tensor& dst, const Tensor& src) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  DeviceGuard guard(dst.device().index);
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    PE_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), n * dst->itemsize(), cudaMemcpyDeviceToDevice,
                                  current_stream()));
    return;
  }
  TensorIter iter({dst}, {src});
  const OffsetCalc<2> calc = make_offset_calc<2>(iter);
  char* d = iter.data(0);
  const char* s = iter.data(1);
  PE_DISPATCH_ALL_TYPES(dst.dtype(), "copy_", [&] {
    using To = scalar_t;
    PE_DISPATCH_ALL_TYPES(src.dtype(), "copy_", [&] {
      launch_kernel(cast_copy_kernel<To, scalar_t>, grid_size(n), kBlockSize, 0, current_stream(), d, s, calc, n);
    });
  });
}

// dst and src on one device, whichever it is.
void copy_on_device(const Tensor& dst, const Tensor& src) {
  if (dst.device().is_cpu()) {
    copy_stub(Device())(dst, src);
  } else {
    copy_same_device(dst, src);
  }
}

Tensor empty_on(const DimVector& sizes, DType dtype, Device device) {
  DeviceGuard guard(device.is_cuda() ? device.index : -1);  // the allocator serves the current device
  return make_empty(sizes, dtype, device);
}

// t itself when contiguous, else a contiguous copy on t's device.
Tensor contiguous_on_device(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = empty_on(t.sizes(), t.dtype(), t.device());
  copy_on_device(out, t);
  return out;
}

// Compact src on its own device, move its bytes, then cast/scatter on dst's device; the middle
// step is a single transfer (and the only one when both ends are contiguous with one dtype).
void copy_across_devices(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  const Tensor s = contiguous_on_device(src);
  const size_t nbytes = (size_t)(s.numel() * s->itemsize());
  if (dst.is_contiguous() && dst.dtype() == src.dtype()) {
    cuda::copy_bytes(dst.raw_data(), dst.device(), s.raw_data(), s.device(), nbytes);
    return;
  }
  const Tensor staged = empty_on(s.sizes(), s.dtype(), dst.device());
  cuda::copy_bytes(staged.raw_data(), staged.device(), s.raw_data(), s.device(), nbytes);
  copy_on_device(dst, staged);
}

}  // namespace

void copy_kernel(const Tensor& dst, const Tensor& src) {
  if (dst.device() == src.device()) {
    copy_on_device(dst, src);
  } else {
    copy_across_devices(dst, src);
  }
}

}  // namespace pe::cuda
