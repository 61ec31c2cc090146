// CPU kernels of the fused attention (ops/nn_attention.h).
//
// Note [Flash attention]
// The forward takes a block of BQ query rows and walks the keys in blocks of BK: S = scale * Q K^T (our
// GEMM), plus the mask, -inf above the diagonal when causal; then, per row, an online softmax: the running
// maximum m and sum l are updated, the output rows already accumulated are rescaled by exp(m_old - m_new)
// and P = exp(S - m_new) times the value block is added (GEMM). At the end O /= l and lse = m + log(l). A
// row whose keys are all masked gives zeros and lse = -inf (PyTorch's safe softmax). Memory per thread is
// one BQ x BK block, plus one transposed copy of K (and V in the backward) per call: it grows linearly with
// the sequence length.
// The backward recomputes P = exp(S - lse) block by block (D = rowsum(dO * O)):
//   dV += P^T dO;  dP = dO V^T;  dS = P * (dP - D);  dQ += scale dS K;  dK += scale dS^T Q.
// Work is split over (batch, query block) in the forward and over the batch in the backward (each thread
// owns its dQ/dK/dV slices, so there is no reduction between threads and results do not depend on it).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/nn_kernel_util.h"
#include "cpu/parallel.h"
#include "ops/fast_math.h"
#include "ops/nn_attention.h"
#if defined(__x86_64__)
#include "cpu/exp_avx512.h"
#endif

namespace pe::cpu {
namespace {

// The softmax row loops next to the GEMMs (max, x = exp(x - m) with the sum). This file is compiled for
// the baseline x86-64, where they run 4 floats wide (half the forward's time at L = 1024 was here), so
// float rows take AVX-512 loops when the CPU has them (cpu/exp_avx512.h: math::exp_f32's algorithm).
#if defined(__x86_64__)
#define PE_ATTN_AVX512 __attribute__((target("avx512f,avx512dq,avx2,fma")))
PE_ATTN_AVX512 float row_max_avx512(const float* x, int64_t n) {
  __m512 acc = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  int64_t c = 0;
  for (; c + 16 <= n; c += 16) acc = _mm512_max_ps(acc, _mm512_loadu_ps(x + c));
  if (c < n) acc = _mm512_mask_max_ps(acc, (__mmask16)((1u << (n - c)) - 1), acc, _mm512_loadu_ps(x + c));
  return _mm512_reduce_max_ps(acc);
}
PE_ATTN_AVX512 float exp_sub_sum_avx512(float* x, int64_t n, float m) {
  const __m512 mv = _mm512_set1_ps(m);
  __m512 acc = _mm512_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m512 e = avx512::exp(_mm512_sub_ps(_mm512_loadu_ps(x + c), mv));
    _mm512_storeu_ps(x + c, e);
    acc = _mm512_add_ps(acc, e);
  }
  if (c < n) {
    const __mmask16 k = (__mmask16)((1u << (n - c)) - 1);
    const __m512 e = avx512::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + c), mv));
    _mm512_mask_storeu_ps(x + c, k, e);
    acc = _mm512_mask_add_ps(acc, k, acc, e);
  }
  return _mm512_reduce_add_ps(acc);
}
#undef PE_ATTN_AVX512
bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return yes;
}
#else
bool has_avx512() { return false; }
#endif

template <class T>
T row_max(const T* x, int64_t n) {
#if defined(__x86_64__)
  if constexpr (std::is_same_v<T, float>)
    if (n > 0 && has_avx512()) return row_max_avx512(x, n);
#endif
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t c = 0; c < n; ++c) m = std::max(m, x[c]);
  return m;
}

// x[c] = exp(x[c] - m); returns their sum.
template <class T>
T exp_sub_sum(T* x, int64_t n, T m) {
#if defined(__x86_64__)
  if constexpr (std::is_same_v<T, float>)
    if (has_avx512()) return exp_sub_sum_avx512(x, n, m);
#endif
  // Two loops: the exp loop vectorizes (polynomial exp for float), the ordered sum does not.
  for (int64_t c = 0; c < n; ++c) x[c] = math::exp(x[c] - m);
  T s = 0;
  for (int64_t c = 0; c < n; ++c) s += x[c];
  return s;
}

// 128 query rows by 512 keys (measured at L = S = 1024, head dim 64, after the K^T copy and the AVX-512 row
// loops: 64 x 512 was ~20% slower, 256 x 512 no faster; before them 64 x 256 .. 256 x 512 were tried):
// the larger blocks halve the re-packing of the K^T / V blocks and of Q, and 128-row query blocks still
// leave enough work items for the threads. Scratch per thread: 2 blocks, 512 KB (float).
constexpr int64_t kBlockQ = 128;
constexpr int64_t kBlockK = 512;

template <class T>
struct Problem {
  int64_t n, l, s, e, ev;
  bool causal;
  T scale;
  const AttnMaskView* mask;
};

// Each batch entry's (rows, cols) matrix transposed to (cols, rows). The score GEMMs read K (and the
// backward V) as K^T blocks: packing a transposed operand block by block cost as much as the product
// itself (it is re-packed for every query block), so the keys are transposed once per call (memory: one
// more copy of K, still linear in the sequence length).
template <class T>
std::vector<T> transpose_batches(const T* src, int64_t n, int64_t rows, int64_t cols) {
  std::vector<T> out(n * rows * cols);
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, rows));
  parallel_for(0, n * cols, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t bc = lo; bc < hi; ++bc) {
      const int64_t b = bc / cols, c = bc % cols;
      const T* in = src + b * rows * cols + c;
      T* o = out.data() + (b * cols + c) * rows;
      for (int64_t r = 0; r < rows; ++r) o[r] = in[r * cols];
    }
  });
  return out;
}

// scores (bq x bk) = scale * Q K^T + mask, -inf above the diagonal when causal. ktb: column j0 of this
// batch entry's K^T (E x S, leading dimension S).
template <class T>
void block_scores(T* sc, const Problem<T>& p, int64_t b, int64_t i0, int64_t bq, int64_t j0, int64_t bk,
                  const T* qb, const T* ktb) {
  gemm<T>(false, false, bq, bk, p.e, p.scale, qb, p.e, ktb, p.s, T(0), sc, bk);
  const AttnMaskView& m = *p.mask;
  const T neg_inf = -std::numeric_limits<T>::infinity();
  for (int64_t r = 0; r < bq; ++r) {
    T* row = sc + r * bk;
    if (m.data) {
      const T* mrow = static_cast<const T*>(m.data) + (b / m.inner) * m.s_outer + (b % m.inner) * m.s_inner +
                      (i0 + r) * m.s_row + j0 * m.s_col;
      for (int64_t c = 0; c < bk; ++c) row[c] += mrow[c * m.s_col];
    }
    if (p.causal)
      for (int64_t c = std::max<int64_t>(0, i0 + r + 1 - j0); c < bk; ++c) row[c] = neg_inf;
  }
}

template <class T>
void forward_block(T* out, T* lse, const T* q, const T* kt, const T* v, const Problem<T>& p, int64_t b,
                   int64_t i0, std::vector<T>& scratch) {
  const int64_t bq = std::min(kBlockQ, p.l - i0);
  const T neg_inf = -std::numeric_limits<T>::infinity();
  T* sc = scratch.data();
  T* mx = sc + kBlockQ * kBlockK;
  T* sum = mx + kBlockQ;
  const T* qb = q + (b * p.l + i0) * p.e;
  T* ob = out + (b * p.l + i0) * p.ev;
  std::fill(ob, ob + bq * p.ev, T(0));
  std::fill(mx, mx + bq, neg_inf);
  std::fill(sum, sum + bq, T(0));
  const int64_t kend = p.causal ? std::min(p.s, i0 + bq) : p.s;
  for (int64_t j0 = 0; j0 < kend; j0 += kBlockK) {
    const int64_t bk = std::min(kBlockK, kend - j0);
    block_scores(sc, p, b, i0, bq, j0, bk, qb, kt + b * p.e * p.s + j0);
    for (int64_t r = 0; r < bq; ++r) {
      T* row = sc + r * bk;
      const T m_blk = row_max(row, bk);
      const T m_new = std::max(mx[r], m_blk);
      if (m_new == neg_inf) {  // every key so far masked: nothing to add
        std::fill(row, row + bk, T(0));
        continue;
      }
      const T alpha = std::exp(mx[r] - m_new);  // 0 when mx[r] is -inf
      const T s = exp_sub_sum(row, bk, m_new);
      sum[r] = sum[r] * alpha + s;
      mx[r] = m_new;
      if (alpha != T(1)) {
        T* orow = ob + r * p.ev;
        for (int64_t c = 0; c < p.ev; ++c) orow[c] *= alpha;
      }
    }
    gemm<T>(false, false, bq, p.ev, bk, T(1), sc, bk, v + (b * p.s + j0) * p.ev, p.ev, T(1), ob, p.ev);
  }
  for (int64_t r = 0; r < bq; ++r) {
    T* orow = ob + r * p.ev;
    if (sum[r] > T(0)) {
      const T inv = T(1) / sum[r];
      for (int64_t c = 0; c < p.ev; ++c) orow[c] *= inv;
      lse[b * p.l + i0 + r] = mx[r] + std::log(sum[r]);
    } else {
      std::fill(orow, orow + p.ev, T(0));
      lse[b * p.l + i0 + r] = neg_inf;
    }
  }
}

// Runs f(item, scratch) for item in [0, n): threads over items when there are enough of them, otherwise
// serially so the GEMMs inside can use the threads.
template <class T, class F>
void for_items(int64_t n, size_t scratch_size, const F& f) {
  const int nthreads = get_num_threads();
  if (n >= nthreads && nthreads > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(nthreads)
    {
      std::vector<T> scratch(scratch_size);
#pragma omp for schedule(dynamic, 1)
      for (int64_t i = 0; i < n; ++i) f(i, scratch);
    }
  } else {
    std::vector<T> scratch(scratch_size);
    for (int64_t i = 0; i < n; ++i) f(i, scratch);
  }
}

template <class T>
void flash_forward(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k, const Tensor& v,
                   const AttnMaskView& mask, bool causal, double scale) {
  Problem<T> p{q.size(0), q.size(1), k.size(1), q.size(2), v.size(2), causal, T(scale), &mask};
  const int64_t nqb = (p.l + kBlockQ - 1) / kBlockQ;
  T* o = out.data_ptr<T>();
  T* ls = lse.data_ptr<T>();
  const T *qp = q.data_ptr<T>(), *vp = v.data_ptr<T>();
  const std::vector<T> kt = transpose_batches(k.data_ptr<T>(), p.n, p.s, p.e);
  for_items<T>(p.n * nqb, kBlockQ * kBlockK + 2 * kBlockQ, [&](int64_t item, std::vector<T>& scratch) {
    forward_block(o, ls, qp, kt.data(), vp, p, item / nqb, (item % nqb) * kBlockQ, scratch);
  });
}

template <class T>
void flash_backward(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& grad_out, const Tensor& q,
                    const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& lse,
                    const AttnMaskView& mask, bool causal, double scale) {
  Problem<T> p{q.size(0), q.size(1), k.size(1), q.size(2), v.size(2), causal, T(scale), &mask};
  const T *qp = q.data_ptr<T>(), *kp = k.data_ptr<T>(), *vp = v.data_ptr<T>(), *op = out.data_ptr<T>(),
          *gp = grad_out.data_ptr<T>(), *lp = lse.data_ptr<T>();
  T *dqp = dq.data_ptr<T>(), *dkp = dk.data_ptr<T>(), *dvp = dv.data_ptr<T>();
  const T neg_inf = -std::numeric_limits<T>::infinity();
  const std::vector<T> kt = transpose_batches(kp, p.n, p.s, p.e), vt = transpose_batches(vp, p.n, p.s, p.ev);
  for_items<T>(p.n, 2 * kBlockQ * kBlockK + p.l, [&](int64_t b, std::vector<T>& scratch) {
    T* pb = scratch.data();
    T* dpb = pb + kBlockQ * kBlockK;
    T* drow = dpb + kBlockQ * kBlockK;  // D = rowsum(dO * O) for every query row of this batch entry
    for (int64_t i = 0; i < p.l; ++i) {
      const T* g = gp + (b * p.l + i) * p.ev;
      const T* o = op + (b * p.l + i) * p.ev;
      T acc = 0;
      for (int64_t c = 0; c < p.ev; ++c) acc += g[c] * o[c];
      drow[i] = acc;
    }
    T* dqb = dqp + b * p.l * p.e;
    std::fill(dqb, dqb + p.l * p.e, T(0));
    std::fill(dkp + b * p.s * p.e, dkp + (b + 1) * p.s * p.e, T(0));
    std::fill(dvp + b * p.s * p.ev, dvp + (b + 1) * p.s * p.ev, T(0));
    for (int64_t j0 = 0; j0 < p.s; j0 += kBlockK) {
      const int64_t bk = std::min(kBlockK, p.s - j0);
      const T* kb = kp + (b * p.s + j0) * p.e;
      T* dkb = dkp + (b * p.s + j0) * p.e;
      T* dvb = dvp + (b * p.s + j0) * p.ev;
      const int64_t istart = p.causal ? (j0 / kBlockQ) * kBlockQ : 0;
      for (int64_t i0 = istart; i0 < p.l; i0 += kBlockQ) {
        const int64_t bq = std::min(kBlockQ, p.l - i0);
        const T* qb = qp + (b * p.l + i0) * p.e;
        const T* gb = gp + (b * p.l + i0) * p.ev;
        block_scores(pb, p, b, i0, bq, j0, bk, qb, kt.data() + b * p.e * p.s + j0);
        for (int64_t r = 0; r < bq; ++r) {
          const T l = lp[b * p.l + i0 + r];
          T* row = pb + r * bk;
          if (l == neg_inf)  // a fully masked row: no probabilities
            std::fill(row, row + bk, T(0));
          else
            exp_sub_sum(row, bk, l);  // a masked score (-inf) gives 0
        }
        gemm<T>(true, false, bk, p.ev, bq, T(1), pb, bk, gb, p.ev, T(1), dvb, p.ev);
        gemm<T>(false, false, bq, bk, p.ev, T(1), gb, p.ev, vt.data() + b * p.ev * p.s + j0, p.s, T(0), dpb,
                bk);
        for (int64_t r = 0; r < bq; ++r) {
          const T d = drow[i0 + r];
          T* prow = pb + r * bk;
          const T* dprow = dpb + r * bk;
          for (int64_t c = 0; c < bk; ++c) prow[c] *= dprow[c] - d;  // dS, in place of P
        }
        gemm<T>(false, false, bq, p.e, bk, p.scale, pb, bk, kb, p.e, T(1), dqb + i0 * p.e, p.e);
        gemm<T>(true, false, bk, p.e, bq, p.scale, pb, bk, qb, p.e, T(1), dkb, p.e);
      }
    }
  });
}

void flash_attention_kernel(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                            const Tensor& v, const AttnMaskView& mask, bool causal, double scale) {
  PE_DISPATCH_NN_FLOAT(q.dtype(), "scaled_dot_product_attention",
                       [&] { flash_forward<scalar_t>(out, lse, q, k, v, mask, causal, scale); });
}

void flash_attention_backward_kernel(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& grad_out,
                                     const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                     const Tensor& lse, const AttnMaskView& mask, bool causal, double scale) {
  PE_DISPATCH_NN_FLOAT(q.dtype(), "scaled_dot_product_attention_backward", [&] {
    flash_backward<scalar_t>(dq, dk, dv, grad_out, q, k, v, out, lse, mask, causal, scale);
  });
}

}  // namespace

PE_REGISTER_KERNEL(flash_attention_stub, CPU, &flash_attention_kernel);
PE_REGISTER_KERNEL(flash_attention_backward_stub, CPU, &flash_attention_backward_kernel);

}  // namespace pe::cpu
