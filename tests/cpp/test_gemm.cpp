// Our GEMM against a naive triple loop in long double: the micro-kernels tile for tile (AVX2 and
// portable), then gemm over odd sizes, transposes, padded leading dimensions, alpha/beta, k = 0,
// beta = 0 with NaN in C, and sizes that cross the block boundaries and the thread split.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/gemm_internal.h"
#include "cpu/parallel.h"

using namespace pe::cpu;
using namespace pe::cpu::gemm_detail;

namespace {

template <class T>
std::vector<T> random_vec(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<T> v(n);
  for (auto& x : v) x = T(d(rng));
  return v;
}

// C = alpha * op(A) op(B) + beta * C, in long double, reading C only when beta != 0.
template <class T>
void naive_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                int64_t ldb, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      long double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += (long double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      long double r = (long double)alpha * s;
      if (beta != T(0)) r += (long double)beta * c[i * ldc + j];
      c[i * ldc + j] = T(r);
    }
}

template <class T>
double tol(int64_t k) {
  return (std::is_same_v<T, float> ? 2e-6 : 4e-15) * (double)(k + 4);
}

template <class T>
void check_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, T beta, int64_t pad = 0) {
  const int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  auto a = random_vec<T>((ta ? k : m) * lda + 1, 1);
  auto b = random_vec<T>((tb ? n : k) * ldb + 1, 2);
  auto c0 = random_vec<T>(m * ldc + 1, 3);
  if (beta == T(0))  // beta == 0 must not read C
    for (auto& x : c0) x = std::numeric_limits<T>::quiet_NaN();
  auto c = c0, ref = c0;
  gemm<T>(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  naive_gemm<T>(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, ref.data(), ldc);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      ASSERT_NEAR(c[i * ldc + j], ref[i * ldc + j], tol<T>(k))
          << "m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb << " at " << i << "," << j;
    }
    for (int64_t j = n; j < ldc; ++j)  // the padding between rows is never written
      ASSERT_TRUE(std::isnan(c[i * ldc + j]) ? std::isnan(c0[i * ldc + j]) : c[i * ldc + j] == c0[i * ldc + j]);
  }
}

template <class T>
void check_kernel(const KernelInfo<T>& ki, int64_t kc, T alpha, T beta) {
  const int MR = ki.mr, NR = ki.nr;
  const int64_t ldc = NR + 3;
  T* a = static_cast<T*>(std::aligned_alloc(64, sizeof(T) * ((MR * kc + 15) / 16 * 16 + 16)));
  T* b = static_cast<T*>(std::aligned_alloc(64, sizeof(T) * ((NR * kc + 15) / 16 * 16 + 16)));
  auto av = random_vec<T>(MR * kc, 4), bv = random_vec<T>(NR * kc, 5);
  std::copy(av.begin(), av.end(), a);
  std::copy(bv.begin(), bv.end(), b);
  auto c = random_vec<T>(MR * ldc, 6);
  if (beta == T(0))
    for (auto& x : c) x = std::numeric_limits<T>::quiet_NaN();
  auto ref = c;
  ki.kernel(kc, a, b, c.data(), ldc, alpha, beta);
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) {
      long double s = 0;
      for (int64_t p = 0; p < kc; ++p) s += (long double)a[p * MR + i] * b[p * NR + j];
      long double r = alpha * s + (beta != T(0) ? (long double)beta * ref[i * ldc + j] : 0.0L);
      ASSERT_NEAR(c[i * ldc + j], (double)r, tol<T>(kc)) << ki.name << " kc=" << kc << " at " << i << "," << j;
    }
  std::free(a);
  std::free(b);
}

}  // namespace

TEST(GemmKernel, GenericMatchesNaive) {
  for (int64_t kc : {1, 3, 4, 17, 256}) {
    check_kernel<float>(generic_kernel<float>(), kc, 1.0f, 0.0f);
    check_kernel<float>(generic_kernel<float>(), kc, -0.5f, 2.0f);
    check_kernel<double>(generic_kernel<double>(), kc, 1.0, 0.0);
    check_kernel<double>(generic_kernel<double>(), kc, 1.5, -1.0);
  }
}

TEST(GemmKernel, Avx2MatchesNaive) {
  if (!cpu_has_avx2_fma() || !avx2_kernel_f32()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  for (int64_t kc : {1, 3, 4, 17, 256}) {
    check_kernel<float>(*avx2_kernel_f32(), kc, 1.0f, 0.0f);
    check_kernel<float>(*avx2_kernel_f32(), kc, -0.5f, 2.0f);
    check_kernel<double>(*avx2_kernel_f64(), kc, 1.0, 0.0);
    check_kernel<double>(*avx2_kernel_f64(), kc, 1.5, -1.0);
  }
}

TEST(GemmKernel, Avx512MatchesNaive) {
  if (!cpu_has_avx512() || !avx512_kernel_f32()) GTEST_SKIP() << "no AVX-512 on this CPU";
  for (int64_t kc : {1, 3, 4, 17, 256}) {
    check_kernel<float>(*avx512_kernel_f32(), kc, 1.0f, 0.0f);
    check_kernel<float>(*avx512_kernel_f32(), kc, -0.5f, 2.0f);
    check_kernel<double>(*avx512_kernel_f64(), kc, 1.0, 0.0);
    check_kernel<double>(*avx512_kernel_f64(), kc, 1.5, -1.0);
  }
}

TEST(Gemm, OddSizesAndTransposes) {
  const int64_t sizes[][3] = {{1, 1, 1}, {2, 3, 4}, {7, 5, 3}, {6, 16, 8}, {13, 17, 19}, {33, 65, 31},
                              {1, 40, 50}, {40, 1, 50}, {61, 47, 300}, {100, 3, 100}, {3, 100, 100}};
  for (auto& s : sizes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        check_gemm<float>(ta, tb, s[0], s[1], s[2], 1.0f, 0.0f);
        check_gemm<double>(ta, tb, s[0], s[1], s[2], 1.0, 0.0);
        check_gemm<double>(ta, tb, s[0], s[1], s[2], -1.5, 0.5, 2);  // every path with alpha, beta, padding
      }
}

TEST(Gemm, LeadingDimensionsAlphaBeta) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_gemm<float>(ta, tb, 37, 29, 41, 0.75f, 0.0f, 5);
      check_gemm<float>(ta, tb, 37, 29, 41, -2.0f, 0.5f, 3);
      check_gemm<double>(ta, tb, 37, 29, 41, 1.0, 1.0, 7);
      check_gemm<double>(ta, tb, 9, 70, 300, 2.0, -1.0, 1);
    }
}

TEST(Gemm, KZeroAndAlphaZero) {
  check_gemm<float>(false, false, 5, 7, 0, 1.0f, 0.0f);  // C = 0 (C held NaN)
  check_gemm<float>(false, false, 5, 7, 0, 1.0f, 2.0f);  // C = 2 C
  check_gemm<double>(true, true, 5, 7, 9, 0.0, 0.5);    // A, B not used
  check_gemm<double>(false, false, 0, 7, 9, 1.0, 0.0);
  check_gemm<double>(false, false, 7, 0, 9, 1.0, 0.0);
}

TEST(Gemm, CrossesBlocksAndThreads) {
  // Larger than one MC/KC block, split across threads, with edge tiles everywhere.
  check_gemm<float>(false, false, 251, 263, 517, 1.0f, 0.0f);
  check_gemm<float>(true, true, 263, 251, 300, 1.0f, 1.0f);
  check_gemm<double>(false, true, 130, 250, 260, 1.0f, 0.0f);
  check_gemm<double>(true, false, 250, 130, 260, -1.0f, 0.25f);
  const int saved = get_num_threads();
  set_num_threads(1);
  check_gemm<float>(false, false, 97, 203, 260, 1.0f, 0.0f);
  set_num_threads(saved);
}

// The whole blocked algorithm with each kernel this CPU can run (the portable one is what a CPU
// without AVX2 runs), on sizes that leave edge tiles and several K blocks.
template <class T>
void check_driver(const KernelInfo<T>& ki) {
  const int64_t m = 50, n = 45, k = 600;
  auto a = random_vec<T>(m * k, 7), b = random_vec<T>(k * n, 8);
  std::vector<T> c(m * n, std::numeric_limits<T>::quiet_NaN()), ref(m * n);
  gemm_packed<T>(ki, m, n, k, T(1), a.data(), 1, m, b.data(), n, 1, T(0), c.data(), n);  // A transposed
  naive_gemm<T>(true, false, m, n, k, T(1), a.data(), m, b.data(), n, T(0), ref.data(), n);
  for (int64_t i = 0; i < m * n; ++i) ASSERT_NEAR(c[i], ref[i], tol<T>(k)) << ki.name;
}

TEST(Gemm, DriverWithEachKernel) {
  check_driver<float>(generic_kernel<float>());
  check_driver<double>(generic_kernel<double>());
  if (cpu_has_avx2_fma() && avx2_kernel_f32()) {
    check_driver<float>(*avx2_kernel_f32());
    check_driver<double>(*avx2_kernel_f64());
  }
  if (cpu_has_avx512() && avx512_kernel_f32()) {
    check_driver<float>(*avx512_kernel_f32());
    check_driver<double>(*avx512_kernel_f64());
  }
}

TEST(Gemm, StridedOperands) {
  // gemm_strided on views with no unit stride in A or B, and a C with unit row stride (computed
  // as C^T = B^T A^T); also single rows/columns of C with odd strides.
  const int64_t m = 23, n = 19, k = 31;
  auto a = random_vec<double>(m * k * 3, 9), b = random_vec<double>(k * n * 2, 10);
  for (int64_t cm : {m, int64_t(1)})
    for (int64_t cn : {n, int64_t(1)}) {
      std::vector<double> c(cm * cn * 3, std::numeric_limits<double>::quiet_NaN());
      // A(i, p) = a[i*2 + p*(2m)] (stride 2 in both), B(p, j) = b[p*2n + j*2]; C column-major, or a
      // single row/column with stride 3.
      const int64_t crs = cm == 1 ? 7 : cn == 1 ? 3 : 1, ccs = cn == 1 ? 5 : cm == 1 ? 3 : cm;
      gemm_strided<double>(cm, cn, k, 1.0, a.data(), 2, 2 * m, b.data(), 2 * n, 2, 0.0, c.data(), crs, ccs);
      for (int64_t i = 0; i < cm; ++i)
        for (int64_t j = 0; j < cn; ++j) {
          long double s = 0;
          for (int64_t p = 0; p < k; ++p) s += (long double)a[i * 2 + p * 2 * m] * b[p * 2 * n + j * 2];
          ASSERT_NEAR(c[i * crs + j * ccs], (double)s, 1e-12) << cm << "x" << cn << " at " << i << "," << j;
        }
    }
}

TEST(GemmPack, Avx2PackersMatchPortable) {
  if (!cpu_has_avx2_fma()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  auto src = random_vec<float>(64 * 300, 11);
  // (rows, cols, rs, cs) of the source view: row-major, column-major, both strided; odd sizes.
  const int64_t layouts[][2] = {{300, 1}, {1, 70}, {301, 2}};
  for (int64_t rows : {1, 5, 12, 13, 31, 64})
    for (int64_t cols : {1, 7, 8, 17, 64})
      for (auto& l : layouts) {
        const int64_t rs = l[0], cs = l[1];
        if ((rows - 1) * rs + (cols - 1) * cs >= (int64_t)src.size()) continue;
        for (int mr : {6, 12}) {
          const int64_t padded = (rows + mr - 1) / mr * mr * cols;
          std::vector<float> want(padded + 16, -1.0f), got(padded + 16, -1.0f);
          pack_a<float>(mr, rows, cols, src.data(), rs, cs, want.data());
          (mr == 6 ? pack_a_f32_avx2<6> : pack_a_f32_avx2<12>)(rows, cols, src.data(), rs, cs, got.data());
          ASSERT_EQ(want, got) << "pack_a mr=" << mr << " " << rows << "x" << cols << " rs=" << rs << " cs=" << cs;
        }
        for (int nr : {16, 32}) {  // B is kc x nc = cols x rows here
          const int64_t padded = (rows + nr - 1) / nr * nr * cols;
          std::vector<float> want(padded + 16, -1.0f), got(padded + 16, -1.0f);
          pack_b<float>(nr, cols, rows, src.data(), cs, rs, want.data());
          (nr == 16 ? pack_b_f32_avx2<16> : pack_b_f32_avx2<32>)(cols, rows, src.data(), cs, rs, got.data());
          ASSERT_EQ(want, got) << "pack_b nr=" << nr << " " << cols << "x" << rows << " rs=" << cs << " cs=" << rs;
        }
      }
}
