// add/sub/mul/div on CUDA (binary_stub): out = f(a, b) over a TensorIter whose three operands share
// one dtype, with the functors of ops/functors.h, so each element is computed exactly as the CPU
// kernel computes it. This file is compiled with -fmad=false (CMakeLists.txt): a + alpha * b must not
// become one fused multiply-add, which rounds once where the CPU rounds twice.
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/loop.cuh"
#include "ops/functors.h"
#include "ops/stubs.h"

namespace pe::cuda {
namespace {

// Every operand dense (TensorIter::is_contiguous): plain indexing.
template <class T, class F>
__global__ void binary_contig_kernel(T* out, const T* a, const T* b, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = f(a[i], b[i]);
}

template <class T, class F>
__global__ void binary_strided_kernel(char* out, const char* a, const char* b, OffsetCalc<3> calc, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[3];
    calc.get(i, off);
    *reinterpret_cast<T*>(out + off[0]) =
        f(*reinterpret_cast<const T*>(a + off[1]), *reinterpret_cast<const T*>(b + off[2]));
  }
}

template <class T, class F>
void launch_binary(const TensorIter& iter, const F& f) {
  const int64_t n = iter.numel();
  if (n == 0) return;
  DeviceGuard guard(iter_device(iter));
  if (iter.is_contiguous()) {
    launch_kernel(binary_contig_kernel<T, F>, grid_size(n), kBlockSize, 0, nullptr, reinterpret_cast<T*>(iter.data(0)),
                                                            reinterpret_cast<const T*>(iter.data(1)),
                                                            reinterpret_cast<const T*>(iter.data(2)), n, f);
  } else {
    launch_kernel(binary_strided_kernel<T, F>, grid_size(n), kBlockSize, 0, nullptr, iter.data(0), iter.data(1), iter.data(2),
                                                             make_offset_calc<3>(iter), n, f);
  }
}

}  // namespace

void binary_kernel(const TensorIter& iter, BinaryOp op, const Scalar& alpha) {
  PE_CHECK(iter.ntensors() == 3, "binary_stub: expected 3 operands (out, a, b), got ", iter.ntensors());
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "binary", [&] {
    switch (op) {
      case BinaryOp::Add:  // x + 1 * y is x + y exactly, so alpha == 1 needs no kernel of its own
        return launch_binary<scalar_t>(iter, AddFunctor<scalar_t>{alpha.to<opmath_t<scalar_t>>()});
      case BinaryOp::Mul:
        return launch_binary<scalar_t>(iter, MulFunctor<scalar_t>());
      case BinaryOp::Div:
        return launch_binary<scalar_t>(iter, DivFunctor<scalar_t>());
    }
    PE_ERROR("binary: unknown op ", (int)op);
  });
}

}  // namespace pe::cuda
