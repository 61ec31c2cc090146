// CUDA kernels of the fused scaled-dot-product attention (ops/nn_attention.h; the CPU kernels and Note
// [Flash attention] are in cpu/nn_attention_kernel.cpp). Same algorithm, laid out for the GPU:
//
// Note [CUDA flash attention]
// Forward: one block per (batch entry, block of kThreads query rows), one thread per query row. The keys
// are walked in tiles of bk rows: the block loads the K and V tiles into shared memory, each thread scores
// its row against the tile (scale * q.k + mask, -inf above the diagonal when causal) into its own row of
// a shared score tile, then does the online-softmax update (running max m, running sum l, the output row
// rescaled by exp(m_old - m_new)) and adds P V. The output row itself is the accumulator (the thread owns
// it), so shared memory is O(bk * (E + Ev) + kThreads * bk), never O(L x S). At the end O /= l and
// lse = m + log(l); a row whose keys are all masked gives zeros and lse = -inf, as on the CPU.
// Backward (D = rowsum(dO * O) first, one thread per row): two kernels that recompute P = exp(S - lse),
// so that every output element has exactly one writer (no atomics, the same bits on every run):
//   dQ: one thread per query row over key tiles in shared memory: dq += scale * P (dO.v - D) k;
//   dK, dV: one thread per key row over query tiles (Q, dO, lse, D in shared memory):
//           dv += P dO,  dk += scale * P (dO.v - D) q.
// Tile sizes follow from the head dims so that shared memory stays within the default 48 KB.
#include <cmath>

#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

constexpr int kThreads = 64;            // query (or key) rows per block, one per thread
constexpr int64_t kTileMax = 64;        // at most this many rows per shared-memory tile
constexpr size_t kSmemBudget = 48 * 1024;

template <class T>
struct Attn {
  const T *q, *k, *v;
  int64_t n, l, s, e, ev;
  bool causal;
  T scale;
  const T* mask;  // AttnMaskView's strided float mask, or null
  int64_t inner, s_outer, s_inner, s_row, s_col;
};

// scale * q_i . k_j + mask(b, i, j); -inf above the diagonal when causal. q and k are row pointers.
template <class T>
__device__ __forceinline__ T score(const Attn<T>& a, int64_t b, int64_t i, int64_t j, const T* q, const T* k) {
  if (a.causal && j > i) return T(-INFINITY);
  T acc = 0;
  for (int64_t c = 0; c < a.e; ++c) acc += q[c] * k[c];
  acc *= a.scale;
  if (a.mask)
    acc += a.mask[(b / a.inner) * a.s_outer + (b % a.inner) * a.s_inner + i * a.s_row + j * a.s_col];
  return acc;
}

// P(i, j) = exp(s - lse), 0 for a masked score or a fully masked row.
template <class T>
__device__ __forceinline__ T prob(T s, T lse) {
  return (s == T(-INFINITY) || lse == T(-INFINITY)) ? T(0) : std::exp(s - lse);
}

// Copies rows [r0, r0 + nr) of a (rows, width) matrix into shared memory, the whole block cooperating.
template <class T>
__device__ void load_tile(T* dst, const T* src, int64_t r0, int64_t nr, int64_t width) {
  const T* p = src + r0 * width;
  for (int64_t idx = threadIdx.x; idx < nr * width; idx += blockDim.x) dst[idx] = p[idx];
}

template <class T>
__global__ void flash_forward_kernel(T* out, T* lse, Attn<T> a, int64_t tile, int64_t nqb) {
  PE_DYNAMIC_SHARED(T, smem);
  T* ks = smem;
  T* vs = ks + tile * a.e;
  T* sc = vs + tile * a.ev;
  const int64_t b = blockIdx.x / nqb, i0 = (blockIdx.x % nqb) * kThreads, i = i0 + threadIdx.x;
  const bool active = i < a.l;
  const T* q = a.q + (b * a.l + (active ? i : 0)) * a.e;
  T* o = out + (b * a.l + (active ? i : 0)) * a.ev;
  T* srow = sc + threadIdx.x * (tile + 1);  // +1: neighbouring threads' rows in different banks
  T m = T(-INFINITY), sum = 0;
  if (active)
    for (int64_t c = 0; c < a.ev; ++c) o[c] = 0;
  // The same bound for the whole block: every thread must reach every __syncthreads.
  const int64_t kend = a.causal ? dmin<int64_t>(a.s, i0 + kThreads) : a.s;
  for (int64_t j0 = 0; j0 < kend; j0 += tile) {
    const int64_t bk = dmin<int64_t>(tile, kend - j0);
    __syncthreads();  // the previous tile is consumed
    load_tile(ks, a.k + b * a.s * a.e, j0, bk, a.e);
    load_tile(vs, a.v + b * a.s * a.ev, j0, bk, a.ev);
    __syncthreads();
    if (!active) continue;
    T m_blk = T(-INFINITY);
    for (int64_t jj = 0; jj < bk; ++jj) {
      const T s = score(a, b, i, j0 + jj, q, ks + jj * a.e);
      srow[jj] = s;
      m_blk = dmax(m_blk, s);
    }
    const T m_new = dmax(m, m_blk);
    if (m_new == T(-INFINITY)) continue;  // every key so far masked
    const T alpha = std::exp(m - m_new);  // 0 while m is -inf
    T s_blk = 0;
    for (int64_t jj = 0; jj < bk; ++jj) {
      const T p = std::exp(srow[jj] - m_new);
      srow[jj] = p;
      s_blk += p;
    }
    sum = sum * alpha + s_blk;
    m = m_new;
    for (int64_t c = 0; c < a.ev; ++c) {
      T acc = o[c] * alpha;
      for (int64_t jj = 0; jj < bk; ++jj) acc += srow[jj] * vs[jj * a.ev + c];
      o[c] = acc;
    }
  }
  if (!active) return;
  if (sum > T(0)) {
    const T inv = T(1) / sum;
    for (int64_t c = 0; c < a.ev; ++c) o[c] *= inv;
    lse[b * a.l + i] = m + std::log(sum);
  } else {
    for (int64_t c = 0; c < a.ev; ++c) o[c] = 0;
    lse[b * a.l + i] = T(-INFINITY);
  }
}

// D = rowsum(dO * O), one thread per query row.
template <class T>
__global__ void row_dot_kernel(T* d, const T* go, const T* out, int64_t rows, int64_t ev) {
  PE_CUDA_GRID_LOOP(r, rows) {
    T acc = 0;
    for (int64_t c = 0; c < ev; ++c) acc += go[r * ev + c] * out[r * ev + c];
    d[r] = acc;
  }
}

template <class T>
__global__ void flash_backward_dq_kernel(T* dq, const T* go, const T* lse, const T* drow, Attn<T> a, int64_t tile,
                                         int64_t nqb) {
  PE_DYNAMIC_SHARED(T, smem);
  T* ks = smem;
  T* vs = ks + tile * a.e;
  const int64_t b = blockIdx.x / nqb, i0 = (blockIdx.x % nqb) * kThreads, i = i0 + threadIdx.x;
  const bool active = i < a.l;
  const int64_t row = b * a.l + (active ? i : 0);
  const T* q = a.q + row * a.e;
  const T* g = go + row * a.ev;
  T* dqr = dq + row * a.e;
  const T l = lse[row], d = drow[row];
  if (active)
    for (int64_t c = 0; c < a.e; ++c) dqr[c] = 0;
  const int64_t kend = a.causal ? dmin<int64_t>(a.s, i0 + kThreads) : a.s;
  for (int64_t j0 = 0; j0 < kend; j0 += tile) {
    const int64_t bk = dmin<int64_t>(tile, kend - j0);
    __syncthreads();
    load_tile(ks, a.k + b * a.s * a.e, j0, bk, a.e);
    load_tile(vs, a.v + b * a.s * a.ev, j0, bk, a.ev);
    __syncthreads();
    if (!active) continue;
    for (int64_t jj = 0; jj < bk; ++jj) {
      const T* kr = ks + jj * a.e;
      const T p = prob(score(a, b, i, j0 + jj, q, kr), l);
      if (p == T(0)) continue;
      const T* vr = vs + jj * a.ev;
      T dp = 0;
      for (int64_t c = 0; c < a.ev; ++c) dp += g[c] * vr[c];
      const T ds = a.scale * p * (dp - d);
      for (int64_t c = 0; c < a.e; ++c) dqr[c] += ds * kr[c];
    }
  }
}

template <class T>
__global__ void flash_backward_dkv_kernel(T* dk, T* dv, const T* go, const T* lse, const T* drow, Attn<T> a,
                                          int64_t tile, int64_t nkb) {
  PE_DYNAMIC_SHARED(T, smem);
  T* qs = smem;
  T* gs = qs + tile * a.e;
  T* ls = gs + tile * a.ev;
  T* ds_ = ls + tile;
  const int64_t b = blockIdx.x / nkb, j0 = (blockIdx.x % nkb) * kThreads, j = j0 + threadIdx.x;
  const bool active = j < a.s;
  const int64_t row = b * a.s + (active ? j : 0);
  const T* k = a.k + row * a.e;
  const T* v = a.v + row * a.ev;
  T* dkr = dk + row * a.e;
  T* dvr = dv + row * a.ev;
  if (active) {
    for (int64_t c = 0; c < a.e; ++c) dkr[c] = 0;
    for (int64_t c = 0; c < a.ev; ++c) dvr[c] = 0;
  }
  // Causal: queries above this block's first key see none of its keys.
  const int64_t istart = a.causal ? dmin<int64_t>(j0, a.l) : 0;
  for (int64_t q0 = istart; q0 < a.l; q0 += tile) {
    const int64_t bq = dmin<int64_t>(tile, a.l - q0);
    __syncthreads();
    load_tile(qs, a.q + b * a.l * a.e, q0, bq, a.e);
    load_tile(gs, go + b * a.l * a.ev, q0, bq, a.ev);
    load_tile(ls, lse + b * a.l, q0, bq, 1);
    load_tile(ds_, drow + b * a.l, q0, bq, 1);
    __syncthreads();
    if (!active) continue;
    for (int64_t ii = 0; ii < bq; ++ii) {
      const T* qr = qs + ii * a.e;
      const T p = prob(score(a, b, q0 + ii, j, qr, k), ls[ii]);
      if (p == T(0)) continue;
      const T* gr = gs + ii * a.ev;
      T dp = 0;
      for (int64_t c = 0; c < a.ev; ++c) {
        dp += gr[c] * v[c];
        dvr[c] += p * gr[c];
      }
      const T dsv = a.scale * p * (dp - ds_[ii]);
      for (int64_t c = 0; c < a.e; ++c) dkr[c] += dsv * qr[c];
    }
  }
}

template <class T>
Attn<T> make_args(const Tensor& q, const Tensor& k, const Tensor& v, const AttnMaskView& mask, bool causal,
                  double scale) {
  return Attn<T>{static_cast<const T*>(q.raw_data()), static_cast<const T*>(k.raw_data()),
                 static_cast<const T*>(v.raw_data()), q.size(0), q.size(1), k.size(1), q.size(2), v.size(2),
                 causal, T(scale), static_cast<const T*>(mask.data), mask.inner, mask.s_outer, mask.s_inner,
                 mask.s_row, mask.s_col};
}

// The largest tile of at most kTileMax rows of `per_row` elements (plus `fixed` elements) within the budget.
int64_t tile_rows(int64_t per_row, int64_t fixed, size_t elem, const char* name) {
  const int64_t budget = (int64_t)(kSmemBudget / elem) - fixed;
  const int64_t rows = std::min<int64_t>(kTileMax, budget / std::max<int64_t>(1, per_row));
  PE_CHECK(rows >= 1, name, ": head dims too large for the fused CUDA kernel's shared memory");
  return rows;
}

unsigned blocks_for(int64_t n, int64_t rows) {
  const int64_t b = n * ((rows + kThreads - 1) / kThreads);
  PE_CHECK(b < (int64_t(1) << 31), "scaled_dot_product_attention: too many rows for one CUDA grid");
  return (unsigned)b;
}

}  // namespace

void flash_attention_kernel(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                            const Tensor& v, const AttnMaskView& mask, bool causal, double scale) {
  DeviceGuard guard(q.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(q.dtype(), "scaled_dot_product_attention", [&] {
    using T = scalar_t;
    Attn<T> a = make_args<T>(q, k, v, mask, causal, scale);
    if (a.n * a.l == 0) return;
    // Shared memory: K and V tiles (tile x (E + Ev)) and the score tile (kThreads x (tile + 1)).
    const int64_t tile = tile_rows(a.e + a.ev + kThreads, kThreads, sizeof(T), "scaled_dot_product_attention");
    const size_t smem = (size_t)(tile * (a.e + a.ev) + kThreads * (tile + 1)) * sizeof(T);
    const int64_t nqb = (a.l + kThreads - 1) / kThreads;
    launch_kernel(flash_forward_kernel<T>, blocks_for(a.n, a.l), kThreads, smem, current_stream(),
                  static_cast<T*>(out.raw_data()), static_cast<T*>(lse.raw_data()), a, tile, nqb);
  });
}

void flash_attention_backward_kernel(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& grad_out,
                                     const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                     const Tensor& lse, const AttnMaskView& mask, bool causal, double scale) {
  DeviceGuard guard(q.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(q.dtype(), "scaled_dot_product_attention_backward", [&] {
    using T = scalar_t;
    Attn<T> a = make_args<T>(q, k, v, mask, causal, scale);
    const char* name = "scaled_dot_product_attention_backward";
    T* dqp = static_cast<T*>(dq.raw_data());
    T* dkp = static_cast<T*>(dk.raw_data());
    T* dvp = static_cast<T*>(dv.raw_data());
    const T* gp = static_cast<const T*>(grad_out.raw_data());
    const T* lp = static_cast<const T*>(lse.raw_data());
    Tensor drow = make_empty({std::max<int64_t>(1, a.n * a.l)}, q.dtype(), q.device());
    T* dp = static_cast<T*>(drow.raw_data());
    if (a.n * a.l > 0) {
      launch_kernel(row_dot_kernel<T>, nn_grid(a.n * a.l), kNnBlock, 0, current_stream(), dp, gp,
                    static_cast<const T*>(out.raw_data()), a.n * a.l, a.ev);
      const int64_t tile = tile_rows(a.e + a.ev, 0, sizeof(T), name);
      launch_kernel(flash_backward_dq_kernel<T>, blocks_for(a.n, a.l), kThreads,
                    (size_t)(tile * (a.e + a.ev)) * sizeof(T), current_stream(), dqp, gp, lp,
                    static_cast<const T*>(dp), a, tile, (a.l + kThreads - 1) / kThreads);
    }
    if (a.n * a.s > 0) {
      const int64_t tile = tile_rows(a.e + a.ev + 2, 0, sizeof(T), name);
      launch_kernel(flash_backward_dkv_kernel<T>, blocks_for(a.n, a.s), kThreads,
                    (size_t)(tile * (a.e + a.ev + 2)) * sizeof(T), current_stream(), dkp, dvp, gp, lp,
                    static_cast<const T*>(dp), a, tile, (a.s + kThreads - 1) / kThreads);
    }
  });
}

}  // namespace pe::cuda
