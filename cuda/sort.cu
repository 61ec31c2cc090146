// The CUDA row sort (Note [CUDA row sort] in sort.cuh) and its users sort/argsort/topk/kthvalue
// (sort_stub) and randperm (randperm_stub: the permutation that sorts one uniform key per position).
#include "cuda/kernels.h"
#include "cuda/sort.cuh"

namespace pe::cuda {
namespace {

// (ka, ia) before (kb, ib)?
__device__ __forceinline__ bool pair_less(uint64_t ka, int64_t ia, uint64_t kb, int64_t ib) {
  return ka < kb || (ka == kb && ia < ib);
}

// One block sorts `tile` (a power of two) pairs of one row: blockDim.x == tile / 2, each thread
// owning one compare-exchange per step. Tiles are numbered row-major (row, tile of the row).
template <class T>
__global__ void sort_tile_kernel(const T* self, RowCalc calc, int64_t stride, int64_t rows, int64_t n, int tile,
                                 bool descending, uint64_t* keys, int64_t* indices) {
  PE_DYNAMIC_SHARED(uint64_t, sk);
  int64_t* si = reinterpret_cast<int64_t*>(sk + tile);
  const int t = threadIdx.x;
  const int64_t tiles_per_row = (n + tile - 1) / tile;
  for (int64_t b = blockIdx.x; b < rows * tiles_per_row; b += gridDim.x) {
    const int64_t r = b / tiles_per_row, start = (b % tiles_per_row) * tile;
    int64_t off[3];
    calc.get(r, off);
    for (int j = t; j < tile; j += blockDim.x) {
      const int64_t i = start + j;
      if (i < n) {
        sk[j] = sort_key(self[off[0] + i * stride], descending);
        si[j] = i;
      } else {  // padding sorts after every element (whose index is smaller)
        sk[j] = kNanKey;
        si[j] = INT64_MAX;
      }
    }
    for (int size = 2; size <= tile; size *= 2) {
      for (int half = size / 2; half > 0; half /= 2) {
        __syncthreads();
        const int i = 2 * t - (t & (half - 1)), j = i + half;
        const bool up = (i & size) == 0;
        if (pair_less(sk[j], si[j], sk[i], si[i]) == up) {
          const uint64_t k = sk[i];
          sk[i] = sk[j];
          sk[j] = k;
          const int64_t x = si[i];
          si[i] = si[j];
          si[j] = x;
        }
      }
    }
    __syncthreads();
    for (int j = t; j < tile && start + j < n; j += blockDim.x) {
      keys[r * n + start + j] = sk[j];
      indices[r * n + start + j] = si[j];
    }
    __syncthreads();  // sk/si are reused by the next tile
  }
}

// Merges the sorted runs [s, s + w) and [s + w, s + 2w) of every row into out: each element's place
// is its position in its run plus the number of partner elements before it.
__global__ void merge_kernel(const uint64_t* kin, const int64_t* iin, uint64_t* kout, int64_t* iout, int64_t rows,
                             int64_t n, int64_t w) {
  const int64_t total = rows * n;
  for (int64_t g = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; g < total; g += (int64_t)gridDim.x * blockDim.x) {
    const int64_t r = g / n, j = g % n, base = r * n;
    const int64_t s = (j / (2 * w)) * (2 * w);
    const int64_t mid = s + w < n ? s + w : n, end = s + 2 * w < n ? s + 2 * w : n;
    const uint64_t k = kin[g];
    const int64_t idx = iin[g];
    const bool left = j < mid;
    int64_t lo = left ? mid : s, hi = left ? end : mid;  // the partner run
    const int64_t first = lo;
    while (lo < hi) {  // the number of partner elements before (k, idx)
      const int64_t m = lo + (hi - lo) / 2;
      if (pair_less(kin[base + m], iin[base + m], k, idx)) lo = m + 1;
      else hi = m;
    }
    const int64_t pos = s + (left ? j - s : j - mid) + (lo - first);
    kout[base + pos] = k;
    iout[base + pos] = idx;
  }
}

// values/indices at positions j of each row (j < k; or only the k-th, 1-based, when select_kth)
// from the sorted indices: values are read back from self, which keeps NaN payloads and -0.0.
template <class T>
__global__ void write_sorted_kernel(const T* self, T* values, int64_t* indices, RowCalc calc, int64_t s_stride,
                                    int64_t v_stride, int64_t i_stride, const int64_t* sorted, int64_t rows, int64_t n,
                                    int64_t k, bool select_kth) {
  const int64_t per_row = select_kth ? 1 : k, total = rows * per_row;
  for (int64_t g = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; g < total; g += (int64_t)gridDim.x * blockDim.x) {
    const int64_t r = g / per_row, j = g % per_row;
    int64_t off[3];
    calc.get(r, off);
    const int64_t src = sorted[r * n + (select_kth ? k - 1 : j)];
    values[off[1] + j * v_stride] = self[off[0] + src * s_stride];
    indices[off[2] + j * i_stride] = src;
  }
}

}  // namespace

RowCalc make_row_calc(const Tensor* const (&t)[3], int64_t dim) {
  RowCalc c;
  const Tensor& a = *t[0];
  for (int64_t d = a.dim() - 1; d >= 0; --d) {
    if (d == dim || a.size(d) == 1) continue;
    PE_CHECK(c.nd < kMaxDims, "CUDA sort supports at most ", kMaxDims, " dims, got ", a.dim());
    c.sizes[c.nd] = a.size(d);
    for (int k = 0; k < 3; ++k) c.strides[c.nd][k] = t[k]->defined() ? t[k]->stride(d) : 0;
    ++c.nd;
  }
  return c;
}

SortedRows sort_rows(const Tensor& self, int64_t dim, bool descending) {
  SortedRows out;
  out.n = self.dim() == 0 ? 1 : self.size(dim);
  out.rows = self.numel() / out.n;
  const int64_t total = out.rows * out.n;
  const Device dev = self.device();
  DeviceGuard guard(dev.index);
  out.keys = make_empty({total}, DType::Int64, dev);
  out.indices = make_empty({total}, DType::Int64, dev);
  int tile = 2;
  while (tile < kSortTile && tile < out.n) tile *= 2;
  const Tensor undefined;
  const RowCalc calc = make_row_calc({&self, &undefined, &undefined}, dim);
  const int64_t stride = self.dim() == 0 ? 0 : self.stride(dim);
  const int64_t blocks = out.rows * ((out.n + tile - 1) / tile);
  uint64_t* keys = reinterpret_cast<uint64_t*>(out.keys.data_ptr<int64_t>());
  int64_t* idx = out.indices.data_ptr<int64_t>();
  PE_DISPATCH_ALL_TYPES(self.dtype(), "sort", [&] {
    launch_kernel(sort_tile_kernel<scalar_t>, (unsigned)std::min<int64_t>(blocks, int64_t(1) << 16), tile / 2,
                  (size_t)tile * 16, current_stream(), static_cast<const scalar_t*>(self.raw_data()), calc, stride,
                  out.rows, out.n, tile, descending, keys, idx);
  });
  if (out.n <= tile) return out;
  Tensor keys2 = make_empty({total}, DType::Int64, dev), idx2 = make_empty({total}, DType::Int64, dev);
  uint64_t* k2 = reinterpret_cast<uint64_t*>(keys2.data_ptr<int64_t>());
  int64_t* i2 = idx2.data_ptr<int64_t>();
  for (int64_t w = tile; w < out.n; w *= 2) {
    launch_kernel(merge_kernel, grid_size(total), kBlockSize, 0, current_stream(), keys, idx, k2, i2, out.rows, out.n,
                  w);
    std::swap(keys, k2);
    std::swap(idx, i2);
    std::swap(out.keys, keys2);
    std::swap(out.indices, idx2);
  }
  return out;
}

void sort_kernel(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool descending,
                 int64_t k, SortMode mode) {
  if (values.numel() == 0) return;  // topk with k = 0
  const bool select_kth = mode == SortMode::Kth;  // every other mode: index order for ties
  const SortedRows s = sort_rows(self, dim, descending);
  DeviceGuard guard(self.device().index);
  const RowCalc calc = make_row_calc({&self, &values, &indices}, dim);
  auto stride = [&](const Tensor& t) { return t.dim() == 0 ? int64_t(0) : t.stride(dim); };
  const int64_t total = s.rows * (select_kth ? 1 : k);
  PE_DISPATCH_ALL_TYPES(self.dtype(), "sort", [&] {
    launch_kernel(write_sorted_kernel<scalar_t>, grid_size(total), kBlockSize, 0, current_stream(),
                  static_cast<const scalar_t*>(self.raw_data()), static_cast<scalar_t*>(values.raw_data()),
                  indices.data_ptr<int64_t>(), calc, stride(self), stride(values), stride(indices),
                  static_cast<const int64_t*>(s.indices.data_ptr<int64_t>()), s.rows, s.n, k, select_kth);
  });
}

// The permutation that sorts the keys (uniform doubles, one per position) ascending, ties by
// position: the CPU kernel (cpu/random_kernel.cpp) computes the same one, so a seed gives one
// permutation on both devices.
void randperm_kernel(const Tensor& perm, const Tensor& keys) {
  if (perm.numel() == 0) return;
  const SortedRows s = sort_rows(keys, 0, false);
  Tensor dst = perm;
  copy_kernel(dst, s.indices);
}

}  // namespace pe::cuda
