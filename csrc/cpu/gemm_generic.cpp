// The portable half of our GEMM: the plain C++ micro-kernels (the compiler vectorizes the NR loop
// for whatever the build targets) and the panel packing of Note [GEMM packed layout]. Used as is on
// CPUs without AVX2/FMA; the packing serves every kernel.
#include <algorithm>

#include "cpu/gemm_internal.h"

namespace pe::cpu::gemm_detail {
namespace {

template <class T, int MR, int NR>
void generic_micro_kernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const T* bp = b + p * NR;
    for (int i = 0; i < MR; ++i) {
      const T av = a[p * MR + i];
      for (int j = 0; j < NR; ++j) acc[i][j] += av * bp[j];
    }
  }
  for (int i = 0; i < MR; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      for (int j = 0; j < NR; ++j) row[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < NR; ++j) row[j] = alpha * acc[i][j] + beta * row[j];
    }
  }
}

// Same tile shapes as the AVX2 kernels (the tests compare them tile for tile); NEON's 32 registers
// hold them, SSE2 spills a little, which is acceptable for the fallback.
const KernelInfo<float> kGenericF32{"generic_6x16", 6, 16, 240, 256, 3072, &generic_micro_kernel<float, 6, 16>};
const KernelInfo<double> kGenericF64{"generic_6x8", 6, 8, 120, 256, 1536, &generic_micro_kernel<double, 6, 8>};

// Note [GEMM packing order]
// The source is always read along its contiguous direction: a panel row of length MR/NR read
// across a 4 KiB row stride touches a new page per element, which measured 25% of a 1024^3 product.
// So when the panel's short side is the contiguous one, whole source lines are read and scattered
// into all panels; otherwise each panel reads MR/NR contiguous lines side by side.
template <class T, int MR>
void pack_a_fixed(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* out) {
  const int64_t full = mc / MR * MR;
  if (rs == 1 && cs != 1) {  // op(A) columns contiguous: read column p, scatter into the panels
    for (int64_t p = 0; p < kc; ++p) {
      const T* col = a + p * cs;
      for (int64_t i0 = 0; i0 < full; i0 += MR) {
        T* dst = out + i0 * kc + p * MR;
        for (int i = 0; i < MR; ++i) dst[i] = col[i0 + i];
      }
    }
  } else {  // op(A) rows contiguous (or general strides)
    // MR x 16 blocks through a small buffer: the MR rows of a matrix with a 4 KiB row stride share
    // one L1 set, so reading them element by element (or writing the panel with stride MR) thrashed
    // L1 at ~4-8 cycles an element; here each source line is read once, whole.
    constexpr int64_t PB = 16;
    T buf[MR * PB];
    for (int64_t i0 = 0; i0 < full; i0 += MR) {
      T* dst = out + i0 * kc;
      const T* rows = a + i0 * rs;
      for (int64_t p0 = 0; p0 < kc; p0 += PB) {
        const int64_t pb = std::min(PB, kc - p0);
        for (int i = 0; i < MR; ++i)
          for (int64_t q = 0; q < pb; ++q) buf[i * PB + q] = rows[i * rs + (p0 + q) * cs];
        for (int64_t q = 0; q < pb; ++q)
          for (int i = 0; i < MR; ++i) dst[(p0 + q) * MR + i] = buf[i * PB + q];
      }
    }
  }
  if (full < mc) {  // the zero-padded last panel
    T* dst = out + full * kc;
    const int64_t mr = mc - full;
    for (int64_t p = 0; p < kc; ++p)
      for (int i = 0; i < MR; ++i) dst[p * MR + i] = i < mr ? a[(full + i) * rs + p * cs] : T(0);
  }
}

template <class T, int NR>
void pack_b_fixed(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* out) {
  const int64_t full = nc / NR * NR;
  if (cs == 1) {  // op(B) rows contiguous: read row p, scatter into the panels
    for (int64_t p = 0; p < kc; ++p) {
      const T* row = b + p * rs;
      for (int64_t j0 = 0; j0 < full; j0 += NR) {
        T* dst = out + j0 * kc + p * NR;
        for (int j = 0; j < NR; ++j) dst[j] = row[j0 + j];
      }
    }
  } else {  // op(B) columns contiguous (a transposed B) or general: NR columns side by side
    for (int64_t j0 = 0; j0 < full; j0 += NR) {
      T* dst = out + j0 * kc;
      for (int j = 0; j < NR; ++j) {
        const T* col = b + (j0 + j) * cs;
        for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = col[p * rs];
      }
    }
  }
  if (full < nc) {
    T* dst = out + full * kc;
    const int64_t nr = nc - full;
    for (int64_t p = 0; p < kc; ++p)
      for (int j = 0; j < NR; ++j) dst[p * NR + j] = j < nr ? b[p * rs + (full + j) * cs] : T(0);
  }
}

}  // namespace

template <>
const KernelInfo<float>& generic_kernel<float>() { return kGenericF32; }
template <>
const KernelInfo<double>& generic_kernel<double>() { return kGenericF64; }

template <class T>
void pack_a(int mr, int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* out) {
  switch (mr) {
    case 6: return pack_a_fixed<T, 6>(mc, kc, a, rs, cs, out);
    case 8: return pack_a_fixed<T, 8>(mc, kc, a, rs, cs, out);
    case 12: return pack_a_fixed<T, 12>(mc, kc, a, rs, cs, out);
    default: break;
  }
  for (int64_t i0 = 0; i0 < mc; i0 += mr, out += mr * kc)
    for (int64_t p = 0; p < kc; ++p)
      for (int i = 0; i < mr; ++i) out[p * mr + i] = i0 + i < mc ? a[(i0 + i) * rs + p * cs] : T(0);
}

template <class T>
void pack_b(int nr, int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* out) {
  switch (nr) {
    case 8: return pack_b_fixed<T, 8>(kc, nc, b, rs, cs, out);
    case 16: return pack_b_fixed<T, 16>(kc, nc, b, rs, cs, out);
    case 32: return pack_b_fixed<T, 32>(kc, nc, b, rs, cs, out);
    default: break;
  }
  for (int64_t j0 = 0; j0 < nc; j0 += nr, out += nr * kc)
    for (int64_t p = 0; p < kc; ++p)
      for (int j = 0; j < nr; ++j) out[p * nr + j] = j0 + j < nc ? b[p * rs + (j0 + j) * cs] : T(0);
}

template void pack_a<float>(int, int64_t, int64_t, const float*, int64_t, int64_t, float*);
template void pack_a<double>(int, int64_t, int64_t, const double*, int64_t, int64_t, double*);
template void pack_b<float>(int, int64_t, int64_t, const float*, int64_t, int64_t, float*);
template void pack_b<double>(int, int64_t, int64_t, const double*, int64_t, int64_t, double*);

}  // namespace pe::cpu::gemm_detail
