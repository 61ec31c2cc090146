// The AVX-512 micro-kernels of our GEMM: 12x32 for float and 12x16 for double (24 accumulator
// registers of the 32 zmm). On CPUs that have it (Skylake-SP and later), AVX-512 doubles the FMA
// width over AVX2, and PyTorch's MKL uses it, so matching its throughput needs it too. Like the AVX2
// kernels, only these functions carry a target attribute; gemm.cpp picks them at run time.
#include "cpu/gemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define PE_AVX512 __attribute__((target("avx512f")))

namespace pe::cpu::gemm_detail {
namespace {

// See Note [GEMM block sizes]. Measured here (single thread, 512^3 to 2048^3, interleaved runs):
// the passes over C cost more than an L1 that cannot hold the whole KC x 32 panel of B, so KC is
// 256 (fewer passes; 128 was 10-20% slower); MC is small (48 rows, 48 KiB of A) and the KC x NC
// block of B sits in L3 (NC 512-1024 was 3-8% slower at 2048).
constexpr int64_t kMcF = 48, kKcF = 256, kNcF = 3072;
constexpr int64_t kMcD = 48, kKcD = 256, kNcD = 1536;

template <class T>
struct Vec;
template <>
struct Vec<float> {
  using V = __m512;
  static constexpr int W = 16;
  PE_AVX512 static V zero() { return _mm512_setzero_ps(); }
  PE_AVX512 static V load(const float* p) { return _mm512_load_ps(p); }
  PE_AVX512 static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  PE_AVX512 static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  PE_AVX512 static V set1(float x) { return _mm512_set1_ps(x); }
  PE_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  PE_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
};
template <>
struct Vec<double> {
  using V = __m512d;
  static constexpr int W = 8;
  PE_AVX512 static V zero() { return _mm512_setzero_pd(); }
  PE_AVX512 static V load(const double* p) { return _mm512_load_pd(p); }
  PE_AVX512 static V loadu(const double* p) { return _mm512_loadu_pd(p); }
  PE_AVX512 static void storeu(double* p, V v) { _mm512_storeu_pd(p, v); }
  PE_AVX512 static V set1(double x) { return _mm512_set1_pd(x); }
  PE_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  PE_AVX512 static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
};

// MR rows x 2 vectors of columns. The loops over the accumulators are fully unrolled, so the 2*MR
// accumulators live in registers.
template <class T, int MR>
PE_AVX512 void kernel_2v(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta) {
  using Op = Vec<T>;
  using V = typename Op::V;
  constexpr int W = Op::W, NR = 2 * W;
  V acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = Op::zero();
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {  // the C tile (2 or 3 lines a row) is needed only at the end
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + W), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    const V b0 = Op::load(b), b1 = Op::load(b + W);
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const V av = Op::set1(a[i]);
      acc[i][0] = Op::fma(av, b0, acc[i][0]);
      acc[i][1] = Op::fma(av, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  const V va = Op::set1(alpha), vb = Op::set1(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    T* row = c + i * ldc;
    V x0 = Op::mul(acc[i][0], va), x1 = Op::mul(acc[i][1], va);
    if (beta != T(0)) {
      x0 = Op::fma(vb, Op::loadu(row), x0);
      x1 = Op::fma(vb, Op::loadu(row + W), x1);
    }
    Op::storeu(row, x0);
    Op::storeu(row + W, x1);
  }
}

// AVX-512 implies AVX2 here, so the AVX2 transposing packers serve this kernel too.
const KernelInfo<float> kAvx512F32{"avx512_12x32", 12, 32, kMcF, kKcF, kNcF, &kernel_2v<float, 12>,
                                   &pack_a_f32_avx2<12>, &pack_b_f32_avx2<32>};
const KernelInfo<double> kAvx512F64{"avx512_12x16", 12, 16, kMcD, kKcD, kNcD, &kernel_2v<double, 12>};

}  // namespace

const KernelInfo<float>* avx512_kernel_f32() { return &kAvx512F32; }
const KernelInfo<double>* avx512_kernel_f64() { return &kAvx512F64; }
bool cpu_has_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}

}  // namespace pe::cpu::gemm_detail

#else

namespace pe::cpu::gemm_detail {
const KernelInfo<float>* avx512_kernel_f32() { return nullptr; }
const KernelInfo<double>* avx512_kernel_f64() { return nullptr; }
bool cpu_has_avx512() { return false; }
}  // namespace pe::cpu::gemm_detail

#endif
