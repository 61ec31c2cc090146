// cumsum/cumprod (scan_stub) on CUDA: an inclusive scan of a contiguous (outer, n, inner) tensor
// along n, accumulating in double for floating dtypes and in wrapping int64 for integers, as the CPU
// kernel (cpu/reduce_sort_kernel.cpp).
//  - inner == 1 (the scanned dim is innermost): one block per row; thread t owns a contiguous chunk of
//    the row, the chunk totals are scanned in shared memory, and each thread rescans its chunk from
//    its prefix. The split depends only on n, so results are the same on every run.
//  - inner > 1: one thread per (outer, inner) column walking n; neighbouring threads read neighbouring
//    columns (coalesced).
#include "core/cast.h"
#include "cuda/kernels.h"
#include "cuda/loop.cuh"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

constexpr int kScanBlock = 256;

template <class T>
using scan_acc_t = std::conditional_t<is_float_v<T>, double, int64_t>;

template <class T, bool IsProd>
struct ScanStep {
  using A = scan_acc_t<T>;
  __device__ static A identity() { return IsProd ? A(1) : A(0); }
  __device__ static A apply(A a, A b) {
    if constexpr (std::is_integral_v<A>) {  // two's complement wrap, as the CPU
      const uint64_t x = static_cast<uint64_t>(a), y = static_cast<uint64_t>(b);
      return static_cast<A>(IsProd ? x * y : x + y);
    } else {
      return IsProd ? a * b : a + b;
    }
  }
};

template <class T, bool IsProd>
__global__ void scan_rows_kernel(const T* x, T* y, int64_t rows, int64_t n) {
  using S = ScanStep<T, IsProd>;
  using A = scan_acc_t<T>;
  __shared__ A prefix[kScanBlock];
  const int t = threadIdx.x, nthreads = blockDim.x;
  const int64_t chunk = (n + nthreads - 1) / nthreads;
  const int64_t b = t * chunk < n ? t * chunk : n, e = b + chunk < n ? b + chunk : n;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    A total = S::identity();
    for (int64_t k = b; k < e; ++k) total = S::apply(total, cast_value<A>(xr[k]));
    prefix[t] = total;
    __syncthreads();
    if (t == 0) {  // exclusive scan of at most kScanBlock chunk totals
      A run = S::identity();
      for (int k = 0; k < nthreads; ++k) {
        const A v = prefix[k];
        prefix[k] = run;
        run = S::apply(run, v);
      }
    }
    __syncthreads();
    A a = prefix[t];
    for (int64_t k = b; k < e; ++k) {
      a = S::apply(a, cast_value<A>(xr[k]));
      yr[k] = cast_value<T>(a);
    }
    __syncthreads();  // prefix[] is reused by the next row
  }
}

template <class T, bool IsProd>
__global__ void scan_cols_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using S = ScanStep<T, IsProd>;
  using A = scan_acc_t<T>;
  const int64_t cols = outer * inner;
  for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < cols; c += (int64_t)gridDim.x * blockDim.x) {
    const int64_t o = c / inner, i = c % inner;
    const int64_t base = o * n * inner + i;
    A a = S::identity();
    for (int64_t k = 0; k < n; ++k) {
      a = S::apply(a, cast_value<A>(x[base + k * inner]));
      y[base + k * inner] = cast_value<T>(a);
    }
  }
}

template <class T, bool IsProd>
void launch_scan(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  if (inner == 1) {
    int block = 32;  // a power of two, no wider than the row
    while (block < kScanBlock && block < n) block *= 2;
    const unsigned grid = (unsigned)std::min<int64_t>(outer, int64_t(1) << 16);
    launch_kernel(scan_rows_kernel<T, IsProd>, grid, block, 0, current_stream(), x, y, outer, n);
  } else {
    launch_kernel(scan_cols_kernel<T, IsProd>, grid_size(outer * inner), kBlockSize, 0, current_stream(), x, y, outer,
                  n, inner);
  }
}

}  // namespace

void scan_kernel(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner, bool is_prod) {
  if (outer * n * inner == 0) return;
  DeviceGuard guard(in.device().index);
  PE_DISPATCH_ALL_TYPES(in.dtype(), "cumsum", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    if (is_prod) launch_scan<scalar_t, true>(x, y, outer, n, inner);
    else launch_scan<scalar_t, false>(x, y, outer, n, inner);
  });
}

}  // namespace pe::cuda
