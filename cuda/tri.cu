// tril/triu on CUDA (tri_stub): out = in with the elements outside the band zeroed, over the
// row-major (B, m, n) view of any strides, as the CPU kernel (csrc/cpu/linalg_kernel_struct.cpp).
// out may be in itself: each thread reads and writes one position.
#include "cuda/row_major.cuh"
#include "cuda/kernels.h"
#include "ops/linalg_stubs.h"

namespace pe::cuda {
namespace {

template <class T>
__global__ void tri_kernel_impl(char* out, const char* in, RowMajor2 g, int64_t numel, int64_t m, int64_t n,
                                int64_t diagonal, bool upper) {
  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < numel; p += (int64_t)gridDim.x * blockDim.x) {
    const int64_t j = p % n, i = (p / n) % m;
    const bool keep = upper ? (j - i >= diagonal) : (j - i <= diagonal);
    int64_t oo, oi;
    g.offsets(p, oo, oi);
    *reinterpret_cast<T*>(out + oo) = keep ? *reinterpret_cast<const T*>(in + oi) : T(0);
  }
}

template <class T>
void launch_tri(const Tensor& out, const Tensor& in, int64_t diagonal, bool upper) {
  const int64_t numel = out.numel();
  launch_kernel(tri_kernel_impl<T>, grid_size(numel), kBlockSize, 0, current_stream(), static_cast<char*>(out.raw_data()),
                static_cast<const char*>(in.raw_data()), make_row_major2(out, in), numel, out.size(-2), out.size(-1),
                diagonal, upper);
}

}  // namespace

void tri_kernel(const Tensor& out, const Tensor& in, int64_t diagonal, bool upper) {
  if (out.numel() == 0) return;
  DeviceGuard guard(out.device().index);
  // Zero is all-zero bits in every dtype: the element size is enough.
  switch (element_size(out.dtype())) {
    case 1: return launch_tri<uint8_t>(out, in, diagonal, upper);
    case 2: return launch_tri<uint16_t>(out, in, diagonal, upper);
    case 4: return launch_tri<uint32_t>(out, in, diagonal, upper);
    default: return launch_tri<uint64_t>(out, in, diagonal, upper);
  }
}

}  // namespace pe::cuda
