// median and mode (sort_reduce_stub) on CUDA: the rows of the contiguous (rows, n) input are sorted
// ascending by the row sort (Note [CUDA row sort] in sort.cuh), then
//  - median: the lower median, the element at (n - 1) / 2 in (value, index) order; a NaN anywhere
//    makes it NaN at the first NaN's index (the first NaN key, found by a binary search);
//  - mode: one block per row; every run of equal keys is found at its last element, whose run start a
//    binary search gives, and the block keeps the longest run, the earliest (smallest value) on a tie.
//    Its last element has the largest index holding that value, as the CPU kernel and PyTorch.
#include "cuda/kernels.h"
#include "cuda/sort.cuh"

namespace pe::cuda {
namespace {

constexpr int kModeBlock = 256;

template <class T>
__global__ void median_kernel(const T* x, T* values, int64_t* indices, const uint64_t* keys, const int64_t* sorted,
                              int64_t rows, int64_t n) {
  for (int64_t r = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; r < rows; r += (int64_t)gridDim.x * blockDim.x) {
    const uint64_t* kr = keys + r * n;
    int64_t pos = (n - 1) / 2;
    if (is_float_v<T> && kr[n - 1] == kNanKey) {
      int64_t lo = 0, hi = n - 1;  // the first NaN key
      while (lo < hi) {
        const int64_t m = lo + (hi - lo) / 2;
        if (kr[m] == kNanKey) hi = m;
        else lo = m + 1;
      }
      pos = lo;
    }
    const int64_t i = sorted[r * n + pos];
    values[r] = x[r * n + i];
    indices[r] = i;
  }
}

template <class T>
__global__ void mode_kernel(const T* x, T* values, int64_t* indices, const uint64_t* keys, const int64_t* sorted,
                            int64_t rows, int64_t n) {
  __shared__ int64_t best_freq[kModeBlock], best_end[kModeBlock];
  const int t = threadIdx.x;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const uint64_t* kr = keys + r * n;
    int64_t freq = 0, end = -1;
    for (int64_t j = t; j < n; j += blockDim.x) {
      if (j != n - 1 && kr[j + 1] == kr[j]) continue;  // not the end of a run
      int64_t lo = 0, hi = j;  // the run's start: the first key equal to kr[j]
      while (lo < hi) {
        const int64_t m = lo + (hi - lo) / 2;
        if (kr[m] < kr[j]) lo = m + 1;
        else hi = m;
      }
      if (j - lo + 1 > freq) {  // j grows, so a tie keeps the earlier run
        freq = j - lo + 1;
        end = j;
      }
    }
    best_freq[t] = freq;
    best_end[t] = end;
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
      __syncthreads();
      if (t < s) {
        const int64_t f = best_freq[t + s], e = best_end[t + s];
        if (f > best_freq[t] || (f == best_freq[t] && f > 0 && e < best_end[t])) {
          best_freq[t] = f;
          best_end[t] = e;
        }
      }
    }
    __syncthreads();
    if (t == 0) {
      const int64_t i = sorted[r * n + best_end[0]];
      values[r] = x[r * n + i];
      indices[r] = i;
    }
    __syncthreads();  // best_* are reused by the next row
  }
}

}  // namespace

void sort_reduce_kernel(const Tensor& in, const Tensor& values, const Tensor& indices, bool is_mode) {
  const SortedRows s = sort_rows(in, 1, false);
  DeviceGuard guard(in.device().index);
  const uint64_t* keys = reinterpret_cast<const uint64_t*>(s.keys.data_ptr<int64_t>());
  const int64_t* sorted = s.indices.data_ptr<int64_t>();
  PE_DISPATCH_ALL_TYPES(in.dtype(), is_mode ? "mode" : "median", [&] {
    const scalar_t* x = static_cast<const scalar_t*>(in.raw_data());
    scalar_t* v = static_cast<scalar_t*>(values.raw_data());
    int64_t* i = indices.data_ptr<int64_t>();
    if (is_mode) {
      int block = 32;  // a power of two, no wider than the row
      while (block < kModeBlock && block < s.n) block *= 2;
      launch_kernel(mode_kernel<scalar_t>, (unsigned)std::min<int64_t>(s.rows, int64_t(1) << 16), block, 0,
                    current_stream(), x, v, i, keys, sorted, s.rows, s.n);
    } else {
      launch_kernel(median_kernel<scalar_t>, grid_size(s.rows), kBlockSize, 0, current_stream(), x, v, i, keys, sorted,
                    s.rows, s.n);
    }
  });
}

}  // namespace pe::cuda
