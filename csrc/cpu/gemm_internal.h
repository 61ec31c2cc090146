// Internals of our GEMM (csrc/cpu/gemm*.cpp), shared by the driver, the micro-kernel translation
// units and the C++ tests: the micro-kernel contract, the packed-panel layouts and the run-time
// kernel choice. Nothing outside csrc/cpu/gemm* and tests/cpp should need this header.
//
// Note [GEMM packed layout]
// op(A) is packed per KC x MC block into MR-row panels: panel r holds rows [r*MR, r*MR+MR) as kc
// columns of MR values (element (i, p) at panel + p*MR + i). op(B) is packed per KC x NC block into
// NR-column panels (element (p, j) at panel + p*NR + j). Panels are zero-padded to MR/NR, so the
// micro-kernel always runs a full MR x NR tile; edge tiles are written through a small buffer.
#pragma once
#include <cstdint>

namespace pe::cpu::gemm_detail {

// C[0:MR, 0:NR] = alpha * sum_p a[p*MR + i] * b[p*NR + j] + beta * C, C row-major with row stride
// ldc and unit column stride. beta == 0 never reads C. a and b are 64-byte aligned packed panels.
template <class T>
using MicroKernel = void (*)(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta);

// Packers with pack_a's / pack_b's contract (below) for one panel size; a kernel may bring SIMD ones.
template <class T>
using PackFn = void (*)(int64_t rows, int64_t cols, const T* x, int64_t rs, int64_t cs, T* out);

// A micro-kernel with its tile shape and the block sizes tuned for it (Note [GEMM block sizes]).
template <class T>
struct KernelInfo {
  const char* name;
  int mr, nr;
  int64_t mc, kc, nc;  // mc a multiple of mr, nc a multiple of nr
  MicroKernel<T> kernel;
  PackFn<T> pack_a = nullptr;  // (mc, kc, ...); nullptr: the portable pack_a
  PackFn<T> pack_b = nullptr;  // (kc, nc, ...); nullptr: the portable pack_b
};

// AVX2 packers for float panels of 6/12 rows (A) and 16/32 columns (B): 8x8 register transposes
// for the layouts where the portable loops move one element at a time (gemm_avx2.cpp). Call only
// when cpu_has_avx2_fma().
#if defined(__x86_64__) || defined(__i386__)
#define PE_GEMM_AVX2_ATTR __attribute__((target("avx2,fma")))
#else
#define PE_GEMM_AVX2_ATTR
#endif
template <int MR>
PE_GEMM_AVX2_ATTR void pack_a_f32_avx2(int64_t mc, int64_t kc, const float* a, int64_t rs, int64_t cs, float* out);
template <int NR>
PE_GEMM_AVX2_ATTR void pack_b_f32_avx2(int64_t kc, int64_t nc, const float* b, int64_t rs, int64_t cs, float* out);

// The portable kernels (plain C++ the compiler vectorizes), always available.
template <class T>
const KernelInfo<T>& generic_kernel();

// The AVX2/FMA kernels (compiled with a target attribute in gemm_avx2.cpp, no global -march);
// nullptr where the build target is not x86-64. Call only when cpu_has_avx2_fma().
const KernelInfo<float>* avx2_kernel_f32();
const KernelInfo<double>* avx2_kernel_f64();
bool cpu_has_avx2_fma();
// The AVX-512 kernels (gemm_avx512.cpp), likewise; call only when cpu_has_avx512().
const KernelInfo<float>* avx512_kernel_f32();
const KernelInfo<double>* avx512_kernel_f64();
bool cpu_has_avx512();

// Largest tile of any kernel (edge tiles go through a buffer of this size).
constexpr int kMaxTile = 16 * 32;

// The kernel gemm uses on this CPU: the widest the CPU supports. PE_GEMM_KERNEL=generic|avx2 in the
// environment caps the choice (read once; for tests and comparisons).
template <class T>
const KernelInfo<T>& selected_kernel();

// Packing (Note [GEMM packed layout]). X(i, p) of op(A) lives at a[i*rs + p*cs]; rows beyond mc and
// columns beyond nc are zero-filled up to the panel size.
template <class T>
void pack_a(int mr, int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* out);
template <class T>
void pack_b(int nr, int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* out);

// The blocked, packed algorithm on one rectangle of C with one kernel, single-threaded (gemm splits
// C into such rectangles across threads). A(i, p) at a[i*a_rs + p*a_cs], B(p, j) at b[p*b_rs + j*b_cs].
template <class T>
void gemm_packed(const KernelInfo<T>& ki, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs,
                 int64_t a_cs, const T* b, int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t ldc);

}  // namespace pe::cpu::gemm_detail
