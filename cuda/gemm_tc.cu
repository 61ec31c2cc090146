// The tensor-core GEMM of Note [CUDA tensor-core GEMM] (gemm.cuh): float16/bfloat16 operands, and
// float32 operands rounded to TF32 when torch.backends.cuda.matmul.allow_tf32 is set; float32
// accumulation. Written against nvcuda::wmma: the toolkit's <mma.h> in the real build,
// cuda/emu/mma.h (Note [Emulated WMMA]) on the emulated device, so both run this code.
#include <mma.h>

#include <algorithm>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda/device.h"
#include "cuda/gemm.cuh"
#include "cuda/launch.cuh"

namespace pe::cuda {
namespace {

namespace wmma = nvcuda::wmma;

// A 64x64 output tile per block of 4 warps (2 x 2), each warp 32x32 = 2 x 2 fragments of 16x16;
// bk-deep slices of A (row-major in shared, BM x (bk + pad)) and B (bk x (BN + pad)) staged through
// registers, double buffered as the SIMT kernel's. The pads keep every fragment's address 32-byte
// aligned (wmma's rule) and its row stride a multiple of 16 bytes, and spread column walks over banks.
constexpr int kBM = 64, kBN = 64, kWarps = 4, kThreads = 32 * kWarps, kFrag = 16;

template <class T>
struct TcTraits;  // T: the operand element type; Frag: wmma's element tag; kStep: wmma's k
template <>
struct TcTraits<__half> {
  using Frag = __half;
  static constexpr int kStep = 16, bk = 32, pad = 8;
};
template <>
struct TcTraits<__nv_bfloat16> {
  using Frag = __nv_bfloat16;
  static constexpr int kStep = 16, bk = 32, pad = 8;
};
template <>
struct TcTraits<float> {
  using Frag = wmma::precision::tf32;
  static constexpr int kStep = 8, bk = 16, pad = 4;
};

__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(float v) { return v; }
template <class T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }

struct TcParams {
  int64_t batch, m, n, k, sums, ktiles, mtiles;
  int64_t a_rs, a_cs, a_bs, a_ss, b_rs, b_cs, b_bs, b_ss, c_rs, c_cs, c_bs, bias_rs, bias_cs;
  bool a_k_unit, b_n_unit, c_n_unit;  // which stride is 1: neighbouring threads walk along it
};

template <class T>
struct TcTile {
  static constexpr int bk = TcTraits<T>::bk;
  static constexpr int loads_a = kBM * bk / kThreads, loads_b = kBN * bk / kThreads;
  static constexpr int lda = bk + TcTraits<T>::pad, ldb = kBN + TcTraits<T>::pad, ldc = kBN + 4;
};

// Element e of thread tid's share of a slice: (row, kk) of A's kBM x bk slice, (kk, col) of B's.
template <class T>
__device__ __forceinline__ void a_slot(const TcParams& p, int tid, int e, int& row, int& kk) {
  constexpr int bk = TcTile<T>::bk;
  const int idx = tid + e * kThreads;
  row = p.a_k_unit ? idx / bk : idx % kBM;
  kk = p.a_k_unit ? idx % bk : idx / kBM;
}
template <class T>
__device__ __forceinline__ void b_slot(const TcParams& p, int tid, int e, int& col, int& kk) {
  constexpr int bk = TcTile<T>::bk;
  const int idx = tid + e * kThreads;
  col = p.b_n_unit ? idx % kBN : idx / bk;
  kk = p.b_n_unit ? idx / kBN : idx % bk;
}

// Slice t (summed product t / ktiles, k offset (t % ktiles) * bk) into registers, zero outside.
template <class T>
__device__ __forceinline__ void load_slices(const T* a, const T* b, const TcParams& p, int64_t row0, int64_t col0,
                                            int64_t t, int tid, T (&ra)[TcTile<T>::loads_a],
                                            T (&rb)[TcTile<T>::loads_b]) {
  const int64_t s = t / p.ktiles, k0 = (t % p.ktiles) * TcTile<T>::bk;
  const T* abase = a + s * p.a_ss;
  const T* bbase = b + s * p.b_ss;
  const T zero = from_float<T>(0.f);
#pragma unroll
  for (int e = 0; e < TcTile<T>::loads_a; ++e) {
    int row, kk;
    a_slot<T>(p, tid, e, row, kk);
    const int64_t gr = row0 + row, gk = k0 + kk;
    ra[e] = (gr < p.m && gk < p.k) ? abase[gr * p.a_rs + gk * p.a_cs] : zero;
  }
#pragma unroll
  for (int e = 0; e < TcTile<T>::loads_b; ++e) {
    int col, kk;
    b_slot<T>(p, tid, e, col, kk);
    const int64_t gc = col0 + col, gk = k0 + kk;
    rb[e] = (gc < p.n && gk < p.k) ? bbase[gk * p.b_rs + gc * p.b_cs] : zero;
  }
}

template <class T>
__device__ __forceinline__ void store_slices(T* as, T* bs, const TcParams& p, int tid,
                                             const T (&ra)[TcTile<T>::loads_a], const T (&rb)[TcTile<T>::loads_b]) {
#pragma unroll
  for (int e = 0; e < TcTile<T>::loads_a; ++e) {
    int row, kk;
    a_slot<T>(p, tid, e, row, kk);
    as[row * TcTile<T>::lda + kk] = ra[e];
  }
#pragma unroll
  for (int e = 0; e < TcTile<T>::loads_b; ++e) {
    int col, kk;
    b_slot<T>(p, tid, e, col, kk);
    bs[kk * TcTile<T>::ldb + col] = rb[e];
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) gemm_tc_kernel(const T* a, const T* b, T* c, const T* bias, TcParams p,
                                                           float alpha, float beta, bool beta0) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800  // bf16 and TF32 fragments need sm_80
  using Tr = TcTraits<T>;
  using Tl = TcTile<T>;
  using Frag = typename Tr::Frag;
  constexpr int bk = Tl::bk;
  __align__(32) __shared__ T as_tile[2][kBM * Tl::lda];
  __align__(32) __shared__ T bs_tile[2][bk * Tl::ldb];
  __align__(32) __shared__ float cs_tile[kBM * Tl::ldc];
  auto* as = as_tile;  // taken once (the emulator's __shared__ is thread_local)
  auto* bs = bs_tile;
  float* cs = cs_tile;
  const int tid = threadIdx.x, warp = tid / 32;
  const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;  // the warp's 32x32 corner of the tile
  const int64_t col0 = (int64_t)blockIdx.x * kBN;
  const int64_t nslices = p.sums * p.ktiles;
  for (int64_t bz = blockIdx.z; bz < p.batch; bz += gridDim.z) {
    for (int64_t by = blockIdx.y; by < p.mtiles; by += gridDim.y) {
      const int64_t row0 = by * kBM;
      const T* ab = a + bz * p.a_bs;
      const T* bb = b + bz * p.b_bs;
      wmma::fragment<wmma::accumulator, kFrag, kFrag, Tr::kStep, float> acc[2][2];
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
      T ra[Tl::loads_a], rb[Tl::loads_b];
      if (nslices > 0) {
        load_slices<T>(ab, bb, p, row0, col0, 0, tid, ra, rb);
        store_slices<T>(as[0], bs[0], p, tid, ra, rb);
      }
      __syncthreads();
      for (int64_t t = 0; t < nslices; ++t) {
        const int cur = (int)(t & 1);
        const bool more = t + 1 < nslices;
        if (more) load_slices<T>(ab, bb, p, row0, col0, t + 1, tid, ra, rb);  // travels while we multiply
#pragma unroll
        for (int kk = 0; kk < bk; kk += Tr::kStep) {
          wmma::fragment<wmma::matrix_a, kFrag, kFrag, Tr::kStep, Frag, wmma::row_major> fa[2];
          wmma::fragment<wmma::matrix_b, kFrag, kFrag, Tr::kStep, Frag, wmma::row_major> fb[2];
#pragma unroll
          for (int i = 0; i < 2; ++i) {
            wmma::load_matrix_sync(fa[i], as[cur] + (wm + i * kFrag) * Tl::lda + kk, Tl::lda);
            wmma::load_matrix_sync(fb[i], bs[cur] + kk * Tl::ldb + wn + i * kFrag, Tl::ldb);
            if constexpr (std::is_same_v<T, float>) {  // TF32: the inputs rounded, as cuBLAS's TF32 mode
#pragma unroll
              for (int e = 0; e < fa[i].num_elements; ++e) fa[i].x[e] = wmma::__float_to_tf32(fa[i].x[e]);
#pragma unroll
              for (int e = 0; e < fb[i].num_elements; ++e) fb[i].x[e] = wmma::__float_to_tf32(fb[i].x[e]);
            }
          }
#pragma unroll
          for (int i = 0; i < 2; ++i)
#pragma unroll
            for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        if (more) store_slices<T>(as[cur ^ 1], bs[cur ^ 1], p, tid, ra, rb);
        __syncthreads();
      }
      // Epilogue through shared memory: fragments have no element layout a thread could address.
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
          wmma::store_matrix_sync(cs + (wm + i * kFrag) * Tl::ldc + wn + j * kFrag, acc[i][j], Tl::ldc,
                                  wmma::mem_row_major);
      __syncthreads();
      T* cb = c + bz * p.c_bs;
      for (int e = tid; e < kBM * kBN; e += kThreads) {
        const int r = p.c_n_unit ? e / kBN : e % kBM, q = p.c_n_unit ? e % kBN : e / kBM;
        const int64_t row = row0 + r, col = col0 + q;
        if (row >= p.m || col >= p.n) continue;
        T* dst = cb + row * p.c_rs + col * p.c_cs;
        float v = alpha * cs[r * Tl::ldc + q];
        if (!beta0) v += beta * to_float(*dst);
        if (bias) v += to_float(bias[row * p.bias_rs + col * p.bias_cs]);
        *dst = from_float<T>(v);
      }
      __syncthreads();  // cs is rewritten by the next tile
    }
  }
#else
  __trap();
#endif
}

template <class T>
void run_gemm_tc(const GemmProblem& pr) {
  TcParams p;
  p.batch = pr.batch, p.m = pr.m, p.n = pr.n, p.k = pr.k, p.sums = pr.sums;
  p.ktiles = (pr.k + TcTile<T>::bk - 1) / TcTile<T>::bk;
  p.mtiles = (pr.m + kBM - 1) / kBM;
  p.a_rs = pr.a.rs, p.a_cs = pr.a.cs, p.a_bs = pr.a.bs, p.a_ss = pr.a.ss;
  p.b_rs = pr.b.rs, p.b_cs = pr.b.cs, p.b_bs = pr.b.bs, p.b_ss = pr.b.ss;
  p.c_rs = pr.c_rs, p.c_cs = pr.c_cs, p.c_bs = pr.c_bs;
  p.bias_rs = pr.bias_rs, p.bias_cs = pr.bias_cs;
  // A single row or column has no meaningful stride in its size-1 dim: judge by the other one.
  p.a_k_unit = pr.m == 1 ? true : pr.k == 1 ? false : pr.a.cs == 1;
  p.b_n_unit = pr.k == 1 ? true : pr.n == 1 ? false : pr.b.cs == 1;
  p.c_n_unit = pr.m == 1 ? true : pr.n == 1 ? false : pr.c_cs == 1;
  const bool beta0 = pr.beta.to_double() == 0.0;
  const dim3 grid((unsigned)((pr.n + kBN - 1) / kBN), (unsigned)std::min<int64_t>(p.mtiles, 65535),
                  (unsigned)std::min<int64_t>(pr.batch, 65535));
  launch_kernel(gemm_tc_kernel<T>, grid, dim3(kThreads), 0, current_stream(), static_cast<const T*>(pr.a.data),
                static_cast<const T*>(pr.b.data), static_cast<T*>(pr.c), static_cast<const T*>(pr.bias), p,
                (float)pr.alpha.to_double(), (float)pr.beta.to_double(), beta0);
}

}  // namespace

void gemm_tensor_core(const GemmProblem& p) {
  switch (p.dtype) {
    case DType::Float16: return run_gemm_tc<__half>(p);
    case DType::BFloat16: return run_gemm_tc<__nv_bfloat16>(p);
    case DType::Float32: return run_gemm_tc<float>(p);  // TF32
    default:
      PE_ERROR("CUDA tensor-core gemm: unsupported dtype ", dtype_name(p.dtype));
  }
}

}  // namespace pe::cuda
