// The GEMM driver (API in cpu/gemm.h): the BLIS-style blocked loop over packed panels
// (jc over NC, pc over KC, ic over MC, then NR x MR micro-tiles), the run-time kernel choice, the
// shortcuts for degenerate shapes (k == 0, alpha == 0, matrix-vector, tiny products) and the split
// of C across OpenMP threads.
#include "cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#include "cpu/gemm_internal.h"
#include "cpu/parallel.h"

// The caller (the op layer) guarantees C's layout; a violation is a bug, not user error.
#define PE_GEMM_ASSERT(cond) PE_CHECK(cond, "internal error in gemm: ", #cond)

namespace pe::cpu {
namespace gemm_detail {

namespace {

// Per-thread packing buffers, kept between calls: allocating the 2+ MiB B block anew each call
// costs page faults comparable to a 256^3 product.
struct Scratch {
  void* ptr = nullptr;
  size_t cap = 0;
  ~Scratch() { std::free(ptr); }
  void* get(size_t bytes) {
    if (bytes > cap) {
      std::free(ptr);
      cap = (bytes + 4095) & ~size_t(4095);
      ptr = std::aligned_alloc(64, cap);
      if (!ptr) {
        cap = 0;
        throw std::bad_alloc();
      }
    }
    return ptr;
  }
};
thread_local Scratch t_pack_a, t_pack_b;

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// 0: portable only, 1: up to AVX2, 2: up to AVX-512 (the default).
int kernel_cap() {
  static const int v = [] {
    const char* e = std::getenv("PE_GEMM_KERNEL");
    if (e && std::strcmp(e, "generic") == 0) return 0;
    if (e && std::strcmp(e, "avx2") == 0) return 1;
    return 2;
  }();
  return v;
}

template <class T>
const KernelInfo<T>* pick(const KernelInfo<T>* avx512, const KernelInfo<T>* avx2) {
  // (the AVX-512 kernels use the AVX2 packers: every AVX-512 CPU has AVX2, checked anyway)
  if (kernel_cap() >= 2 && avx512 && cpu_has_avx512() && cpu_has_avx2_fma()) return avx512;
  if (kernel_cap() >= 1 && avx2 && cpu_has_avx2_fma()) return avx2;
  return &generic_kernel<T>();
}

}  // namespace

template <>
const KernelInfo<float>& selected_kernel<float>() {
  static const KernelInfo<float>* k = pick(avx512_kernel_f32(), avx2_kernel_f32());
  return *k;
}
template <>
const KernelInfo<double>& selected_kernel<double>() {
  static const KernelInfo<double>* k = pick(avx512_kernel_f64(), avx2_kernel_f64());
  return *k;
}

template <class T>
void gemm_packed(const KernelInfo<T>& ki, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs,
                 int64_t a_cs, const T* b, int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t ldc) {
  const int MR = ki.mr, NR = ki.nr;
  const int64_t MC = std::min(ki.mc, round_up(m, MR)), KC = std::min(ki.kc, k), NC = std::min(ki.nc, round_up(n, NR));
  T* abuf = static_cast<T*>(t_pack_a.get(sizeof(T) * MC * KC));
  T* bbuf = static_cast<T*>(t_pack_b.get(sizeof(T) * KC * NC));
  alignas(64) T tile[kMaxTile];  // edge tiles
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      const T beta_eff = pc == 0 ? beta : T(1);  // later K blocks accumulate into C
      if (ki.pack_b) {
        ki.pack_b(kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, bbuf);
      } else {
        pack_b(NR, kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, bbuf);
      }
      for (int64_t ic = 0; ic < m; ic += MC) {
        const int64_t mc = std::min(MC, m - ic);
        if (ki.pack_a) {
          ki.pack_a(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, abuf);
        } else {
          pack_a(MR, mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, abuf);
        }
        auto run_tile = [&](int64_t ir, int64_t jr) {
          const int64_t mr = std::min<int64_t>(MR, mc - ir), nr = std::min<int64_t>(NR, nc - jr);
          const T* ap = abuf + ir * kc;
          const T* bp = bbuf + jr * kc;
          T* cp = c + (ic + ir) * ldc + jc + jr;
          if (mr == MR && nr == NR) {
            ki.kernel(kc, ap, bp, cp, ldc, alpha, beta_eff);
            return;
          }
          ki.kernel(kc, ap, bp, tile, NR, alpha, T(0));
          for (int64_t i = 0; i < mr; ++i) {
            T* row = cp + i * ldc;
            const T* t = tile + i * NR;
            if (beta_eff == T(0)) {
              for (int64_t j = 0; j < nr; ++j) row[j] = t[j];
            } else {
              for (int64_t j = 0; j < nr; ++j) row[j] = t[j] + beta_eff * row[j];
            }
          }
        };
        // The KC x NR panel of B stays in L1 while the MR-row panels of A stream from L2 (the
        // other order measured 5-10% slower here).
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR) run_tile(ir, jr);
      }
    }
  }
}

template void gemm_packed<float>(const KernelInfo<float>&, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                 int64_t, const float*, int64_t, int64_t, float, float*, int64_t);
template void gemm_packed<double>(const KernelInfo<double>&, int64_t, int64_t, int64_t, double, const double*,
                                  int64_t, int64_t, const double*, int64_t, int64_t, double, double*, int64_t);

namespace {

// C = beta * C over m x n (beta == 0 writes zeros without reading C).
template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

inline void store(float* y, float v, float beta) { *y = beta == 0.0f ? v : v + beta * *y; }
inline void store(double* y, double v, double beta) { *y = beta == 0.0 ? v : v + beta * *y; }

// y[i * incy] = alpha * sum_p A(i, p) x[p * incx] + beta * y[i * incy], A(i, p) at a[i*rs + p*cs]:
// matrix-vector products, where packing would waste NR-1 of NR lanes.
template <class T>
void gemv(int64_t m, int64_t k, T alpha, const T* a, int64_t rs, int64_t cs, const T* x, int64_t incx, T beta, T* y,
          int64_t incy) {
  if (cs == 1 && incx == 1) {  // dot products of contiguous rows; 8 partial sums so it vectorizes
    parallel_for(0, m, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(k, 1)), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const T* row = a + i * rs;
        T s[8] = {};
        int64_t p = 0;
        for (; p + 8 <= k; p += 8)
          for (int u = 0; u < 8; ++u) s[u] += row[p + u] * x[p + u];
        T tot = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
        for (; p < k; ++p) tot += row[p] * x[p];
        store(y + i * incy, alpha * tot, beta);
      }
    });
    return;
  }
  if (rs == 1) {  // contiguous columns: y += x[p] * A(:, p), accumulated in a buffer
    parallel_for(0, m, std::max<int64_t>(256, kGrainSize / std::max<int64_t>(k, 1)), [&](int64_t i0, int64_t i1) {
      constexpr int64_t kB = 512;
      T acc[kB];
      for (int64_t b0 = i0; b0 < i1; b0 += kB) {
        const int64_t len = std::min(kB, i1 - b0);
        std::fill(acc, acc + len, T(0));
        for (int64_t p = 0; p < k; ++p) {
          const T xv = x[p * incx];
          const T* col = a + p * cs + b0;
          for (int64_t i = 0; i < len; ++i) acc[i] += xv * col[i];
        }
        for (int64_t i = 0; i < len; ++i) store(y + (b0 + i) * incy, alpha * acc[i], beta);
      }
    });
    return;
  }
  for (int64_t i = 0; i < m; ++i) {
    T s = 0;
    for (int64_t p = 0; p < k; ++p) s += a[i * rs + p * cs] * x[p * incx];
    store(y + i * incy, alpha * s, beta);
  }
}

// Below this many multiply-adds a product runs on one thread: waking a sleeping OpenMP team
// (passive wait policy, see cpu/parallel.h) costs tens of microseconds.
constexpr int64_t kParallelMinWork = int64_t(64) * 64 * 64;
// Below this, the packing overhead outweighs the micro-kernel: a direct triple loop.
constexpr int64_t kTinyWork = int64_t(8) * 8 * 8;

template <class T>
void gemm_impl(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
               int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t c_rs, int64_t c_cs) {
  if (m <= 0 || n <= 0) return;
  if (n == 1) {
    c_cs = 1;  // a single column: its column stride is never used
  } else if (m == 1 && c_cs != 1) {
    c_rs = 1;  // a strided single row: computed as the column C^T
  }
  if (c_cs != 1) {  // C^T = op(B)^T op(A)^T, whose rows are contiguous
    PE_GEMM_ASSERT(c_rs == 1);
    return gemm_impl(n, m, k, alpha, b, b_cs, b_rs, a, a_cs, a_rs, beta, c, c_cs, c_rs);
  }
  const int64_t ldc = c_rs;
  if (k <= 0 || alpha == T(0)) {  // BLAS semantics: A and B are not read
    scale_c(m, n, beta, c, ldc);
    return;
  }
  if (n == 1) return gemv(m, k, alpha, a, a_rs, a_cs, b, b_rs, beta, c, ldc);
  if (m == 1) return gemv(n, k, alpha, b, b_cs, b_rs, a, a_cs, beta, c, 1);  // C^T = op(B)^T op(A)^T
  const int64_t work = m * n * k;
  if (work <= kTinyWork) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T s = 0;
        for (int64_t p = 0; p < k; ++p) s += a[i * a_rs + p * a_cs] * b[p * b_rs + j * b_cs];
        store(c + i * ldc + j, alpha * s, beta);
      }
    return;
  }
  const KernelInfo<T>& ki = selected_kernel<T>();
  int nt = (omp_in_parallel() || work < kParallelMinWork) ? 1 : get_num_threads();
  // One contiguous range of C per thread, in whole micro-tiles, and no barrier inside: each thread
  // packs its own panels of the split operand and all of the other one. The larger of M and N is
  // split (with the SIMD packers both repeat-packings cost about the same; splitting N also keeps
  // each thread's KC x NC block of B half as large, measured 5% faster at 2048^2).
  const bool split_n = n >= m;
  const int64_t unit = split_n ? ki.nr : ki.mr, extent = split_n ? n : m;
  nt = (int)std::min<int64_t>(nt, (extent + unit - 1) / unit);
  if (nt <= 1) return gemm_packed(ki, m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
  const int64_t chunk = round_up((extent + nt - 1) / nt, unit);
#pragma omp parallel num_threads(nt)
  {
    const int64_t lo = omp_get_thread_num() * chunk, hi = std::min(extent, lo + chunk);
    if (lo < hi) {
      if (split_n) {
        gemm_packed(ki, m, hi - lo, k, alpha, a, a_rs, a_cs, b + lo * b_cs, b_rs, b_cs, beta, c + lo, ldc);
      } else {
        gemm_packed(ki, hi - lo, n, k, alpha, a + lo * a_rs, a_rs, a_cs, b, b_rs, b_cs, beta, c + lo * ldc, ldc);
      }
    }
  }
}

}  // namespace
}  // namespace gemm_detail

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc) {
  gemm_detail::gemm_impl(m, n, k, alpha, a, trans_a ? 1 : lda, trans_a ? lda : 1, b, trans_b ? 1 : ldb,
                         trans_b ? ldb : 1, beta, c, ldc, 1);
}

template <class T>
void gemm_strided(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
                  int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t c_rs, int64_t c_cs) {
  gemm_detail::gemm_impl(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, c_rs, c_cs);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);
template void gemm_strided<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t, const float*,
                                  int64_t, int64_t, float, float*, int64_t, int64_t);
template void gemm_strided<double>(int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                                   const double*, int64_t, int64_t, double, double*, int64_t, int64_t);

}  // namespace pe::cpu
