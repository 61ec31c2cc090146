// The AVX2/FMA micro-kernels of our GEMM: 6x16 for float and 6x8 for double (12 accumulator
// registers, 2 for the B row, 1 for the broadcast A value: 15 of the 16 ymm registers). Only these
// functions carry __attribute__((target("avx2,fma"))), so the library needs no -march and runs on any
// x86-64; gemm.cpp calls them only after __builtin_cpu_supports says the CPU has AVX2 and FMA.
#include "cpu/gemm_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>

#define PE_AVX2 __attribute__((target("avx2,fma")))

namespace pe::cpu::gemm_detail {
namespace {

// Note [GEMM block sizes]
// Tuned on the development machine (Xeon Skylake-SP, 32 KiB L1d and 1 MiB L2 per core, 33 MiB
// shared L3): a KC x NR panel of B (16 KiB for float) stays in L1 while the micro-kernel walks an
// MC x KC block of A kept in L2 (KC * MC * 4 = 96 KiB for float), and the KC x NC block of B lives
// in L3. benchmarks/bench_gemm.py measures the effect of changing them. (MC 48-240 measured within
// noise for this kernel; KC 128 was 8% slower.)
constexpr int64_t kMcF = 96, kKcF = 256, kNcF = 3072;
constexpr int64_t kMcD = 96, kKcD = 256, kNcD = 1536;

// row[0:2*W] = alpha * (x0, x1) + beta * row (row not read when !read_c).
PE_AVX2 inline void store_row(float* row, __m256 x0, __m256 x1, __m256 va, __m256 vb, bool read_c) {
  x0 = _mm256_mul_ps(x0, va);
  x1 = _mm256_mul_ps(x1, va);
  if (read_c) {
    x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), x0);
    x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), x1);
  }
  _mm256_storeu_ps(row, x0);
  _mm256_storeu_ps(row + 8, x1);
}
PE_AVX2 inline void store_row(double* row, __m256d x0, __m256d x1, __m256d va, __m256d vb, bool read_c) {
  x0 = _mm256_mul_pd(x0, va);
  x1 = _mm256_mul_pd(x1, va);
  if (read_c) {
    x0 = _mm256_fmadd_pd(vb, _mm256_loadu_pd(row), x0);
    x1 = _mm256_fmadd_pd(vb, _mm256_loadu_pd(row + 4), x1);
  }
  _mm256_storeu_pd(row, x0);
  _mm256_storeu_pd(row + 4, x1);
}

PE_AVX2 void sgemm_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                        float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int i = 0; i < 6; ++i) {  // the C tile row spans 1-2 lines (float) or 1-3 (double)
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 7), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }
#define PE_STEP(P)                                                        \
  {                                                                       \
    __m256 b0 = _mm256_load_ps(b + (P) * 16), b1 = _mm256_load_ps(b + (P) * 16 + 8); \
    __m256 av = _mm256_broadcast_ss(a + (P) * 6 + 0);                     \
    c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01); \
    av = _mm256_broadcast_ss(a + (P) * 6 + 1);                            \
    c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11); \
    av = _mm256_broadcast_ss(a + (P) * 6 + 2);                            \
    c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21); \
    av = _mm256_broadcast_ss(a + (P) * 6 + 3);                            \
    c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31); \
    av = _mm256_broadcast_ss(a + (P) * 6 + 4);                            \
    c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41); \
    av = _mm256_broadcast_ss(a + (P) * 6 + 5);                            \
    c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51); \
  }
  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 96), _MM_HINT_T0);
    PE_STEP(0) PE_STEP(1) PE_STEP(2) PE_STEP(3)
    a += 24;
    b += 64;
  }
  for (; p < kc; ++p) {
    PE_STEP(0)
    a += 6;
    b += 16;
  }
#undef PE_STEP
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const bool rd = beta != 0.0f;
  store_row(c, c00, c01, va, vb, rd);
  store_row(c + ldc, c10, c11, va, vb, rd);
  store_row(c + 2 * ldc, c20, c21, va, vb, rd);
  store_row(c + 3 * ldc, c30, c31, va, vb, rd);
  store_row(c + 4 * ldc, c40, c41, va, vb, rd);
  store_row(c + 5 * ldc, c50, c51, va, vb, rd);
}

PE_AVX2 void dgemm_6x8(int64_t kc, const double* a, const double* b, double* c, int64_t ldc, double alpha,
                       double beta) {
  __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd(), c10 = _mm256_setzero_pd(),
          c11 = _mm256_setzero_pd(), c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd(),
          c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd(), c40 = _mm256_setzero_pd(),
          c41 = _mm256_setzero_pd(), c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
  for (int i = 0; i < 6; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 7), _MM_HINT_T0);
  }
#define PE_STEP(P)                                                        \
  {                                                                       \
    __m256d b0 = _mm256_load_pd(b + (P) * 8), b1 = _mm256_load_pd(b + (P) * 8 + 4); \
    __m256d av = _mm256_broadcast_sd(a + (P) * 6 + 0);                    \
    c00 = _mm256_fmadd_pd(av, b0, c00); c01 = _mm256_fmadd_pd(av, b1, c01); \
    av = _mm256_broadcast_sd(a + (P) * 6 + 1);                            \
    c10 = _mm256_fmadd_pd(av, b0, c10); c11 = _mm256_fmadd_pd(av, b1, c11); \
    av = _mm256_broadcast_sd(a + (P) * 6 + 2);                            \
    c20 = _mm256_fmadd_pd(av, b0, c20); c21 = _mm256_fmadd_pd(av, b1, c21); \
    av = _mm256_broadcast_sd(a + (P) * 6 + 3);                            \
    c30 = _mm256_fmadd_pd(av, b0, c30); c31 = _mm256_fmadd_pd(av, b1, c31); \
    av = _mm256_broadcast_sd(a + (P) * 6 + 4);                            \
    c40 = _mm256_fmadd_pd(av, b0, c40); c41 = _mm256_fmadd_pd(av, b1, c41); \
    av = _mm256_broadcast_sd(a + (P) * 6 + 5);                            \
    c50 = _mm256_fmadd_pd(av, b0, c50); c51 = _mm256_fmadd_pd(av, b1, c51); \
  }
  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 48), _MM_HINT_T0);
    PE_STEP(0) PE_STEP(1) PE_STEP(2) PE_STEP(3)
    a += 24;
    b += 32;
  }
  for (; p < kc; ++p) {
    PE_STEP(0)
    a += 6;
    b += 8;
  }
#undef PE_STEP
  const __m256d va = _mm256_set1_pd(alpha), vb = _mm256_set1_pd(beta);
  const bool rd = beta != 0.0;
  store_row(c, c00, c01, va, vb, rd);
  store_row(c + ldc, c10, c11, va, vb, rd);
  store_row(c + 2 * ldc, c20, c21, va, vb, rd);
  store_row(c + 3 * ldc, c30, c31, va, vb, rd);
  store_row(c + 4 * ldc, c40, c41, va, vb, rd);
  store_row(c + 5 * ldc, c50, c51, va, vb, rd);
}

// In-register transpose of 8 rows of 8 floats.
PE_AVX2 inline void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6,
                               __m256& r7) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r0 = _mm256_permute2f128_ps(s0, s4, 0x20);
  r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
  r2 = _mm256_permute2f128_ps(s2, s6, 0x20);
  r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
  r4 = _mm256_permute2f128_ps(s0, s4, 0x31);
  r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
  r6 = _mm256_permute2f128_ps(s2, s6, 0x31);
  r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// The block of `cnt` (<= 8) source lines of 8 contiguous floats at src + l * ld, transposed: line
// q of the result (the q-th float of every source line) goes to dst + q * dst_ld, cnt floats.
PE_AVX2 inline void transpose_block(const float* src, int64_t ld, int cnt, float* dst, int64_t dst_ld) {
  __m256 r[8];
  for (int l = 0; l < 8; ++l) r[l] = l < cnt ? _mm256_loadu_ps(src + l * ld) : _mm256_setzero_ps();
  transpose8(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
  if (cnt == 8) {
    for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + q * dst_ld, r[q]);
  } else {
    alignas(32) static const int32_t ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt), _mm256_load_si256((const __m256i*)ramp));
    for (int q = 0; q < 8; ++q) _mm256_maskstore_ps(dst + q * dst_ld, mask, r[q]);
  }
}

}  // namespace

// Note [GEMM packing order] applies; these cover the two layouts that read each source line along
// its contiguous direction but must write the panel across it: rows of A (cs == 1) and columns of
// a transposed B (rs == 1). The portable loops took 3-4 cycles an element there (6-9% of a 1024^3
// product); the transposes take well under one. Other layouts go to the portable packers.
template <int MR>
PE_AVX2 void pack_a_f32_avx2(int64_t mc, int64_t kc, const float* a, int64_t rs, int64_t cs, float* out) {
  const int64_t full = mc / MR * MR, kc8 = kc / 8 * 8;
  if (rs == 1 && cs != 1) {  // columns of op(A) contiguous: MR-float copies
    for (int64_t p = 0; p < kc; ++p) {
      const float* col = a + p * cs;
      for (int64_t i0 = 0; i0 < full; i0 += MR) {
        float* dst = out + i0 * kc + p * MR;
        for (int ii = 0; ii + 8 <= MR; ii += 8) _mm256_storeu_ps(dst + ii, _mm256_loadu_ps(col + i0 + ii));
        if (MR % 8) _mm_storeu_ps(dst + MR / 8 * 8, _mm_loadu_ps(col + i0 + MR / 8 * 8));
        // Two floats at 4-byte alignment: the 64-bit move must be an unaligned one (movq through
        // __m128i_u), not a double load/store, which assumes 8-byte alignment.
        if (MR % 8 > 4) _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + MR / 8 * 8 + 4),
                                         _mm_loadl_epi64(reinterpret_cast<const __m128i*>(col + i0 + MR / 8 * 8 + 4)));
      }
    }
    if (full < mc) pack_a<float>(MR, mc - full, kc, a + full, rs, cs, out + full * kc);
    return;
  }
  if (cs != 1 || kc8 == 0) return pack_a<float>(MR, mc, kc, a, rs, cs, out);
  for (int64_t i0 = 0; i0 < full; i0 += MR) {
    float* dst = out + i0 * kc;
    for (int64_t p0 = 0; p0 < kc8; p0 += 8) {
      if (p0 % 16 == 0 && i0 + 2 * MR <= mc)  // the next panel's rows: short runs the hardware misses
        for (int i = 0; i < MR; ++i) _mm_prefetch(reinterpret_cast<const char*>(a + (i0 + MR + i) * rs + p0), _MM_HINT_T0);
      for (int ii = 0; ii < MR; ii += 8)
        transpose_block(a + (i0 + ii) * rs + p0, rs, std::min(8, MR - ii), dst + p0 * MR + ii, MR);
    }
    for (int64_t p = kc8; p < kc; ++p)
      for (int i = 0; i < MR; ++i) dst[p * MR + i] = a[(i0 + i) * rs + p];
  }
  if (full < mc) pack_a<float>(MR, mc - full, kc, a + full * rs, rs, cs, out + full * kc);
}

template <int NR>
PE_AVX2 void pack_b_f32_avx2(int64_t kc, int64_t nc, const float* b, int64_t rs, int64_t cs, float* out) {
  const int64_t full = nc / NR * NR, kc8 = kc / 8 * 8;
  if (rs != 1 || cs == 1 || kc8 == 0) return pack_b<float>(NR, kc, nc, b, rs, cs, out);
  for (int64_t j0 = 0; j0 < full; j0 += NR) {
    float* dst = out + j0 * kc;
    for (int64_t p0 = 0; p0 < kc8; p0 += 8)
      for (int jj = 0; jj < NR; jj += 8) transpose_block(b + (j0 + jj) * cs + p0, cs, 8, dst + p0 * NR + jj, NR);
    for (int64_t p = kc8; p < kc; ++p)
      for (int j = 0; j < NR; ++j) dst[p * NR + j] = b[(j0 + j) * cs + p];
  }
  if (full < nc) pack_b<float>(NR, kc, nc - full, b + full * cs, rs, cs, out + full * kc);
}

template void pack_a_f32_avx2<6>(int64_t, int64_t, const float*, int64_t, int64_t, float*);
template void pack_a_f32_avx2<12>(int64_t, int64_t, const float*, int64_t, int64_t, float*);
template void pack_b_f32_avx2<16>(int64_t, int64_t, const float*, int64_t, int64_t, float*);
template void pack_b_f32_avx2<32>(int64_t, int64_t, const float*, int64_t, int64_t, float*);

namespace {

const KernelInfo<float> kAvx2F32{"avx2_6x16", 6, 16, kMcF, kKcF, kNcF, &sgemm_6x16, &pack_a_f32_avx2<6>,
                                 &pack_b_f32_avx2<16>};
const KernelInfo<double> kAvx2F64{"avx2_6x8", 6, 8, kMcD, kKcD, kNcD, &dgemm_6x8};

}  // namespace

const KernelInfo<float>* avx2_kernel_f32() { return &kAvx2F32; }
const KernelInfo<double>* avx2_kernel_f64() { return &kAvx2F64; }
bool cpu_has_avx2_fma() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

}  // namespace pe::cpu::gemm_detail

#else  // not x86: the portable kernels only

namespace pe::cpu::gemm_detail {
const KernelInfo<float>* avx2_kernel_f32() { return nullptr; }
const KernelInfo<double>* avx2_kernel_f64() { return nullptr; }
bool cpu_has_avx2_fma() { return false; }
}  // namespace pe::cpu::gemm_detail

#endif
